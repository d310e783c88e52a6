"""Publishing metrics to CloudWatch with boto3's ``put_metric_data``.

Batched (CloudWatch takes at most 1,000 datums a call; batches of 500 keep well under its
1 MB limit), retried by botocore's standard retry mode on throttling, and never fatal: a
batch that is still refused is reported as lost, and the run goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from clawbot_assets.observability.metrics import NAMESPACE, Datapoint
from clawbot_assets.observability.tracing import external_call

BATCH = 500


@dataclass
class PublishReport:
    published: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)


def _datum(point: Datapoint, timestamp: dt.datetime) -> dict[str, Any]:
    return {
        "MetricName": point.metric.name,
        "Dimensions": [{"Name": name, "Value": value} for name, value in sorted(point.dimensions.items())],
        "Timestamp": timestamp,
        "Value": float(point.value),
        "Unit": point.metric.unit,
    }


def publish(client: Any, points: Sequence[Datapoint], namespace: str = NAMESPACE) -> PublishReport:
    report = PublishReport()
    now = dt.datetime.now(dt.timezone.utc)
    for start in range(0, len(points), BATCH):
        batch = points[start : start + BATCH]
        with external_call("cloudwatch", "PutMetricData", namespace) as span:
            span.record(records=len(batch))
            try:
                client.put_metric_data(Namespace=namespace, MetricData=[_datum(point, now) for point in batch])
                report.published += len(batch)
            except Exception as error:  # botocore's ClientError and connection errors alike
                report.lost += len(batch)
                report.errors.append(f"{type(error).__name__}: {getattr(error, 'response', {}).get('Error', {}).get('Code', '')}")
    return report
