"""Drill for docs/runbooks/failed_dedupe_and_restore.md on the embedded SSOT: a dedupe removes
the demo's duplicates; the runbook stops the schedule, finds the run, restores it, dry-runs,
re-runs and starts the schedule again."""

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.resources import local_resources
from tests.dagster.helpers import defs_for

RUNBOOK = "failed_dedupe_and_restore"


def removed_by(instance, run_id: str) -> int:
    [event] = [e for e in instance.all_logs(run_id) if e.is_dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"]
    return event.dagster_event.event_specific_data.materialization.metadata["removed"].value


def test_the_dedupe_runbook_restores_a_dedupe_and_reruns_it(operator):
    resources = local_resources(str(operator.data))
    ssot = resources["ssot"].client()
    before = len(ssot.list_records(TASKS_TABLE))
    with operator.instance() as instance:
        dedupe = defs_for(resources).resolve_job_def("nightly_dedupe").execute_in_process(instance=instance)
        removed = removed_by(instance, dedupe.run_id)
    assert removed > 0 and len(ssot.list_records(TASKS_TABLE)) == before - removed

    assert "Stopped schedule nightly_dedupe_schedule" in operator.run(RUNBOOK, "stop").stdout
    assert f"{dedupe.run_id} SUCCESS manual" in operator.run(RUNBOOK, "runs").stdout
    operator.run(RUNBOOK, "restore", expect_success=False)  # RUN_ID not exported: refuses
    operator.run(RUNBOOK, "restore", RUN_ID=dedupe.run_id)
    records = ssot.list_records(TASKS_TABLE)
    assert len(records) == before
    assert sum(1 for r in records if r["fields"].get("Restored From")) == removed

    operator.run(RUNBOOK, "dry-run")
    assert len(ssot.list_records(TASKS_TABLE)) == before, "the dry run writes nothing"
    operator.run(RUNBOOK, "rerun")
    assert len(ssot.list_records(TASKS_TABLE)) == before - removed
    assert "Started schedule nightly_dedupe_schedule" in operator.run(RUNBOOK, "start").stdout
    with operator.instance() as instance:
        runs = {r.job_name: r for r in instance.get_runs()}
        assert runs["dedupe_dry_run"].is_success and runs["restore_dedupe"].is_success
        assert removed_by(instance, runs["nightly_dedupe"].run_id) == removed
