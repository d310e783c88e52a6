"""The ``task_queue_sales`` asset: the sales task queue, deduplicated on its composite key."""

import datetime as dt

import dagster as dg

from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.names import AIRTABLE_POOL
from clawbot_assets.resources.ssot_resource import SsotResource
from clawbot_assets.services.dedupe_runner import DedupeReport, run_dedupe

#: Offending ids and keys are listed in metadata up to this many; the counts are always exact.
LISTED = 50


class DedupeConfig(dg.Config):
    dry_run: bool = False
    """Compute and report the plan; write nothing."""
    mode: str = "auto"
    """auto (incremental, full when the last full pass is a week old), incremental or full."""
    overlap_minutes: int = 60
    """An incremental run re-reads this far behind the watermark, against clock skew."""


def _listed(items: list | dict) -> dg.MetadataValue:
    head = dict(list(items.items())[:LISTED]) if isinstance(items, dict) else list(items)[:LISTED]
    return dg.MetadataValue.json(head)


@dg.asset(deps=[playbook_tasks], kinds={"airtable"}, group_name="task_queue", pool=AIRTABLE_POOL)
def task_queue_sales(context: dg.AssetExecutionContext, config: DedupeConfig, ssot: SsotResource) -> dg.Output[DedupeReport]:
    """Removes duplicate tasks: one record per Key, survivor by Status, archived before deletion.

    Reversible with the ``restore_dedupe`` job and this run's id. Records whose key cannot be
    derived are kept and listed. Run with ``dry_run: true`` to see the plan without writing.
    """
    report = run_dedupe(
        ssot.client(),
        ssot.dedupe_state(),
        run_id=context.run_id,
        mode=config.mode,
        dry_run=config.dry_run,
        overlap=dt.timedelta(minutes=config.overlap_minutes),
    )
    plan = report.plan
    context.log.info(f"dedupe {report.mode}{' (dry run)' if report.dry_run else ''}: {report.metadata()}")
    if plan.contacted_twice:
        context.log.warning(f"{len(plan.contacted_twice)} deals were already contacted twice: {plan.contacted_twice[:LISTED]}")
    for record_id, problem in list(plan.unkeyable.items())[:LISTED]:
        context.log.warning(f"kept record {record_id} without a key: {problem}")
    return dg.Output(
        report,
        metadata={
            **report.metadata(),
            "contacted_twice_keys": _listed(plan.contacted_twice),
            "unkeyable_records": _listed(plan.unkeyable),
            "unknown_statuses": _listed(plan.unknown_statuses),
            "planned_deletes": _listed(plan.deletes),
            "duplicates_created_by_day": dg.MetadataValue.json(plan.duplicates_created_by_day),
        },
    )
