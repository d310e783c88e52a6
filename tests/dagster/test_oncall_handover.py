"""The weekly ``oncall_handover`` asset and its schedule on the code location (issue 19)."""

import datetime as dt
from pathlib import Path

import dagster as dg

from clawbot_assets.names import AIRTABLE_BUDGET, ONCALL_HANDOVER, ONCALL_HANDOVER_JOB, ONCALL_HANDOVER_SCHEDULE
from tests.dagster.helpers import defs_for, materialize_playbooks


def handover_metadata(instance) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(ONCALL_HANDOVER))
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def test_the_schedule_fires_monday_nine_utc_and_succeeds_on_a_fresh_demo(local_resources, instance):
    defs = defs_for(local_resources)
    schedule = defs.resolve_schedule_def(ONCALL_HANDOVER_SCHEDULE)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 9 * * 1", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.job_name == ONCALL_HANDOVER_JOB
    monday = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=monday) as context:
        [request] = schedule.evaluate_tick(context).run_requests

    assert defs.resolve_job_def(ONCALL_HANDOVER_JOB).execute_in_process(instance=instance, tags=request.tags).success
    metadata = handover_metadata(instance)
    assert metadata["open_incidents"] == 0 and metadata["failing_checks"] == 0 and metadata["airtable_budget_measured"] is False
    assert "Not measured" in metadata["summary"]
    [copy] = Path(local_resources["handover_files"].directory).glob("handover-*.md")
    assert copy.read_text() == metadata["summary"]


def test_failing_checks_and_the_airtable_budget_are_reported(local_resources, instance):
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)  # the demo's broken COLD playbooks fail trigger_and_approval_present (ERROR)
    instance.report_runless_asset_event(dg.AssetMaterialization(AIRTABLE_BUDGET, metadata={
        "requests_last_hour": 1234, "share_of_budget": 0.0686, "by_caller": dg.MetadataValue.json({"n8n": 1000})}))

    assert defs.resolve_job_def(ONCALL_HANDOVER_JOB).execute_in_process(instance=instance).success
    metadata = handover_metadata(instance)
    assert metadata["failing_error_checks"] >= 1 and metadata["open_incidents"] == metadata["failing_error_checks"]
    assert metadata["alerts_channel_no_pager"] >= 1 and metadata["alerts_pager"] == 0
    summary = metadata["summary"]
    assert "| `playbooks:trigger_and_approval_present` | ERROR |" in summary
    assert "| requests_last_hour | 1234 |" in summary and "| share_of_budget | 0.0686 |" in summary
    assert "by_caller" not in summary, "structured figures are left out, not dumped"


def test_the_handover_job_talks_to_no_rate_limited_api(local_resources):
    job = defs_for(local_resources).resolve_job_def(ONCALL_HANDOVER_JOB)
    assert not job.tags
