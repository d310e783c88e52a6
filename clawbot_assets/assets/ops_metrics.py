"""The ``ops_metrics`` asset: queue depth, send rate, guardrail intercepts, tasks created and
deduplicated, Airtable requests per job and the budget's steady-state share, every five minutes, as numeric metadata the UI plots and, with
``CLAWBOT_METRICS=cloudwatch``, as CloudWatch custom metrics in namespace ``ClawBot``."""

import datetime as dt
from collections import Counter

import dagster as dg

from clawbot_assets.adapters.queue import QueueUnavailableError
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.assets.airtable_budget import LOOKBACK, NIGHTLY_JOBS
from clawbot_assets.domain.airtable_budget import summarise
from clawbot_assets.domain.ssot_query import FieldOnOrAfter
from clawbot_assets.domain.task_lifecycle import SENT_AT_FIELD
from clawbot_assets.names import OPS_METRICS, PLAYBOOK_TASKS, SALES_DISPATCH, TASK_QUEUE_SALES
from clawbot_assets.observability.gather import (
    activity_points,
    budget_points,
    intercepts_by_reason,
    queue_points,
    sent_by_playbook,
)
from clawbot_assets.resources.metrics import MetricsResource
from clawbot_assets.resources.queue import QueueResource
from clawbot_assets.resources.ssot import SsotResource

#: The first run, with no previous one, looks back this far.
DEFAULT_INTERVAL = dt.timedelta(minutes=5)


def _materialisations_since(instance: dg.DagsterInstance, asset: str, since: dt.datetime) -> list:
    records_filter = dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), after_timestamp=since.timestamp())
    return instance.fetch_materializations(records_filter, limit=1000).records


def _figures(record) -> dict[str, float]:
    metadata = record.asset_materialization.metadata if record.asset_materialization else {}
    return {name: value.value for name, value in metadata.items() if isinstance(value.value, (int, float)) and not isinstance(value.value, bool)}


def _interval_start(instance: dg.DagsterInstance, now: dt.datetime) -> dt.datetime:
    latest = instance.get_latest_materialization_event(dg.AssetKey(OPS_METRICS))
    return dt.datetime.fromtimestamp(latest.timestamp, dt.timezone.utc) if latest else now - DEFAULT_INTERVAL


@dg.asset(name=OPS_METRICS, kinds={"cloudwatch"}, group_name="operations")
def ops_metrics(
    context: dg.AssetExecutionContext, ssot: SsotResource, queue: QueueResource, metrics: MetricsResource
) -> dg.MaterializeResult:
    """What the operations dashboard shows. Intercepts, created and deduplicated count what
    happened since the previous run of this asset; the send rate is the last hour's."""
    now = dt.datetime.now(dt.timezone.utc)
    since = _interval_start(context.instance, now)
    points = []
    try:
        visible = queue.queue().depth()
        points += queue_points(visible.visible, visible.in_flight, queue.dead_letter().depth().total)
    except QueueUnavailableError as error:
        context.log.warning(f"queue depth unavailable, left out of this run: {error}")
    # Sent in the last hour by the worker's own stamp, not "sent and modified lately": a dedupe or
    # a restore modifies sent records without sending anything.
    sent = sent_by_playbook(
        ssot.client().select(TASKS_TABLE, FieldOnOrAfter(SENT_AT_FIELD, now - dt.timedelta(hours=1)),
                             fields=["Status", "Playbook", SENT_AT_FIELD])
    )
    playbook_runs = _materialisations_since(context.instance, PLAYBOOK_TASKS, since)
    created: Counter[str] = Counter()
    for record in playbook_runs:
        created[record.partition_key or "unknown"] += _figures(record).get("created", 0)
    intercepts = intercepts_by_reason(
        [_figures(record) for record in _materialisations_since(context.instance, SALES_DISPATCH, since)],
        sum(_figures(record).get("intercepted_do_not_contact", 0) for record in playbook_runs),
    )
    deduplicated = sum(_figures(r).get("removed", 0) for r in _materialisations_since(context.instance, TASK_QUEUE_SALES, since))
    points += activity_points(sent, intercepts, created, deduplicated)
    counts = ssot.request_counts(now - LOOKBACK)
    points += budget_points(summarise([(row.job, row.hour, row.requests) for row in counts], now, NIGHTLY_JOBS))
    report = metrics.publish(points)
    if report.lost:
        context.log.warning(f"{report.lost} datapoints were not accepted by {metrics.destination()} and are lost: {report.errors}")
    return dg.MaterializeResult(
        metadata={
            **{point.label: dg.MetadataValue.float(float(point.value)) for point in points},
            "interval_start": since.isoformat(),
            "published_to": metrics.destination(),
            "published": report.published,
            "lost": report.lost,
        }
    )
