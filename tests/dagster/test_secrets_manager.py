"""Credentials from AWS Secrets Manager (moto): a rotation is used by the next run with no
restart, a missing secret fails clearly, and no secret value reaches Dagster's storage."""

import json
from pathlib import Path

import boto3
import pytest
from dagster_aws.secretsmanager import SecretsManagerResource
from moto import mock_aws

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.secrets_aws import AwsSecretsManagerSecretsResource
from tests.conftest import BASE_ID, airtable_resource
from tests.dagster.helpers import defs_for
from tests.fakes.airtable_server import FakeAirtable
from tests.instances import instance_for_test

SECRET_ID = "clawbot/prod"
FIRST, ROTATED = "patFIRSTsecretVALUE0001", "patROTATEDsecretVALUE0002"


def stored_bytes(root: Path) -> bytes:
    """Every byte Dagster wrote under its home: run and event storage, compute logs."""
    return b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name=SECRET_ID, SecretString=json.dumps({"AIRTABLE_API_KEY": FIRST, "CLAWBOT_PASSWORD": "pw"}))
        yield client


def test_a_rotated_secret_is_used_by_the_next_run_and_no_value_is_stored(aws, tmp_path, capfd):
    secrets = AwsSecretsManagerSecretsResource(secretsmanager=SecretsManagerResource(), secret_id=SECRET_ID)
    home = tmp_path / "dagster_home"
    home.mkdir()
    with FakeAirtable(token=FIRST, rate_limit=1000) as server, instance_for_test(temp_dir=str(home)) as instance:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        defs = defs_for({**local_resources(str(tmp_path / "data")), "ssot": airtable_resource(server, tmp_path, secrets=secrets)})
        job = defs.resolve_job_def("playbooks_refresh")
        assert job.execute_in_process(instance=instance).success

        aws.put_secret_value(SecretId=SECRET_ID, SecretString=json.dumps({"AIRTABLE_API_KEY": ROTATED}))
        server.token = ROTATED
        assert job.execute_in_process(instance=instance).success, "the next run reads the rotated version"

        aws.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)
        failed = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not failed.success
        texts = " ".join(str(event.event_specific_data) for event in failed.all_events)
        assert "Secrets Manager refused secret 'clawbot/prod'" in texts
        stored = stored_bytes(home)
    assert b"Secrets Manager refused secret" in stored, "the search must cover where the failure was stored"
    captured = capfd.readouterr()
    for value in (FIRST, ROTATED):
        assert value.encode() not in stored
        assert value not in captured.out + captured.err
        assert value not in texts


def test_a_secret_without_the_credential_names_the_secret_and_the_key_only(aws):
    aws.put_secret_value(SecretId=SECRET_ID, SecretString=json.dumps({"CLAWBOT_PASSWORD": "pw"}))
    secrets = AwsSecretsManagerSecretsResource(secretsmanager=SecretsManagerResource(), secret_id=SECRET_ID)
    with pytest.raises(Exception, match="'clawbot/prod' has no value for AIRTABLE_API_KEY"):
        secrets.get("AIRTABLE_API_KEY")
    assert secrets.get("CLAWBOT_PASSWORD") == "pw"
