"""Secrets never reach the event log, run metadata, logs or errors."""

from dagster_shared.serdes import serialize_value

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.secrets import EnvSecretsResource
from tests.fakes.secrets import FixedSecretsResource
from tests.conftest import BASE_ID, airtable_resource
from tests.dagster.helpers import defs_for
from tests.fakes.airtable_server import FakeAirtable

SECRET = "patSUPERSECRETvalue42"


def everything_the_instance_recorded(instance, run_id: str) -> str:
    events = instance.all_logs(run_id)
    run = instance.get_run_by_id(run_id)
    return serialize_value(events) + serialize_value(run)


def test_the_airtable_token_is_nowhere_in_a_successful_or_a_failed_run(tmp_path, instance, monkeypatch):
    with FakeAirtable(token=SECRET, rate_limit=50) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        monkeypatch.setenv("AIRTABLE_API_KEY", SECRET)
        local = local_resources(str(tmp_path))
        good = airtable_resource(server, tmp_path, secrets=EnvSecretsResource())
        job = defs_for({**local, "ssot": good}).get_repository_def().get_job("playbooks_refresh")
        succeeded = job.execute_in_process(instance=instance, raise_on_error=False)
        assert succeeded.success and succeeded.asset_materializations_for_node("playbooks")

        wrong = airtable_resource(server, tmp_path, secrets=FixedSecretsResource(values={"AIRTABLE_API_KEY": SECRET + "x"}))
        failed = defs_for({**local, "ssot": wrong}).get_repository_def().get_job("playbooks_refresh").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not failed.success
        error = failed.failure_data_for_node("playbooks").error
        assert "HTTP 401" in error.cause.message

    for run in (succeeded, failed):
        assert SECRET not in everything_the_instance_recorded(instance, run.run_id)
    assert SECRET not in repr(wrong) and SECRET not in str(wrong)
