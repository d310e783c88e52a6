"""The ``restore_dedupe`` job: put back every record one dedupe run removed."""

import dagster as dg

from clawbot_assets.names import AIRTABLE_POOL
from clawbot_assets.resources.ssot_resource import SsotResource
from clawbot_assets.services.dedupe_runner import restore_run


class RestoreConfig(dg.Config):
    dedupe_run_id: str
    """The Dagster run id of the dedupe run to undo (shown on its task_queue_sales materialisation)."""


@dg.op(pool=AIRTABLE_POOL)
def restore_dedupe_run(context: dg.OpExecutionContext, config: RestoreConfig, ssot: SsotResource) -> dg.Output[int]:
    """Re-creates the archived records of that run that are no longer in task_queue_sales."""
    report = restore_run(ssot.client(), config.dedupe_run_id)
    if report.archived == 0:
        raise dg.Failure(description=f"Run {config.dedupe_run_id!r} archived no records: nothing to restore. Check the run id.")
    context.log.info(
        f"restored {len(report.restored)} of {report.archived} archived records "
        f"({report.already_present} still present, {report.already_restored} restored before)"
    )
    return dg.Output(
        len(report.restored),
        metadata={
            "archived": report.archived,
            "restored": len(report.restored),
            "already_present": report.already_present,
            "already_restored": report.already_restored,
        },
    )


@dg.job(executor_def=dg.in_process_executor)
def restore_dedupe():
    """Undo one nightly_dedupe run: config ``ops.restore_dedupe_run.config.dedupe_run_id``."""
    restore_dedupe_run()
