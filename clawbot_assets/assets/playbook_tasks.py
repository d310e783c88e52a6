"""The ``playbook_tasks`` asset: one playbook run turns its trigger stage's deals into tasks."""


import datetime as dt

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.assets.hubspot import hubspot_deal_pipelines
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.domain.playbook import Playbook, validate_playbooks
from clawbot_assets.domain.tasks import due_date_for, plan_upsert, task_rows
from clawbot_assets.names import AIRTABLE_POOL, SCHEDULED_FOR_TAG
from clawbot_assets.partitions import playbook_partitions
from clawbot_assets.resources.crm_resource import CrmResource
from clawbot_assets.resources.ssot_resource import SsotResource


def scheduled_for(context: dg.AssetExecutionContext) -> dt.datetime:
    """The tick this run belongs to; a manual run belongs to now."""
    tag = context.run.tags.get(SCHEDULED_FOR_TAG)
    return dt.datetime.fromisoformat(tag) if tag else dt.datetime.now(dt.timezone.utc)


def _load_playbook(ssot_client, slug: str) -> Playbook:
    """Read the playbook live: the SSOT may have changed since the schedules' snapshot."""
    for validation in validate_playbooks(ssot_client.list_records(PLAYBOOKS_TABLE)):
        if validation.playbook and validation.playbook.slug == slug:
            if not validation.safe_to_run:
                raise dg.Failure(
                    description=f"Playbook {validation.name!r} is not safe to run, no task was created: {validation.describe()}",
                    metadata={"playbook": validation.name, "problems": [problem.code for problem in validation.problems]},
                    allow_retries=False,
                )
            return validation.playbook
    raise dg.Failure(description=f"No playbook with slug {slug!r} in the SSOT; refresh the snapshot", allow_retries=False)


@dg.asset(
    partitions_def=playbook_partitions,
    deps=[playbooks, hubspot_deal_pipelines],
    kinds={"airtable", "hubspot"},
    group_name="playbooks",
    pool=AIRTABLE_POOL,
)
def playbook_tasks(context: dg.AssetExecutionContext, ssot: SsotResource, crm: CrmResource) -> dg.MaterializeResult:
    """Upserts one task per deal in the playbook's trigger stage into task_queue_sales, on Key.

    The Due Date is the scheduled date in the playbook's timezone, so a second firing of the
    same tick computes the same keys and changes nothing.
    """
    ssot_client, crm_client = ssot.client(), crm.client()
    playbook = _load_playbook(ssot_client, context.partition_key)
    if not playbook.scheduled_by_dagster:
        reason = "not Enabled" if not playbook.enabled else f"owned by {playbook.scheduler}, not dagster"
        context.log.info(f"playbook {playbook.name!r} is {reason}: no tasks created")
        return dg.MaterializeResult(metadata={"skipped": reason, "created": 0, "updated": 0, "unchanged": 0})

    assert playbook.trigger is not None  # safe_to_run guarantees it
    deals = crm_client.deals_in_stage(playbook.trigger.pipeline_id, playbook.trigger.stage_id)
    due_date = due_date_for(playbook, scheduled_for(context))
    rows = task_rows(playbook, [deal.id for deal in deals], due_date)
    plan = plan_upsert(rows, ssot_client.find_by_keys(TASKS_TABLE, [row["Key"] for row in rows]))
    outcome = ssot_client.upsert(TASKS_TABLE, plan.writes)
    metadata = {
        "due_date": due_date.isoformat(),
        "deals": len(deals),
        "do_not_contact_deals": sum(deal.do_not_contact for deal in deals),
        "created": len(outcome.created),
        "updated": len(outcome.updated),
        "unchanged": len(plan.unchanged),
        "ssot_requests": ssot_client.requests_made,
        "crm_requests": crm_client.requests_made,
    }
    if plan.ambiguous:
        raise dg.Failure(
            description=(
                f"{len(plan.ambiguous)} keys are stored on several records, so they were not upserted; "
                "run the nightly_dedupe job, then re-execute this run from its run page (a new run "
                "of the partition would be dated today, not the tick's date)"
            ),
            metadata={**metadata, "ambiguous_keys": dg.MetadataValue.json(plan.ambiguous)},
        )
    return dg.MaterializeResult(metadata=metadata)
