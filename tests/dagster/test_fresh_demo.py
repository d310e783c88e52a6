"""What a new user sees on a fresh embedded demo: no default schedule launches a run bound to
fail or with nothing to do, and every check can be executed on its own from the UI."""

import dagster as dg
import pytest

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.names import PLAYBOOKS, SSOT_AUDIT, TASK_QUEUE_SALES, Checks
from tests.dagster.helpers import defs_for


def tick(defs, name, instance, resources):
    schedule = defs.resolve_schedule_def(name)
    with dg.build_schedule_context(instance=instance, resources=resources) as context:  # the alerter nests resources
        return schedule.evaluate_tick(context)


def test_dispatch_ticks_skip_with_the_reason_until_the_keys_are_unique(local_resources, instance):
    defs = defs_for(local_resources)
    before = tick(defs, "sales_dispatch_schedule", instance, local_resources)
    assert not before.run_requests and "run the nightly_dedupe job first" in before.skip_message

    assert defs.resolve_job_def("nightly_dedupe").execute_in_process(instance=instance).success
    after = tick(defs, "sales_dispatch_schedule", instance, local_resources)
    assert len(after.run_requests) == 1 and not after.skip_message


def test_the_reference_worker_ticks_only_when_the_queue_has_a_message(local_resources, instance):
    defs = defs_for(local_resources)
    idle = tick(defs, "reference_worker_schedule", instance, local_resources)
    assert not idle.run_requests and "no visible message" in idle.skip_message

    local_resources["queue"].queue().send_batch([OutgoingMessage("k1", "g", "{}")])
    busy = tick(defs, "reference_worker_schedule", instance, local_resources)
    assert len(busy.run_requests) == 1


@pytest.mark.parametrize(
    ("asset", "check"),
    [
        (PLAYBOOKS, Checks.TRIGGER_AND_APPROVAL_PRESENT),
        (PLAYBOOKS, Checks.SCHEDULES_MATCH_SSOT),
        (SSOT_AUDIT, Checks.ENABLED_MATCHES_SCHEDULE),
        (TASK_QUEUE_SALES, Checks.EVERY_RECORD_HAS_KEY),
    ],
)
def test_each_check_executes_alone_without_materialising_its_asset(local_resources, instance, asset, check):
    """The UI enables a check's Execute button only when the check is its own execution set;
    the run then evaluates that check alone and materialises nothing."""
    defs = defs_for(local_resources)
    key = dg.AssetCheckKey(dg.AssetKey(asset), check)
    assert defs.resolve_asset_graph().get_execution_set_asset_and_check_keys(key) == {key}

    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(), asset_check_selection={key})
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    evaluated = [evaluation.check_name for evaluation in result.get_asset_check_evaluations()]
    assert evaluated == [check]
    assert not result.get_asset_materialization_events()
