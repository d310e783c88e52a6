"""Jobs around the worker's queue: the dispatch, the local reference worker, and DLQ triage."""

import dagster as dg

from clawbot_assets.assets.sales_dispatch import sales_dispatch
from clawbot_assets.names import (
    AIRTABLE_POOL,
    DLQ_INCIDENT_TAG,
    DLQ_TRIAGE_JOB,
    REFERENCE_WORKER_JOB,
    SALES_DISPATCH_JOB,
)
from clawbot_assets.instance.run_tags import api_tags
from clawbot_assets.resources.queue import QueueResource
from clawbot_assets.resources.secrets import SecretsResource, SigningKeyUnavailableError, signing_key
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.triage import run_triage, safe_text
from clawbot_assets.services.worker import WORKER_VISIBILITY_SECONDS, run_worker

dispatch_sales_tasks_job = dg.define_asset_job(
    SALES_DISPATCH_JOB,
    selection=dg.AssetSelection.assets(sales_dispatch),
    tags=api_tags(airtable=True, hubspot=True),
    description="Dispatch tasks to the worker's queue through the guardrails (refuses unless unique_composite_key passed).",
)


class WorkerConfig(dg.Config):
    max_messages: int = 100
    visibility_timeout: int = WORKER_VISIBILITY_SECONDS
    """Seconds a received message stays hidden; an unhandled one comes back after it."""


@dg.op(pool=AIRTABLE_POOL)
def consume_queue(
    context: dg.OpExecutionContext, config: WorkerConfig, ssot: SsotResource, queue: QueueResource, secrets: SecretsResource
) -> dg.Output[int]:
    """Receives task messages, 'sends' each (a log line), marks its task sent, deletes the message.
    A body it cannot read is left for redelivery, so it reaches the DLQ after the maximum receives."""
    try:
        key = signing_key(secrets)
    except SigningKeyUnavailableError as error:
        raise dg.Failure(description=f"Nothing received: {error}", allow_retries=False) from None
    report = run_worker(ssot.client(), queue.queue(), lambda task: context.log.info(f"sent {task.channel} for {task.key}"),
                        max_messages=config.max_messages, visibility_timeout=config.visibility_timeout,
                        signing_key=key, accept_unsigned=key is None and secrets.unsigned_allowed())
    for message_id, reason in report.left_for_redelivery.items():
        context.log.warning(f"left message {message_id} for redelivery (then the DLQ): {safe_text(reason)}")
    return dg.Output(len(report.sent), metadata=report.figures())


@dg.job(name=REFERENCE_WORKER_JOB, tags=api_tags(airtable=True))
def reference_worker():
    """The local stand-in for the real worker: consume the queue and mark tasks sent."""
    consume_queue()


class TriageConfig(dg.Config):
    redrive: bool = False
    """Send the task messages back to the queue (dry run unless true)."""
    delete_malformed: bool = False
    """Delete malformed messages from the DLQ after listing them in this run's metadata."""
    max_messages: int = 1000


@dg.op(pool=AIRTABLE_POOL)
def triage_dead_letters(context: dg.OpExecutionContext, config: TriageConfig, ssot: SsotResource, queue: QueueResource) -> dg.Output[int]:
    """Reads the DLQ, marks each message's task failed with the reason, and redrives on request."""
    report = run_triage(ssot.client(), queue.dead_letter(), queue.queue(), redrive=config.redrive,
                        delete_malformed=config.delete_malformed, limit=config.max_messages, start_redrive=queue.start_redrive,
                        run_id=context.run_id)
    incident = context.run.tags.get(DLQ_INCIDENT_TAG, "")
    listing = [{"message_id": m.message_id, "key": m.key and safe_text(m.key), "reason": safe_text(m.reason),
                "body": safe_text(m.body[:500])} for m in report.messages[:50]]
    if report.unread_depth:
        context.log.warning(f"read no message while the DLQ's depth counts {report.unread_depth}: another reader holds "
                            "them (they come back within its visibility timeout); run dlq_triage again in a minute")
    if report.dry_run and report.messages:
        context.log.info("dry run: nothing redriven. To redrive, launch dlq_triage with config "
                         '{"ops": {"triage_dead_letters": {"config": {"redrive": true}}}}')
    return dg.Output(len(report.messages), metadata={
        **report.figures(), "dry_run": report.dry_run, "incident": incident,
        "redrive_method": report.redrive_method or "none", "messages": dg.MetadataValue.json(listing),
    })


@dg.job(name=DLQ_TRIAGE_JOB, tags=api_tags(airtable=True))
def dlq_triage():
    """Triage the dead-letter queue: mark each message's task failed with the reason; redrive
    with config ``redrive: true`` (a dry run otherwise)."""
    triage_dead_letters()
