"""The nightly_dedupe job and the checks on task_queue_sales, run as Dagster runs them."""

import dagster as dg

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.assets.task_queue_sales import task_queue_sales
from clawbot_assets.checks.queue_checks import key_integrity, no_new_duplicates_7d
from clawbot_assets.names import Checks
from clawbot_assets.services.dedupe_runner import run_dedupe
from tests.dagster.helpers import defs_for, table_state


def checks_of(result):
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def test_nightly_job_dedupes_and_its_checks_pass(backend, instance):
    defs = defs_for(backend)
    result = defs.resolve_job_def("nightly_dedupe").execute_in_process(instance=instance)
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    for name in ("records", "duplicate_groups", "removed", "deals_contacted_twice", "api_requests"):
        assert isinstance(metadata[name].value, int), name
    assert metadata["removed"].value > 0 and metadata["deals_contacted_twice"].value > 0
    checks = checks_of(result)
    assert checks[Checks.UNIQUE_COMPOSITE_KEY].passed
    assert not checks[Checks.EVERY_RECORD_HAS_KEY].passed  # the 3 legacy rows no key can be derived from
    assert len(checks[Checks.EVERY_RECORD_HAS_KEY].metadata["offenders"].value) == 3


def test_restore_job_undoes_a_dedupe_run(backend, instance):
    defs = defs_for(backend)
    before = table_state(backend)
    dedupe = defs.resolve_job_def("nightly_dedupe").execute_in_process(instance=instance)
    restore = defs.resolve_job_def("restore_dedupe").execute_in_process(
        instance=instance, run_config={"ops": {"restore_dedupe_run": {"config": {"dedupe_run_id": dedupe.run_id}}}}
    )
    assert restore.success and restore.output_for_node("restore_dedupe_run") > 0
    assert len(table_state(backend)) == len(before)


def test_restore_of_an_unknown_run_fails_clearly(local_resources, instance):
    result = defs_for(local_resources).resolve_job_def("restore_dedupe").execute_in_process(
        instance=instance, run_config={"ops": {"restore_dedupe_run": {"config": {"dedupe_run_id": "nope"}}}}, raise_on_error=False
    )
    assert not result.success
    assert "archived no records" in result.failure_data_for_node("restore_dedupe_run").user_failure_data.description


@dg.asset(deps=[task_queue_sales])
def downstream_of_the_queue(context: dg.AssetExecutionContext) -> None:
    """Stands for the dispatch that must never read a queue with duplicate keys."""


def test_a_duplicate_left_in_the_queue_fails_the_blocking_check_and_stops_downstream(local_resources, instance):
    client = local_resources["ssot"].client()
    run_dedupe(client, local_resources["ssot"].dedupe_state(), run_id="clean-first")
    survivor = client.list_records(TASKS_TABLE)[0]["fields"]
    client.create(TASKS_TABLE, [dict(survivor)])
    defs = dg.Definitions(
        assets=[task_queue_sales, downstream_of_the_queue],
        asset_checks=[key_integrity, no_new_duplicates_7d],
        resources=local_resources,
    )
    result = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey("task_queue_sales"), dg.AssetKey("downstream_of_the_queue")}
    ).execute_in_process(
        instance=instance,
        run_config={"ops": {"task_queue_sales": {"config": {"dry_run": True}}}},
        raise_on_error=False,
    )
    unique = checks_of(result)[Checks.UNIQUE_COMPOSITE_KEY]
    assert not unique.passed and unique.metadata["duplicate_keys"].value == 1
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("downstream_of_the_queue") not in materialized


def test_no_new_duplicates_7d_lists_unaudited_days_before_any_run(local_resources, instance):
    result = dg.materialize([task_queue_sales, no_new_duplicates_7d], resources=local_resources, instance=instance,
                            run_config={"ops": {"task_queue_sales": {"config": {"dry_run": True}}}})
    verdict = checks_of(result)[Checks.NO_NEW_DUPLICATES_7D]
    assert not verdict.passed and len(verdict.metadata["unaudited_days"].value) == 7


def test_an_unkeyable_record_fails_every_record_has_key_in_an_incremental_run(backend, instance):
    job = defs_for(backend).resolve_job_def("nightly_dedupe")
    assert job.execute_in_process(instance=instance).success
    backend["ssot"].client().create(TASKS_TABLE, [{"Playbook": "Churn Rescue", "Deal ID": "5", "Due Date": "31/02/2026"}])
    result = job.execute_in_process(instance=instance)
    assert result.get_asset_materialization_events()[0].materialization.metadata["mode"].value == "incremental"
    check = checks_of(result)[Checks.EVERY_RECORD_HAS_KEY]
    assert not check.passed and any("31/02/2026" in why for why in check.metadata["offenders"].value.values())
