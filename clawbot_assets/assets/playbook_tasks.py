"""The ``playbook_tasks`` asset: one playbook run turns its trigger stage's deals into tasks."""

import datetime as dt
from typing import Iterator

import dagster as dg

from clawbot_assets.assets.hubspot import hubspot_deal_pipelines
from clawbot_assets.assets.partitions import playbook_partitions
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.assets.shadow_events import plan_observation
from clawbot_assets.instance.dagster_internals import add_run_tags
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.instance.pool_guard import check_airtable_pool
from clawbot_assets.names import AIRTABLE_POOL, SCHEDULED_FOR_TAG, SHADOW_TAG, SKIPPED_TAG
from clawbot_assets.observability.logs import for_task
from clawbot_assets.resources.crm import CrmResource
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.playbook_run import PlaybookRefused, PlaybookRunReport, run_playbook


def scheduled_for(context: dg.AssetExecutionContext) -> dt.datetime:
    """The tick this run belongs to; a manual run belongs to now."""
    tag = context.run.tags.get(SCHEDULED_FOR_TAG)
    return dt.datetime.fromisoformat(tag) if tag else dt.datetime.now(dt.timezone.utc)


@dg.asset(
    partitions_def=playbook_partitions,
    deps=[playbooks, hubspot_deal_pipelines],
    kinds={"airtable", "hubspot"},
    group_name="playbooks",
    pool=AIRTABLE_POOL,
    output_required=False,
)
def playbook_tasks(
    context: dg.AssetExecutionContext, ssot: SsotResource, crm: CrmResource
) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
    """Upserts one task per deal in the playbook's trigger stage into task_queue_sales, on Key.

    The Due Date is the scheduled date in the playbook's timezone, so a second firing of the
    same tick computes the same keys and changes nothing. A playbook that is disabled or owned
    by n8n is skipped: no materialisation, an observation saying why, and the run is tagged
    ``clawbot/skipped``. A playbook in shadow (n8n still writes it) computes its tasks and
    writes nothing: an observation records the plan, to be compared with what n8n wrote by
    ``cutover_readiness``, and the run is tagged ``clawbot/shadow``. A playbook that is not safe
    to run fails the run, writing nothing.
    """
    slug = context.partition_key
    pool_metadata = check_airtable_pool(context)
    try:
        report = run_playbook(ssot.client(), crm.client(), slug, scheduled_for(context), DAGSTER_SCHEDULE_RULES)
    except PlaybookRefused as refused:
        raise dg.Failure(description=str(refused), metadata={"problems": refused.problems}, allow_retries=False) from None
    if report.skipped:
        context.log.info(f"playbook {report.playbook.name!r} is {report.skipped}: no task written")
        add_run_tags(context.instance, context.run.run_id, {SKIPPED_TAG: report.skipped})
        yield dg.AssetObservation(asset_key=context.asset_key, partition=slug, metadata={"skipped": report.skipped})
        return
    if report.shadow_plan is not None:
        yield from shadow_outcome(context, report)
        return
    for key in report.intercepted_keys:
        context.log.info(for_task(key, "deal flagged do-not-contact in HubSpot: its task was created intercepted"))
    metadata = {**report.figures(), **pool_metadata}
    if report.ambiguous or report.key_mismatch:
        raise dg.Failure(description=held_back_description(report), metadata={**metadata, **held_back_metadata(report)})
    yield dg.MaterializeResult(metadata=metadata)


def shadow_outcome(context: dg.AssetExecutionContext, report: PlaybookRunReport) -> Iterator[dg.AssetObservation]:
    """A scheduled tick records its plan, to be compared with n8n's writes of the same tick. A
    manual run has no n8n tick to compare with: it says what it computed and records no plan."""
    plan = report.shadow_plan
    assert plan is not None
    context.log.info(f"playbook {report.playbook.name!r} is in shadow: {len(plan.tasks)} tasks computed, none written")
    add_run_tags(context.instance, context.run.run_id, {SHADOW_TAG: f"would write {len(plan.tasks)} tasks"})
    if SCHEDULED_FOR_TAG in context.run.tags:
        yield plan_observation(plan)
    else:
        note = f"manual run in shadow: {len(plan.tasks)} tasks computed, none written, not compared (no n8n tick)"
        yield dg.AssetObservation(asset_key=context.asset_key, partition=plan.slug, metadata={"shadow": note})


def held_back_description(report: PlaybookRunReport) -> str:
    """Why some keys were not written; the rest were."""
    parts = []
    if report.ambiguous:
        parts.append(
            f"{len(report.ambiguous)} keys are stored on several records, so they were not upserted; "
            "run the nightly_dedupe job, then re-execute this run from its run page (a new run "
            "of the partition would be dated today, not the tick's date)"
        )
    if report.key_mismatch:
        parts.append(
            f"{len(report.key_mismatch)} keys are stored on a record whose own fields are another task "
            f"({', '.join(sorted(report.key_mismatch)[:10])}), so nothing was written to them; a person must "
            "decide which is right (see the keys_match_fields check on task_queue_sales)"
        )
    return "; ".join(parts) + ". Every other task was written."


def held_back_metadata(report: PlaybookRunReport) -> dict[str, dg.MetadataValue]:
    metadata = {}
    if report.ambiguous:
        metadata["ambiguous_keys"] = dg.MetadataValue.json(report.ambiguous)
    if report.key_mismatch:
        metadata["key_mismatch"] = dg.MetadataValue.json(report.key_mismatch)
    return metadata
