"""Playbook runs as Dagster runs them, on the embedded backend. The same semantics on the
Airtable adapter are proven at service level (tests/services/test_playbook_run.py)."""

import dagster as dg

from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.names import PLAYBOOK_PARTITIONS, SKIPPED_TAG, Checks
from tests.dagster.helpers import defs_for, materialize_playbooks, run_every_playbook, table_state

BROKEN_COLD = {"cold_outbound_eu_founders", "cold_outbound_us_saas"}
ALL_SLUGS = {v.playbook.slug for v in validate_playbooks(playbook_records())}


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def run_partition(defs, instance, slug):
    return defs.resolve_job_def("playbook_run").execute_in_process(instance=instance, partition_key=slug, raise_on_error=False)


def test_broken_cold_playbooks_fail_their_check_but_the_refresh_run_is_green(local_resources, instance):
    result = materialize_playbooks(defs_for(local_resources), instance)
    assert result.success, "a check that finds bad data is red on its own; the run did its work"
    checks = check_results(result)
    failing = checks[Checks.TRIGGER_AND_APPROVAL_PRESENT]
    assert not failing.passed and failing.severity == dg.AssetCheckSeverity.ERROR
    offenders = failing.metadata["offenders"].value
    assert set(offenders) == {"Cold Outbound — EU Founders", "Cold Outbound — US SaaS"}
    assert all("Trigger is empty" in why and "Approval is empty" in why for why in offenders.values())
    assert checks[Checks.CRON_VALID].passed and checks[Checks.NAMES_UNIQUE].passed
    assert checks[Checks.TRIGGER_STAGE_EXISTS].passed
    assert set(instance.get_dynamic_partitions(PLAYBOOK_PARTITIONS)) == ALL_SLUGS
    catalog = result.asset_materializations_for_node("playbooks")[0].metadata["catalog"].value
    outcomes = {row.data["partition"]: row.data["runs"] for row in catalog.records}
    schedules = {row.data["partition"]: row.data["schedule"] for row in catalog.records}
    assert schedules["churn_rescue"] == "running" and schedules["stale_deal_nudge"] == "stopped"
    assert outcomes["cold_outbound_us_saas"] == "refused" and outcomes["stale_deal_nudge"] == "skipped: owned by n8n"
    assert outcomes["churn_rescue"] == "creates tasks"
    partition_says = {
        record.partition_key: record.asset_observation.metadata["playbook_outcome"].value
        for record in instance.fetch_observations(dg.AssetKey("playbook_tasks"), limit=100).records
    }
    assert partition_says["cold_outbound_us_saas"] == "partition cold_outbound_us_saas: refused"
    assert partition_says["upsell_expansion"] == "partition upsell_expansion: skipped: not Enabled"
    again = materialize_playbooks(defs_for(local_resources), instance)
    assert not [e for e in again.get_asset_observation_events() if e.asset_key == dg.AssetKey("playbook_tasks")], "only changes are observed"


def test_each_kind_of_partition_twice_leaves_the_table_as_the_first_run_left_it(local_resources, instance):
    """One playbook of each kind through Dagster; every playbook, on both backends, is run
    at service level (tests/services/test_playbook_run.py)."""
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    before = table_state(local_resources)
    slugs = ["churn_rescue", "warm_demo_follow_up", "cold_outbound_us_saas", "cold_outbound_eu_founders", "stale_deal_nudge"]
    first = run_every_playbook(defs, instance, slugs)
    after_first = table_state(local_resources)
    second = run_every_playbook(defs, instance, slugs)
    assert table_state(local_resources) == after_first
    assert {slug for slug, ok in first.items() if not ok} == BROKEN_COLD == {slug for slug, ok in second.items() if not ok}
    created = {record_id: fields for record_id, fields in after_first.items() if record_id not in before}
    assert created and {fields["Source"] for fields in created.values()} == {"dagster"}
    latest = {}
    for record in sorted(instance.fetch_materializations(dg.AssetKey("playbook_tasks"), limit=100).records, key=lambda r: r.timestamp):
        latest[record.partition_key] = record.asset_materialization.metadata
    assert latest["churn_rescue"]["created"].value == 0 and latest["churn_rescue"]["unchanged"].value > 0


def test_a_refused_playbook_says_why_and_creates_nothing(local_resources, instance):
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    before = table_state(local_resources)
    result = run_partition(defs, instance, "cold_outbound_us_saas")
    assert not result.success
    failure = result.failure_data_for_node("playbook_tasks")
    assert "Trigger is empty" in failure.user_failure_data.description
    assert failure.error.cause is None, "no exception chain below the clear message"
    assert table_state(local_resources) == before


def test_a_skipped_playbook_is_not_shown_as_a_materialisation(local_resources, instance):
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    before = table_state(local_resources)
    for slug, reason in (("stale_deal_nudge", "owned by n8n, not dagster"), ("upsell_expansion", "not Enabled")):
        result = run_partition(defs, instance, slug)
        assert result.success and not result.get_asset_materialization_events()
        assert result.get_asset_observation_events()[0].asset_observation_data.asset_observation.metadata["skipped"].value == reason
        assert instance.get_run_by_id(result.run_id).tags[SKIPPED_TAG] == reason
    assert table_state(local_resources) == before


def test_a_mistyped_partition_fails_clearly_and_the_next_refresh_removes_it(local_resources, instance):
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, ["churn_rescu"])
    failure = run_partition(defs, instance, "churn_rescu").failure_data_for_node("playbook_tasks")
    assert "No playbook in the SSOT has the slug 'churn_rescu'" in failure.user_failure_data.description
    assert "churn_rescue" in failure.user_failure_data.description
    materialize_playbooks(defs, instance)
    assert "churn_rescu" not in instance.get_dynamic_partitions(PLAYBOOK_PARTITIONS)


def test_schedules_match_ssot_names_each_difference_between_the_loaded_schedules_and_the_ssot(local_resources, instance):
    in_sync = check_results(materialize_playbooks(defs_for(local_resources), instance))[Checks.SCHEDULES_MATCH_SSOT]
    assert in_sync.passed
    stale = playbook_records()
    stale[11]["fields"]["Cron"] = "0 10 * * *"
    stale[3]["fields"]["Enabled"] = False
    drift_check = check_results(materialize_playbooks(defs_for(local_resources, snapshot=stale[:-1]), instance))[Checks.SCHEDULES_MATCH_SSOT]
    drift = drift_check.metadata["drift"].value
    assert not drift_check.passed and set(drift) == {"playbook__churn_rescue", "playbook__warm_demo_follow_up", "playbook__q1_summit_invite"}
    assert "cron is '0 10 * * *' here, '0 9 * * *' in the SSOT" in drift["playbook__churn_rescue"]
    assert "has no schedule" in drift["playbook__q1_summit_invite"]


def test_a_stale_key_fails_the_run_naming_it_after_writing_the_rest_and_fails_keys_match_fields(local_resources, instance):
    """Issue 7, item 2, as Dagster runs it: nothing is written to the record, the run fails
    naming its key with ``key_mismatch`` metadata, and the dedupe's check lists the record."""
    from clawbot_assets.adapters.ssot import TASKS_TABLE
    from clawbot_assets.domain.keys import compose_key
    from tests.dagster.helpers import TICK

    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    client = local_resources["ssot"].client()
    stale_key = compose_key("Churn Rescue", "9100000370", "1", TICK.date())
    stale = {"Key": stale_key, "Playbook": "Churn Rescue", "Deal ID": "9100000777", "Step": "1", "Due Date": TICK.date().isoformat(), "Status": "sent"}
    client.insert_raw(TASKS_TABLE, [{"id": "recStaleKeyDagst", "createdTime": "2026-01-01T00:00:00.000Z", "fields": stale}])
    before = table_state(local_resources)
    assert run_every_playbook(defs, instance, ["churn_rescue"]) == {"churn_rescue": False}
    after = table_state(local_resources)
    assert after["recStaleKeyDagst"] == stale and len(after) > len(before)
    run = instance.get_runs(limit=1)[0]
    failure = next(event for event in instance.all_logs(run.run_id) if event.dagster_event and event.dagster_event.is_step_failure)
    data = failure.dagster_event.step_failure_data.user_failure_data
    assert stale_key in data.description and data.metadata["key_mismatch"].value == {stale_key: ["recStaleKeyDagst"]}
    nightly = defs.resolve_job_def("nightly_dedupe").execute_in_process(instance=instance, raise_on_error=False)
    check = check_results(nightly)[Checks.KEYS_MATCH_FIELDS]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert set(check.metadata["offenders"].value) == {"recStaleKeyDagst"}
    assert table_state(local_resources)["recStaleKeyDagst"]["Deal ID"] == "9100000777", "the dedupe never fixes it either"
