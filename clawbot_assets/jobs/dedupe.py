"""Operator jobs around the nightly dedupe: look before you leap, undo, and acknowledge.

- ``dedupe_dry_run`` plans a dedupe and writes nothing. It is its own job, not a config flag,
  so a dry run is never recorded as a materialisation of ``task_queue_sales`` and its run
  says what it was on the Runs page.
- ``restore_dedupe`` puts back every record one dedupe run removed.
- ``acknowledge_contacted_twice`` closes deals contacted twice once a person has followed up.
"""


import dagster as dg

from clawbot_assets.assets.dedupe_events import acknowledgement_observation, read_history
from clawbot_assets.assets.task_queue_sales import DedupeConfig, dedupe_from_config, report_metadata
from clawbot_assets.names import (
    ACKNOWLEDGE_CONTACTED_TWICE_JOB,
    AIRTABLE_POOL,
    DEDUPE_DRY_RUN_JOB,
    RESTORE_DEDUPE_JOB,
)
from clawbot_assets.instance.pool_guard import check_airtable_pool
from clawbot_assets.instance.run_tags import api_tags
from clawbot_assets.resources.key_index import KeyIndexResource
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.dedupe_runner import restore_run


@dg.op(pool=AIRTABLE_POOL)
def plan_dedupe_without_writing(
    context: dg.OpExecutionContext, config: DedupeConfig, ssot: SsotResource, key_index: KeyIndexResource
) -> dg.Output[int]:
    """Reads task_queue_sales and reports what the nightly dedupe would do; writes nothing."""
    pool_metadata = check_airtable_pool(context)
    report = dedupe_from_config(context, config, ssot, key_index, dry_run=True)
    return dg.Output(len(report.plan.deletes), metadata={"dry_run": True, **report_metadata(report), **pool_metadata})


@dg.job(name=DEDUPE_DRY_RUN_JOB, tags={"clawbot/dry_run": "true", **api_tags(airtable=True)})
def dedupe_dry_run():
    """Plan the nightly dedupe of task_queue_sales and report it; nothing is written."""
    plan_dedupe_without_writing()


class RestoreConfig(dg.Config):
    dedupe_run_id: str
    """The Dagster run id of the dedupe run to undo (shown on its task_queue_sales materialisation)."""


@dg.op(pool=AIRTABLE_POOL)
def restore_dedupe_run(context: dg.OpExecutionContext, config: RestoreConfig, ssot: SsotResource) -> dg.Output[int]:
    """Re-creates the archived records of that run that are no longer in task_queue_sales.
    Safe to run twice, and concurrently: exactly one copy of each record survives."""
    pool_metadata = check_airtable_pool(context)
    report = restore_run(ssot.client(), config.dedupe_run_id)
    if report.archived == 0:
        raise dg.Failure(description=f"Run {config.dedupe_run_id!r} archived no records: nothing to restore. Check the run id.")
    context.log.info(
        f"restored {len(report.restored)} of {report.archived} archived records "
        f"({report.already_present} still present, {report.already_restored} restored before, "
        f"{len(report.extra_copies_removed)} extra copies removed)"
    )
    return dg.Output(
        len(report.restored),
        metadata={
            "archived": report.archived,
            "restored": len(report.restored),
            "already_present": report.already_present,
            "already_restored": report.already_restored,
            "extra_copies_removed": len(report.extra_copies_removed),
            **pool_metadata,
        },
    )


@dg.job(name=RESTORE_DEDUPE_JOB, tags=api_tags(airtable=True))
def restore_dedupe():
    """Undo one nightly_dedupe run: config ``ops.restore_dedupe_run.config.dedupe_run_id``."""
    restore_dedupe_run()


class AcknowledgeConfig(dg.Config):
    keys: list[str]
    """Keys from ``contacted_twice_keys`` on the latest task_queue_sales materialisation."""
    note: str
    """Who followed up, and how."""


@dg.op
def record_acknowledgement(context: dg.OpExecutionContext, config: AcknowledgeConfig) -> None:
    """Records that a person followed up these deals; unknown keys are refused."""
    open_keys = set(read_history(context.instance).open_contacted_twice())
    unknown = sorted(set(config.keys) - open_keys)
    if unknown:
        raise dg.Failure(description=f"Not open deals contacted twice: {unknown}. Open: {sorted(open_keys)}")
    context.log_event(acknowledgement_observation(config.keys, config.note))


@dg.job(name=ACKNOWLEDGE_CONTACTED_TWICE_JOB)
def acknowledge_contacted_twice():
    """Close deals contacted twice after follow-up; then execute the check no_deal_contacted_twice."""
    record_acknowledgement()
