"""The SSOT audit on the demo: it flags exactly the seeded mismatches, and follows the instance."""

import dagster as dg

from clawbot_assets.instance.schedule_state import set_schedule_running
from tests.dagster.helpers import defs_for, materialize_playbooks, run_every_playbook
from tests.fakes.secrets import FixedSecretsResource

#: Dagster-owned playbooks the demo calls Live: they need a recent successful run to be Live.
LIVE_IN_DAGSTER = [
    "cold_reactivation_lost_deals",
    "warm_demo_follow_up",
    "warm_proposal_nudge",
    "hot_decision_maker_call",
    "hot_contract_chaser",
    "renewal_reminder_90_days",
    "churn_rescue",
]


def audit(defs, instance):
    result = defs.resolve_job_def("ssot_audit_refresh").execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    materialization = result.asset_materializations_for_node("ssot_audit")[0]
    return checks, materialization.metadata


def offenders(check) -> dict:
    return check.metadata["offenders"].value


def test_the_demo_audit_flags_exactly_the_seeded_mismatches_and_follows_a_schedule_stopped_in_the_instance(local_resources, instance):
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    run_every_playbook(defs, instance, LIVE_IN_DAGSTER)
    checks, metadata = audit(defs, instance)

    assert set(offenders(checks["enabled_matches_schedule"])) == {"Renewal Reminder — 30 Days", "Webinar Attendee Follow-up"}
    assert "no active n8n workflow" in offenders(checks["enabled_matches_schedule"])["Renewal Reminder — 30 Days"]
    assert "deactivate 'Webinar Attendee Follow-up' (wf0006) in n8n" in offenders(checks["enabled_matches_schedule"])["Webinar Attendee Follow-up"]
    assert set(offenders(checks["single_scheduler"])) == {"Renewal Reminder — 90 Days"}
    assert set(offenders(checks["status_reflects_reality"])) == {"Renewal Reminder — 30 Days"}
    assert not checks["enabled_matches_schedule"].passed and not checks["single_scheduler"].passed
    assert checks["enabled_matches_schedule"].severity == dg.AssetCheckSeverity.ERROR
    assert checks["status_reflects_reality"].severity == dg.AssetCheckSeverity.WARN

    rows = metadata["audit"].value.records
    assert len(rows) == 16
    assert {rows[i].data["playbook"] for i in range(5)} == {
        "Renewal Reminder — 30 Days", "Renewal Reminder — 90 Days", "Webinar Attendee Follow-up",
        "Cold Outbound — EU Founders", "Cold Outbound — US SaaS",
    }
    cold = next(r.data for r in rows if r.data["playbook"] == "Cold Outbound — US SaaS")
    assert cold["verdict"].startswith("unsafe to run: Trigger is empty") and "trigger_and_approval_present" in cold["fix"]
    assert metadata["broken"].value == 5
    stale = next(r.data for r in rows if r.data["playbook"] == "Stale Deal Nudge")
    assert stale["verdict"] == "ok" and "at 08:00 on Mon (Europe/Paris)" in stale["n8n"]
    assert stale["last_n8n_execution"].startswith("success at ")
    churn = next(r.data for r in rows if r.data["playbook"] == "Churn Rescue")
    assert churn["dagster_schedule"].startswith("running (default)") and churn["last_run"].startswith("success")
    assert len(metadata["n8n_workflows_matching_no_playbook"].value) == 2
    assert metadata["n8n_schedule_never_fires"].value == []

    schedule = defs.get_repository_def().get_schedule_def("playbook__churn_rescue")
    set_schedule_running(instance, schedule, False)
    checks, metadata = audit(defs, instance)
    flagged = offenders(checks["enabled_matches_schedule"])
    assert set(flagged) == {"Renewal Reminder — 30 Days", "Webinar Attendee Follow-up", "Churn Rescue"}
    assert "playbook__churn_rescue is stopped" in flagged["Churn Rescue"]


def test_n8n_refusing_the_key_leaves_its_column_unknown_and_the_audit_running(local_resources, instance):
    from clawbot_assets.demo.data import n8n_workflows
    from clawbot_assets.resources.n8n import N8nApiResource
    from tests.fakes.n8n_server import FakeN8n

    with FakeN8n(api_key="n8n_right_key", workflows=n8n_workflows()) as server:
        resources = {**local_resources, "n8n": N8nApiResource(secrets=FixedSecretsResource(values={"N8N_API_KEY": "n8n_wrong_key_42"}), base_url=server.url)}
        checks, metadata = audit(defs_for(resources), instance)
    assert "401" in metadata["n8n"].value and "n8n_wrong_key_42" not in metadata["n8n"].value
    rows = {r.data["playbook"]: r.data for r in metadata["audit"].value.records}
    assert rows["Stale Deal Nudge"]["n8n"].startswith("unknown") and rows["Stale Deal Nudge"]["verdict"].startswith("unknown")
    single = checks["enabled_matches_schedule"]
    assert not single.passed and single.severity == dg.AssetCheckSeverity.WARN
    assert "401" in single.metadata["n8n_unknown"].value
    assert "Stale Deal Nudge" in single.metadata["unknown_playbooks"].value


def test_a_key_without_execution_read_leaves_the_executions_unknown_and_says_why(local_resources, instance):
    import datetime as dt

    from clawbot_assets.demo.data import n8n_executions, n8n_workflows
    from clawbot_assets.resources.n8n import N8nApiResource
    from tests.fakes.n8n_server import FakeN8n

    workflows = n8n_workflows()
    executions = n8n_executions(workflows, dt.datetime.now(dt.timezone.utc))
    secrets = FixedSecretsResource(values={"N8N_API_KEY": "n8n_right_key"})
    for scope, expected in ((True, "success at "), (False, "unknown (GET ")):
        with FakeN8n(api_key="n8n_right_key", workflows=workflows, executions=executions, execution_scope=scope) as server:
            resources = {**local_resources, "n8n": N8nApiResource(secrets=secrets, base_url=server.url)}
            _, metadata = audit(defs_for(resources), instance)
            asked = [r for r in server.requests if r.path == "/api/v1/executions"]
        stale = next(r.data for r in metadata["audit"].value.records if r.data["playbook"] == "Stale Deal Nudge")
        assert stale["last_n8n_execution"].startswith(expected), stale
        if scope:
            assert stale["verdict"] == "ok"
        else:
            assert "execution:read" in stale["last_n8n_execution"] and stale["verdict"].startswith("unknown") and "execution:read" in stale["verdict"]
            # The asset and its checks each gather once; each asks one workflow, then stops asking.
            assert len(asked) == 2 and len({r.query["workflowId"][0] for r in asked}) == 1


def test_reconcile_dry_run_changes_nothing_then_apply_leaves_only_n8n_proposals(local_resources, instance):
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    run_every_playbook(defs, instance, LIVE_IN_DAGSTER)
    set_schedule_running(instance, defs.get_repository_def().get_schedule_def("playbook__churn_rescue"), False)
    reconcile = defs.resolve_job_def("reconcile")

    metadata = _op_metadata(reconcile.execute_in_process(instance=instance))
    assert metadata["dagster_changes"].value == ["[dagster] Churn Rescue: start playbook__churn_rescue (Enabled=True, Scheduler=dagster)"]
    assert metadata["ssot_changes"].value == ["[ssot] Renewal Reminder — 30 Days: Status Live -> Paused"]
    assert len(metadata["n8n_proposals"].value) == 3
    checks, _ = audit(defs, instance)
    assert "Churn Rescue" in offenders(checks["enabled_matches_schedule"])

    reconcile.execute_in_process(instance=instance, run_config={"ops": {"reconcile_ssot": {"config": {"apply": True}}}})
    checks, _ = audit(defs, instance)
    sides = {f.split("Fix (")[1].split(")")[0] for check in checks.values() for text in offenders(check).values() for f in text.split(" | ")}
    assert sides == {"n8n"}
    assert checks["status_reflects_reality"].passed
    rerun = _op_metadata(reconcile.execute_in_process(instance=instance, run_config={"ops": {"reconcile_ssot": {"config": {"apply": True}}}}))
    assert rerun["dagster_changes"].value == [] and rerun["ssot_changes"].value == []


def _op_metadata(result):
    (event,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return event.event_specific_data.metadata


def test_reconcile_refuses_to_apply_when_the_code_location_loaded_no_playbook_schedules(local_resources, instance):
    """Without its snapshot every playbook reads "scheduled nowhere": applying would write
    Paused over every Live Status. It fails instead, naming the cause, and writes nothing."""
    from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE

    defs = defs_for(local_resources, snapshot=[])
    before = local_resources["ssot"].client().list_records(PLAYBOOKS_TABLE)
    result = defs.resolve_job_def("reconcile").execute_in_process(
        instance=instance, run_config={"ops": {"reconcile_ssot": {"config": {"apply": True}}}}, raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "snapshot is missing or stale" in failure.step_failure_data.user_failure_data.description
    assert local_resources["ssot"].client().list_records(PLAYBOOKS_TABLE) == before


def test_a_partition_materialised_from_the_catalog_counts_as_the_playbooks_run(local_resources, instance):
    """The Catalog's Materialize runs Dagster's implicit asset job, not ``playbook_run``: the
    audit judges the run by the partition and the asset it executed."""
    defs = defs_for(local_resources)
    materialize_playbooks(defs, instance)
    from_catalog = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection={dg.AssetKey("playbook_tasks")})
    for slug in LIVE_IN_DAGSTER:
        result = from_catalog.execute_in_process(instance=instance, partition_key=slug)
        assert result.success and result.dagster_run.job_name != "playbook_run"
    checks, metadata = audit(defs, instance)
    assert checks["status_reflects_reality"].passed is False
    assert set(offenders(checks["status_reflects_reality"])) == {"Renewal Reminder — 30 Days"}
    churn = next(r.data for r in metadata["audit"].value.records if r.data["playbook"] == "Churn Rescue")
    assert churn["last_run"].startswith("success")
