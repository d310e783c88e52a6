"""The ``task_queue_sales`` asset: the sales task queue, deduplicated on its composite key."""

import datetime as dt

import dagster as dg

from clawbot_assets.assets.dedupe_events import committed_metadata, read_history, started_observation
from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.domain.dedupe import DedupePlan
from clawbot_assets.instance.pool_guard import check_airtable_pool
from clawbot_assets.names import AIRTABLE_POOL, TASK_QUEUE_SALES
from clawbot_assets.resources.key_index import KeyIndexResource
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.dedupe_runner import DedupeReport, run_dedupe

PLANNED_DELETE_COLUMNS = ("record", "key", "status", "kept")
#: Offending ids and keys are listed in metadata up to this many; the counts are always exact.
LISTED = 50


class DedupeConfig(dg.Config):
    mode: str = "auto"
    """auto (incremental, full when the last full pass is a week old), incremental or full."""
    overlap_minutes: int = 60
    """An incremental run re-reads this far behind the watermark, against clock skew."""


def listed(items: list | dict) -> dg.MetadataValue:
    head = dict(list(items.items())[:LISTED]) if isinstance(items, dict) else list(items)[:LISTED]
    return dg.MetadataValue.json(head)


def planned_deletes_table(plan: DedupePlan) -> dg.MetadataValue:
    """The first planned deletes as a table the UI renders: each record beside the one kept."""
    rows = [
        dg.TableRecord({"record": loser["id"], "key": plan.delete_keys[loser["id"]],
                        "status": str((loser.get("fields") or {}).get("Status", "")),
                        "kept": plan.survivors[plan.delete_keys[loser["id"]]]})
        for loser in plan.removed[:LISTED]
    ]
    return dg.MetadataValue.table(rows, schema=dg.TableSchema(columns=[dg.TableColumn(name) for name in PLANNED_DELETE_COLUMNS]))


def report_metadata(report: DedupeReport) -> dict:
    """The figures (plotted by the UI) and the first offenders of each kind."""
    plan = report.plan
    return {
        **report.figures(),
        "mode_reason": report.mode_reason or "as asked",
        "planned_deletes": planned_deletes_table(plan),
        "unknown_status_records": listed(plan.unknown_statuses),
    }


def log_findings(context: dg.AssetExecutionContext | dg.OpExecutionContext, report: DedupeReport) -> None:
    context.log.info(f"dedupe {report.mode}{' (dry run: nothing written)' if report.dry_run else ''}: {report.figures()}")
    if report.plan.contacted_twice:
        context.log.warning(f"{len(report.plan.contacted_twice)} deals were contacted twice: {report.plan.contacted_twice[:LISTED]}")
    for record_id, problem in list(report.unkeyable.items())[:LISTED]:
        context.log.warning(f"kept record {record_id} without a key: {problem}")


def dedupe_from_config(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    config: DedupeConfig,
    ssot: SsotResource,
    key_index: KeyIndexResource,
    *,
    dry_run: bool,
) -> DedupeReport:
    """One dedupe as the asset and the dry-run job both run it, with the history read from the
    event log; a real run records its *started* observation before its first write."""
    report = run_dedupe(
        ssot.client(),
        read_history(context.instance),
        key_index.store(),
        run_id=context.run.run_id,
        mode=config.mode,
        dry_run=dry_run,
        overlap=dt.timedelta(minutes=config.overlap_minutes),
        on_started=lambda run: context.log_event(started_observation(run)),
    )
    log_findings(context, report)
    return report


@dg.asset(name=TASK_QUEUE_SALES, deps=[playbook_tasks], kinds={"airtable"}, group_name="task_queue", pool=AIRTABLE_POOL)
def task_queue_sales(
    context: dg.AssetExecutionContext, config: DedupeConfig, ssot: SsotResource, key_index: KeyIndexResource
) -> dg.MaterializeResult:
    """Removes duplicate tasks: one record per Key, survivor by Status, archived before deletion.

    Reversible with the ``restore_dedupe`` job and this run's id. Records whose key cannot be
    derived are kept and listed. To see the plan without writing, launch ``dedupe_dry_run``.
    """
    pool_metadata = check_airtable_pool(context)
    report = dedupe_from_config(context, config, ssot, key_index, dry_run=False)
    return dg.MaterializeResult(metadata={**report_metadata(report), **committed_metadata(report), **pool_metadata})
