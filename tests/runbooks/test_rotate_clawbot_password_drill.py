"""Drill for docs/runbooks/rotate_clawbot_password.md on moto's Secrets Manager: stop, drain,
rotate, start; the next dispatch signs with the new password, the worker holding it sends,
the rollback restores the old one, and no value is stored or printed anywhere."""

import json

import boto3
import pytest
from dagster_aws.secretsmanager import SecretsManagerResource
from moto import mock_aws

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.domain.queue_message import MessageError, parse_message
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.secrets_aws import AwsSecretsManagerSecretsResource
from tests.dagster.helpers import defs_for
from tests.runbooks.drill import exec_python

RUNBOOK = "rotate_clawbot_password"
SECRET_ID = "clawbot/prod"
OLD = "clawbot-old-password-0123456789"


def password(client) -> str:
    # VersionStage explicit: moto 5 keeps answering the newest version to a bare
    # GetSecretValue after update_secret_version_stage, where AWS answers AWSCURRENT.
    value = client.get_secret_value(SecretId=SECRET_ID, VersionStage="AWSCURRENT")["SecretString"]
    return json.loads(value)["CLAWBOT_PASSWORD"]


def test_rotation_is_used_by_the_next_run_and_never_shown(operator, monkeypatch, capfd):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name=SECRET_ID, SecretString=json.dumps({"CLAWBOT_PASSWORD": OLD, "AIRTABLE_API_KEY": "patKEEP"}))
        secrets = AwsSecretsManagerSecretsResource(secretsmanager=SecretsManagerResource(), secret_id=SECRET_ID)
        resources = {**local_resources(str(operator.data)), "secrets": secrets}
        defs = defs_for(resources)
        worker_config = {"ops": {"consume_queue": {"config": {"visibility_timeout": 0}}}}
        queue = resources["queue"].queue()
        with operator.instance() as instance:
            for job in ("nightly_dedupe", "dispatch_sales_tasks"):
                assert defs.resolve_job_def(job).execute_in_process(instance=instance).success
            assert parse_message(queue.receive(1, visibility_timeout=0)[0].body, OLD)

            assert "Stopped schedule sales_dispatch_schedule" in operator.run(RUNBOOK, "stop-dispatch").stdout
            assert defs.resolve_job_def("reference_worker").execute_in_process(instance=instance, run_config=worker_config).success
            assert "queue depth 0: 0 waiting, 0 in flight" in operator.run(RUNBOOK, "queue-depth").stdout

            exec_python(RUNBOOK, "rotate", monkeypatch, CLAWBOT_SECRET_ID=SECRET_ID)
            new = password(client)
            assert new != OLD and json.loads(client.get_secret_value(SecretId=SECRET_ID)["SecretString"])["AIRTABLE_API_KEY"] == "patKEEP"

            ssot = resources["ssot"].client()
            held = [r["id"] for r in ssot.list_records(TASKS_TABLE) if r["fields"].get("Status") == "pending"][:5]
            ssot.update(TASKS_TABLE, [(record_id, {"Status": "approved"}) for record_id in held])
            dispatch = defs.resolve_job_def("dispatch_sales_tasks").execute_in_process(instance=instance)
            assert dispatch.success
            bodies = [m.body for m in queue.receive(10, visibility_timeout=0)]
            assert bodies, "the approved tasks were dispatched"
            for body in bodies:
                assert parse_message(body, new)
                with pytest.raises(MessageError):
                    parse_message(body, OLD)
            sent = defs.resolve_job_def("reference_worker").execute_in_process(instance=instance, run_config=worker_config)
            assert sent.success and resources["queue"].dead_letter().depth().total == 0
            assert "Started schedule sales_dispatch_schedule" in operator.run(RUNBOOK, "start-dispatch").stdout
            events = " ".join(str(e) for run in (dispatch, sent) for e in run.all_events)

        exec_python(RUNBOOK, "rollback", monkeypatch, CLAWBOT_SECRET_ID=SECRET_ID)
        assert password(client) == OLD

    stored = b"".join(p.read_bytes() for p in operator.home.rglob("*") if p.is_file())
    output = capfd.readouterr()
    for value in (OLD, new):
        assert value.encode() not in stored and value not in events and value not in output.out + output.err
