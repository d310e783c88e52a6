"""The nightly_dedupe job and the checks on task_queue_sales, run as Dagster runs them, with
the dedupe's history in the instance's event log."""

import shutil

import dagster as dg
import pytest

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.assets.task_queue_sales import task_queue_sales
from clawbot_assets.checks.queue_checks import key_integrity, no_new_duplicates_7d
from clawbot_assets.demo.data import backlog_records, playbook_records
from clawbot_assets.names import Checks
from clawbot_assets.resources import local_resources as local_resources_for
from clawbot_assets.resources.ssot import LocalSsotResource
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.dagster.helpers import defs_for, table_state
from tests.fakes.airtable_server import FakeAirtable
from tests.instances import instance_for_test


ARCHIVE_TABLE = "task_queue_sales_archive"


def checks_of(result):
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def verdicts(result):
    return {name: (evaluation.passed, evaluation.severity) for name, evaluation in checks_of(result).items()}


def nightly(defs, instance, **options):
    return defs.resolve_job_def("nightly_dedupe").execute_in_process(instance=instance, raise_on_error=False, **options)


def materialization_metadata(result):
    return {name: value.value for name, value in result.get_asset_materialization_events()[0].materialization.metadata.items()}


def test_nightly_job_dedupes_and_its_checks_pass(backend, instance):
    result = nightly(defs_for(backend), instance)
    assert result.success
    metadata = materialization_metadata(result)
    for name in ("records_read", "table_records", "duplicate_groups", "removed", "deals_contacted_twice", "api_requests"):
        assert isinstance(metadata[name], int), name
    assert metadata["removed"] > 0 and metadata["deals_contacted_twice"] > 0
    assert metadata["table_records"] == metadata["records_read"] - metadata["removed"] == len(table_state(backend))
    checks = checks_of(result)
    assert checks[Checks.UNIQUE_COMPOSITE_KEY].passed
    assert not checks[Checks.EVERY_RECORD_HAS_KEY].passed  # the 3 legacy rows no key can be derived from
    assert len(checks[Checks.EVERY_RECORD_HAS_KEY].metadata["offenders"].value) == 3
    assert not checks[Checks.NO_DEAL_CONTACTED_TWICE].passed


def test_an_incremental_run_remembers_what_the_full_pass_found(local_resources, instance):
    """Keyless rows and deals contacted twice stay visible until fixed or acknowledged."""
    defs = defs_for(local_resources)
    first = nightly(defs, instance)
    second = nightly(defs, instance)
    metadata = materialization_metadata(second)
    assert metadata["mode"] == "incremental"
    assert metadata["unkeyable"] == 3 and metadata["deals_contacted_twice"] == materialization_metadata(first)["deals_contacted_twice"] > 0
    assert not checks_of(second)[Checks.EVERY_RECORD_HAS_KEY].passed
    assert len(checks_of(second)[Checks.EVERY_RECORD_HAS_KEY].metadata["offenders"].value) == 3
    assert not checks_of(second)[Checks.NO_DEAL_CONTACTED_TWICE].passed


def test_acknowledging_deals_contacted_twice_closes_them(local_resources, instance):
    defs = defs_for(local_resources)
    keys = materialization_metadata(nightly(defs, instance))["contacted_twice_keys"]
    acknowledge = defs.resolve_job_def("acknowledge_contacted_twice")
    refused = acknowledge.execute_in_process(
        instance=instance, run_config={"ops": {"record_acknowledgement": {"config": {"keys": ["nope"], "note": "x"}}}}, raise_on_error=False
    )
    assert not refused.success
    assert acknowledge.execute_in_process(
        instance=instance, run_config={"ops": {"record_acknowledgement": {"config": {"keys": keys, "note": "called them, Lena"}}}}
    ).success
    after = nightly(defs, instance)
    assert materialization_metadata(after)["deals_contacted_twice"] == 0
    assert checks_of(after)[Checks.NO_DEAL_CONTACTED_TWICE].passed


def test_a_dry_run_is_no_materialisation_and_writes_nothing(local_resources, instance):
    defs = defs_for(local_resources)
    before = table_state(local_resources)
    result = defs.resolve_job_def("dedupe_dry_run").execute_in_process(instance=instance)
    assert result.success and result.dagster_run.tags["clawbot/dry_run"] == "true"
    assert not result.get_asset_materialization_events() and not result.get_asset_observation_events()
    planned = result.output_for_node("plan_dedupe_without_writing")
    assert planned > 0 and table_state(local_resources) == before
    assert instance.get_latest_materialization_event(dg.AssetKey("task_queue_sales")) is None

    metadata = {k: v for e in result.all_events if e.is_successful_output for k, v in e.event_specific_data.metadata.items()}
    assert "removed" not in metadata and metadata["would_remove"].value == planned
    table = metadata["planned_deletes"].value
    assert len(table.records) == min(planned, 50)
    first = table.records[0].data
    assert first["kept"] != first["record"] and first["key"].count("|") == 3

    real = nightly(defs, instance)
    assert materialization_metadata(real)["removed"] == planned


def test_restore_job_undoes_a_dedupe_run(backend, instance):
    defs = defs_for(backend)
    before = table_state(backend)
    dedupe = nightly(defs, instance)
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
def downstream_of_the_queue() -> None:
    """Stands for the dispatch that must never read a queue with duplicate keys."""


class N8nFiresMidRun(LocalSsotResource):
    """n8n inserts a copy of a task while the dedupe is deleting: the dedupe cannot see it."""

    def client(self):
        inner = super().client()
        original_archive = inner.archive

        def archive(run_id, records):
            original_archive(run_id, records)
            survivor = next(r for r in inner.list_records(TASKS_TABLE) if r["id"] not in {x["id"] for x in records})
            inner.create(TASKS_TABLE, [dict(survivor["fields"])])

        inner.archive = archive
        return inner


def test_a_duplicate_left_in_the_queue_fails_the_blocking_check_and_stops_downstream(local_resources, instance):
    resources = {**local_resources, "ssot": N8nFiresMidRun(data_dir=local_resources["ssot"].data_dir)}
    defs = dg.Definitions(assets=[task_queue_sales, downstream_of_the_queue], asset_checks=[key_integrity], resources=resources)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    unique = checks_of(result)[Checks.UNIQUE_COMPOSITE_KEY]
    assert not unique.passed and unique.metadata["duplicate_keys"].value == 1
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("downstream_of_the_queue") not in materialized


def test_no_new_duplicates_7d_lists_unaudited_days_before_any_run(local_resources, instance):
    only_the_check = dg.define_asset_job("only_the_check", selection=dg.AssetSelection.checks(no_new_duplicates_7d))
    defs = dg.Definitions(assets=[task_queue_sales], asset_checks=[no_new_duplicates_7d], jobs=[only_the_check], resources=local_resources)
    verdict = checks_of(defs.resolve_job_def("only_the_check").execute_in_process(instance=instance))[Checks.NO_NEW_DUPLICATES_7D]
    assert not verdict.passed and len(verdict.metadata["unaudited_days"].value) == 7


def test_an_unkeyable_record_fails_every_record_has_key_in_an_incremental_run(backend, instance):
    defs = defs_for(backend)
    assert nightly(defs, instance).success
    backend["ssot"].client().create(TASKS_TABLE, [{"Playbook": "Churn Rescue", "Deal ID": "5", "Due Date": "31/02/2026"}])
    result = nightly(defs, instance)
    assert materialization_metadata(result)["mode"] == "incremental"
    check = checks_of(result)[Checks.EVERY_RECORD_HAS_KEY]
    assert not check.passed and any("31/02/2026" in why for why in check.metadata["offenders"].value.values())
    assert len(check.metadata["offenders"].value) == 4


@pytest.mark.parametrize("lose_the_data_dir", [False, True], ids=["kept", "deleted"])
def test_deleting_the_data_dir_between_nightly_runs_changes_no_result(tmp_path, lose_the_data_dir):
    """Production runs are fresh containers: everything the dedupe needs is in Dagster's
    storage and in Airtable, so losing the local cache costs a full pass and nothing else."""
    data_dir = tmp_path / "data"
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server, instance_for_test() as instance:
        server.seed(BASE_ID, "Playbooks", playbook_records())
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        ssot = airtable_resource(server, data_dir, archive_dir=None, archive_table=ARCHIVE_TABLE)
        defs = defs_for({**local_resources_for(str(data_dir)), "ssot": ssot})
        first = nightly(defs, instance)
        if lose_the_data_dir:
            shutil.rmtree(data_dir)
        server.seed(BASE_ID, TASKS_TABLE, [dict(backlog_records()[0]["fields"], Status="cancelled")])
        second = nightly(defs, instance)
        metadata = materialization_metadata(second)
        assert metadata["mode"] == ("full" if lose_the_data_dir else "incremental")
        assert (metadata["removed"], metadata["duplicate_groups"], metadata["unkeyable"]) == (1, 1, 3)
        assert metadata["deals_contacted_twice"] == materialization_metadata(first)["deals_contacted_twice"]
        assert verdicts(second) == verdicts(first)
