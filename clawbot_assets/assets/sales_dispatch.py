"""The ``sales_dispatch`` asset: tasks through the guardrails onto the worker's queue."""

import datetime as dt

import dagster as dg

from clawbot_assets.assets.dedupe_events import ASSET_KEY as TASK_QUEUE_SALES_KEY
from clawbot_assets.assets.task_queue_sales import LISTED, task_queue_sales
from clawbot_assets.instance.check_history import latest_check_record
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.names import AIRTABLE_429S, AIRTABLE_POOL, SALES_DISPATCH, Checks
from clawbot_assets.resources.backends import ALLOW_UNSIGNED
from clawbot_assets.resources.crm import CrmResource
from clawbot_assets.resources.queue import QueueResource
from clawbot_assets.resources.secrets import SecretsResource, SigningKeyUnavailableError, signing_key
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.dispatch import DispatchSendError, run_dispatch

UNIQUE_KEY_CHECK = dg.AssetCheckKey(TASK_QUEUE_SALES_KEY, Checks.UNIQUE_COMPOSITE_KEY)


def uniqueness_refusal(instance: dg.DagsterInstance) -> str | None:
    """Why dispatch must not run, or ``None``: ``unique_composite_key`` must have passed after
    the latest materialisation of ``task_queue_sales``, in this run or an earlier one."""
    record = latest_check_record(instance, UNIQUE_KEY_CHECK)
    if record is None:
        return f"{Checks.UNIQUE_COMPOSITE_KEY} has never been evaluated: run the nightly_dedupe job first"
    status, evaluated_at, passed = record
    if status != "SUCCEEDED" or not passed:
        return f"the latest {Checks.UNIQUE_COMPOSITE_KEY} did not pass ({status.lower()}): fix the duplicates (nightly_dedupe), then re-run it"
    materialization = instance.get_latest_materialization_event(TASK_QUEUE_SALES_KEY)
    if materialization is not None and materialization.timestamp > evaluated_at:
        return f"task_queue_sales was materialised after the latest {Checks.UNIQUE_COMPOSITE_KEY} passed: execute the check again"
    return None


@dg.asset(name=SALES_DISPATCH, deps=[task_queue_sales], kinds={"airtable", "sqs"}, group_name="task_queue", pool=AIRTABLE_POOL)
def sales_dispatch(
    context: dg.AssetExecutionContext, ssot: SsotResource, crm: CrmResource, queue: QueueResource, secrets: SecretsResource
) -> dg.MaterializeResult:
    """Sends dispatchable tasks (pending or approved, of Enabled playbooks owned by Dagster) to
    the worker's queue after every guardrail: each ends ``queued``, held for approval, or
    ``intercepted`` with its Intercept Reason. Refuses to run unless ``unique_composite_key``
    passed after the latest dedupe. Crash-safe: see clawbot_assets/services/dispatch.py."""
    refusal = uniqueness_refusal(context.instance)
    if refusal:
        raise dg.Failure(description=f"Nothing dispatched: {refusal}", allow_retries=False)
    try:
        key = signing_key(secrets)
    except SigningKeyUnavailableError as error:
        raise dg.Failure(description=f"Nothing dispatched: {error}", allow_retries=False) from None
    if key is None:
        context.log.warning(f"{ALLOW_UNSIGNED}=true and no ClawBot password is configured: messages go unsigned")
    client = ssot.client()
    try:
        report = run_dispatch(
            client, crm.client(), queue.queue(), now=dt.datetime.now(dt.timezone.utc), rules=DAGSTER_SCHEDULE_RULES,
            on_batch_sent=lambda keys: context.log.debug(f"sent {len(keys)} to the queue"), signing_key=key,
        )
    except DispatchSendError as error:
        raise dg.Failure(description=str(error), metadata=error.report.figures()) from None
    context.log.info(f"dispatch: {report.figures()}")
    if report.unconfirmed:
        context.log.warning(f"{len(report.unconfirmed)} tasks were left dispatching longer than the dedup window; "
                            f"see docs/runbooks/dlq_not_empty.md, 'Dispatch unconfirmed': {report.unconfirmed[:LISTED]}")
    return dg.MaterializeResult(metadata={
        **report.figures(),
        AIRTABLE_429S: client.rate_limited_responses,
        "intercepts_by_playbook": dg.MetadataValue.json(report.intercepted_by_playbook),
        "not_dispatchable_by_reason": dg.MetadataValue.json(report.not_dispatchable),
        "unconfirmed_keys": dg.MetadataValue.json(report.unconfirmed[:LISTED]),
        "send_failures": dg.MetadataValue.json(dict(list(report.send_failed.items())[:LISTED])),
        "queue": queue.describe(),
    })
