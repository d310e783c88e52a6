import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.names import Checks
from tests.dagster.helpers import (
    defs_for,
    materialize_playbooks,
    run_every_playbook,
    table_state,
)

BROKEN_COLD = {"cold_outbound_eu_founders", "cold_outbound_us_saas"}
ALL_SLUGS = {v.playbook.slug for v in validate_playbooks(playbook_records())}


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def test_the_two_broken_cold_playbooks_fail_the_blocking_check(backend, instance):
    result = materialize_playbooks(defs_for(backend), instance)
    checks = check_results(result)
    failing = checks[Checks.TRIGGER_AND_APPROVAL_PRESENT]
    assert not failing.passed and failing.severity == dg.AssetCheckSeverity.ERROR
    offenders = failing.metadata["offenders"].value
    assert set(offenders) == {"Cold Outbound — EU Founders", "Cold Outbound — US SaaS"}
    assert all("Trigger is empty" in why and "Approval is empty" in why for why in offenders.values())
    assert checks[Checks.CRON_VALID].passed and checks[Checks.NAMES_UNIQUE].passed
    assert checks[Checks.TRIGGER_STAGE_EXISTS].passed
    assert len(instance.get_dynamic_partitions("playbook")) == 16


def test_every_partition_twice_leaves_the_table_as_the_first_run_left_it(backend, instance):
    defs = defs_for(backend)
    materialize_playbooks(defs, instance)
    before = table_state(backend)
    first = run_every_playbook(defs, instance)
    after_first = table_state(backend)
    second = run_every_playbook(defs, instance)
    assert table_state(backend) == after_first
    assert {slug for slug, ok in first.items() if not ok} == BROKEN_COLD == {slug for slug, ok in second.items() if not ok}
    created = {record_id: fields for record_id, fields in after_first.items() if record_id not in before}
    assert created, "the dagster-owned playbooks must have created tasks"
    assert {fields["Source"] for fields in created.values()} == {"dagster"}
    assert not any(fields["Playbook"].startswith("Cold Outbound") for fields in created.values())
    assert len({fields["Key"] for fields in created.values()}) == len(created)


def test_second_firing_reports_unchanged_and_writes_nothing(backend, instance):
    defs = defs_for(backend)
    materialize_playbooks(defs, instance)
    run_every_playbook(defs, instance)
    log_before = len(backend["server"].log) if "server" in backend else 0
    run_every_playbook(defs, instance)
    materializations = instance.fetch_materializations(dg.AssetKey("playbook_tasks"), limit=100).records
    latest = {}
    for record in sorted(materializations, key=lambda r: r.timestamp):
        latest[record.partition_key] = record.asset_materialization.metadata
    churn = latest["churn_rescue"]
    assert churn["created"].value == 0 and churn["updated"].value == 0 and churn["unchanged"].value > 0
    if "server" in backend:
        second_firing = backend["server"].log[log_before:]
        assert second_firing and all(request.method == "GET" for request in second_firing)


def test_a_broken_playbook_run_fails_with_its_problems_and_creates_nothing(backend, instance):
    defs = defs_for(backend)
    materialize_playbooks(defs, instance)
    before = table_state(backend)
    result = defs.resolve_job_def("playbook_run").execute_in_process(
        instance=instance, partition_key="cold_outbound_us_saas", raise_on_error=False
    )
    assert not result.success
    failure = result.failure_data_for_node("playbook_tasks")
    assert "Trigger is empty" in failure.user_failure_data.description
    assert table_state(backend) == before


def test_disabled_or_n8n_owned_playbooks_create_nothing(backend, instance):
    defs = defs_for(backend)
    materialize_playbooks(defs, instance)
    before = table_state(backend)
    job = defs.resolve_job_def("playbook_run")
    for slug in ("stale_deal_nudge", "upsell_expansion"):
        assert job.execute_in_process(instance=instance, partition_key=slug).success
    assert table_state(backend) == before
    assert backend["ssot"].client().list_records(PLAYBOOKS_TABLE)


def test_schedules_match_ssot_reports_a_playbook_missing_from_the_loaded_schedules(backend, instance):
    """The test definitions load the project's snapshot or none: either way the check compares
    the loaded schedules with the live SSOT and names every difference."""
    defs = defs_for(backend)
    loaded = {s.name for s in defs.get_repository_def().schedule_defs if s.name.startswith("playbook__")}
    drift_check = check_results(materialize_playbooks(defs, instance))[Checks.SCHEDULES_MATCH_SSOT]
    drift = drift_check.metadata["drift"].value
    assert {name for name, why in drift.items() if "has no schedule" in why} == {f"playbook__{slug}" for slug in ALL_SLUGS} - loaded
    assert drift_check.passed is (loaded == {f"playbook__{slug}" for slug in ALL_SLUGS})
