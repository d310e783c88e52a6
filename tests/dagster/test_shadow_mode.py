"""Shadow mode through Dagster: a shadow tick computes its tasks and writes nothing, its diff
against what n8n wrote lands on the playbook's partition, and ``cutover_readiness`` turns green
after a simulated shadow week, on both SSOT backends."""

import datetime as dt

import dagster as dg
import pytest

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.demo.shadow_week import DEFAULT_PLAYBOOK, put_in_shadow, simulate_shadow_week, write_like_n8n
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.shadow import SETTLE, settled_ticks
from clawbot_assets.names import CUTOVER_READINESS, PLAYBOOK_PARTITIONS, SCHEDULED_FOR_TAG, SHADOW_TAG, Checks
from schedules.playbook_schedules import build_playbook_schedules
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.dagster.helpers import defs_for, table_state
from tests.fakes.airtable_server import FakeAirtable

SLUG = DEFAULT_PLAYBOOK
#: The playbook's latest tick old enough to compare (its cron is daily at 07:00 UTC), whatever
#: the time of day the test runs at.
TICK = settled_ticks("0 7 * * *", "UTC", dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2), dt.datetime.now(dt.timezone.utc) - SETTLE)[-1]


def shadow_run(defs, instance, tick=TICK):
    if not instance.has_dynamic_partition(PLAYBOOK_PARTITIONS, SLUG):
        instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, [SLUG])
    return defs.resolve_job_def("playbook_run").execute_in_process(
        instance=instance, partition_key=SLUG, tags={SCHEDULED_FOR_TAG: tick.isoformat()}
    )


def readiness_run(defs, instance):
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, asset_selection=[dg.AssetKey(CUTOVER_READINESS)])


def shadow_observations(instance, phase):
    records = instance.fetch_observations(dg.AssetRecordsFilter(asset_key=dg.AssetKey("playbook_tasks"), asset_partitions=[SLUG]), limit=100).records
    return [r.asset_observation.metadata for r in records if r.asset_observation.metadata.get("shadow_phase", dg.MetadataValue.text("")).value == phase]


def airtable_writes(server) -> int:
    if server is None:
        return 0
    return sum(1 for r in server.requests() if r.method != "GET" and not r.path.endswith("/listRecords"))


def test_a_shadow_tick_writes_nothing_and_is_not_a_materialisation(backend, instance):
    defs = defs_for(backend)
    put_in_shadow(backend["ssot"].client(), SLUG)
    before = table_state(backend)
    server = backend.get("server")
    writes_before = airtable_writes(server)
    result = shadow_run(defs, instance)
    assert result.success and table_state(backend) == before
    assert airtable_writes(server) == writes_before, "a shadow run sends no write to Airtable"
    assert result.asset_materializations_for_node("playbook_tasks") == []
    assert instance.get_run_by_id(result.run_id).tags[SHADOW_TAG].startswith("would write ")
    (plan,) = shadow_observations(instance, "plan")
    assert plan["would_write"].value > 0 and all(key.startswith(f"{SLUG}|") for key in plan["tasks"].value)


def test_the_diff_names_what_n8n_missed_and_the_check_stays_red(backend, instance):
    defs = defs_for(backend)
    ssot, crm = backend["ssot"].client(), backend["crm"].client()
    put_in_shadow(ssot, SLUG)
    write_like_n8n(ssot, crm, SLUG, TICK)
    forgotten = next(r for r in ssot.list_records(TASKS_TABLE, changed_since=TICK) if r["fields"].get("Source") == "n8n")
    ssot.delete(TASKS_TABLE, [forgotten["id"]])
    shadow_run(defs, instance)
    result = readiness_run(defs, instance)
    (diff,) = shadow_observations(instance, "diff")
    assert diff["missing"].value == 1 and diff["extra"].value == 0 and diff["different"].value == 0
    assert diff["missing_keys"].value[0].split("|")[1] == str(forgotten["fields"]["Deal ID"])
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == Checks.CUTOVER_READINESS and not check.passed
    assert "1 missing" in check.metadata["offenders"].value["Renewal Reminder — 30 Days"]
    readiness_run(defs, instance)
    assert len(shadow_observations(instance, "diff")) == 1, "a tick is compared once"


def test_the_cutover_check_passes_once_a_shadow_week_is_simulated(local_resources, instance):
    defs = defs_for(local_resources)
    result = simulate_shadow_week(defs, instance, SLUG)
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["ready"].value == ["Renewal Reminder — 30 Days"]
    diffs = shadow_observations(instance, "diff")
    assert len(diffs) >= 7 and all(d["shadow_diff"].value == "empty" for d in diffs)
    assert any(d["n8n_duplicate_keys"].value for d in diffs), "n8n's double firing is seen, and does not block"
    (row,) = result.asset_materializations_for_node(CUTOVER_READINESS)[0].metadata["readiness"].value.records
    assert row.data["ready"] and row.data["clean_days"] >= 7


def test_a_simulated_shadow_period_is_enough_for_a_weekly_playbook_too(local_resources, instance):
    """``shadow-week stale_deal_nudge``: a weekly cron needs two ticks a week apart."""
    result = simulate_shadow_week(defs_for(local_resources), instance, "stale_deal_nudge")
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["ready"].value == ["Stale Deal Nudge"]


def test_a_manual_shadow_run_records_no_plan_to_compare(local_resources, instance):
    defs = defs_for(local_resources)
    put_in_shadow(local_resources["ssot"].client(), SLUG)
    instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, [SLUG])
    result = defs.resolve_job_def("playbook_run").execute_in_process(instance=instance, partition_key=SLUG)
    assert result.success and shadow_observations(instance, "plan") == []
    (observation,) = instance.fetch_observations(dg.AssetKey("playbook_tasks"), limit=1).records
    assert "not compared (no n8n tick)" in observation.asset_observation.metadata["shadow"].value


def test_a_shadow_playbook_with_a_broken_cron_does_not_break_the_others(local_resources, instance):
    defs = defs_for(local_resources)
    ssot = local_resources["ssot"].client()
    put_in_shadow(ssot, "stale_deal_nudge")
    [row] = [r for r in ssot.list_records(PLAYBOOKS_TABLE) if r["fields"]["Name"] == "Stale Deal Nudge"]
    ssot.update(PLAYBOOKS_TABLE, [(row["id"], {"Cron": "every monday"})])
    put_in_shadow(ssot, SLUG)
    result = readiness_run(defs, instance)
    (check,) = result.get_asset_check_evaluations()
    assert result.success and set(check.metadata["offenders"].value) == {"Renewal Reminder — 30 Days"}


def test_the_simulation_refuses_a_real_backend(local_resources, data_dir, instance):
    with FakeAirtable(token=TOKEN) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        resources = {**local_resources, "ssot": airtable_resource(server, data_dir)}
        with pytest.raises(RuntimeError, match="embedded backend only"):
            simulate_shadow_week(defs_for(resources), instance, SLUG)
        assert server.total_requests == 0


def test_a_shadow_playbook_schedule_runs_by_default():
    records = playbook_records()
    row = next(r for r in records if r["fields"]["Name"] == "Renewal Reminder — 30 Days")
    row["fields"]["Scheduler"] = "shadow"
    (schedule,) = [s for s in build_playbook_schedules(validate_playbooks(records)) if s.name == f"playbook__{SLUG}"]
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and "shadow" in schedule.description


def test_a_shadow_week_over_an_empty_stage_is_not_enough_evidence(backend, instance):
    """n8n wrote nothing and the trigger stage had no deal all week: every diff is empty over 0
    tasks. That used to pass as "8 consecutive days, no difference over 0 tasks"; it proves
    nothing about the cut-over, so the check stays red, saying why, on both SSOT backends."""
    import json

    crm_file = backend["crm"].client().fixture_path
    fixture = json.loads(crm_file.read_text())
    fixture["deals"] = [deal for deal in fixture["deals"] if deal["dealstage"] != "renewal_30"]
    crm_file.write_text(json.dumps(fixture))
    defs = defs_for(backend)
    ssot, crm = backend["ssot"].client(), backend["crm"].client()
    put_in_shadow(ssot, SLUG)
    now = dt.datetime.now(dt.timezone.utc)
    week = settled_ticks("0 7 * * *", "UTC", now - dt.timedelta(days=8), now - SETTLE)
    for tick in week:
        assert write_like_n8n(ssot, crm, SLUG, tick) == 0
        shadow_run(defs, instance, tick)
    result = readiness_run(defs, instance)

    diffs = shadow_observations(instance, "diff")
    assert len(diffs) == len(week) >= 8 and all(d["shadow_diff"].value == "empty" for d in diffs)
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["ready"].value == []
    reason = check.metadata["offenders"].value["Renewal Reminder — 30 Days"]
    assert reason.startswith("not enough evidence") and "none of them compared a task" in reason
    assert check.metadata["not_enough_evidence"].value == ["Renewal Reminder — 30 Days"]
    (row,) = result.asset_materializations_for_node(CUTOVER_READINESS)[0].metadata["readiness"].value.records
    assert not row.data["ready"] and row.data["days_with_tasks"] == 0
