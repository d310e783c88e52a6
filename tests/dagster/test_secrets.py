"""Secrets never reach the event log, run metadata, logs or errors."""

import dagster as dg
from dagster_shared.serdes import serialize_value

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.resources.crm_resource import CrmResource
from clawbot_assets.resources.ssot_resource import SsotResource
from tests.dagster.helpers import defs_for
from tests.fakes.airtable_server import FakeAirtable

SECRET = "patSUPERSECRETvalue42"


def everything_the_instance_recorded(instance, run_id: str) -> str:
    events = instance.all_logs(run_id)
    run = instance.get_run_by_id(run_id)
    return serialize_value(events) + serialize_value(run)


def test_the_airtable_token_is_nowhere_in_a_successful_or_a_failed_run(tmp_path, instance, monkeypatch):
    with FakeAirtable(token=SECRET, rate_limit=50) as server:
        server.seed("appSecret", PLAYBOOKS_TABLE, playbook_records())
        monkeypatch.setenv("AIRTABLE_API_KEY", SECRET)
        good = SsotResource(
            backend="airtable", data_dir=str(tmp_path), airtable_api_key=dg.EnvVar("AIRTABLE_API_KEY"),
            airtable_base_id="appSecret", airtable_endpoint_url=server.url, rate_limiter_url="memory://?limit=40&window=1",
        )
        crm = CrmResource(backend="local", data_dir=str(tmp_path))
        job = defs_for({"ssot": good, "crm": crm}).get_repository_def().get_job("playbooks_refresh")
        succeeded = job.execute_in_process(instance=instance, raise_on_error=False)
        assert succeeded.output_for_node("playbooks")

        wrong = SsotResource(
            backend="airtable", data_dir=str(tmp_path), airtable_api_key=SECRET + "x",
            airtable_base_id="appSecret", airtable_endpoint_url=server.url, rate_limiter_url="memory://?limit=40&window=1",
        )
        failed = defs_for({"ssot": wrong, "crm": crm}).get_repository_def().get_job("playbooks_refresh").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not failed.success
        error = failed.failure_data_for_node("playbooks").error
        assert "HTTP 401" in error.cause.message

    for run in (succeeded, failed):
        assert SECRET not in everything_the_instance_recorded(instance, run.run_id)
    assert SECRET not in repr(wrong) and SECRET not in str(wrong)
