"""The CloudWatch dashboard, the Grafana dashboard (CloudWatch datasource) and the CloudWatch
alarms, generated from ``metrics.METRICS``. The files under ``deploy/observability/`` are this
module's output; a test fails when they are stale or chart a metric nothing publishes.

    python -m clawbot_assets.observability.dashboards deploy/observability
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from clawbot_assets.observability.metrics import (
    AIRTABLE_BUDGET_SHARE,
    AIRTABLE_REQUESTS,
    DLQ_DEPTH,
    INTERCEPTS,
    NAMESPACE,
    SQS_OLDEST_MESSAGE_AGE,
    QUEUE_DEPTH,
    QUEUE_IN_FLIGHT,
    SENT_LAST_HOUR,
    TASKS_CREATED,
    TASKS_DEDUPLICATED,
    MetricSpec,
)

REGION = "${AWS::Region}"
PERIOD = 300
#: (title, metrics on one chart, statistic)
PANELS: tuple[tuple[str, tuple[MetricSpec, ...], str], ...] = (
    ("Queue depth", (QUEUE_DEPTH, QUEUE_IN_FLIGHT), "Maximum"),
    ("Dead-letter queue depth", (DLQ_DEPTH,), "Maximum"),
    ("Send rate: tasks sent in the last hour", (SENT_LAST_HOUR,), "Maximum"),
    ("Guardrail intercepts", (INTERCEPTS,), "Sum"),
    ("Tasks created and deduplicated", (TASKS_CREATED, TASKS_DEDUPLICATED), "Sum"),
    ("Airtable requests in the last hour, and the steady state's % of the budget", (AIRTABLE_REQUESTS, AIRTABLE_BUDGET_SHARE), "Maximum"),
)
ALARM_TOPIC = "${AlertTopicArn}"


def cloudwatch_dashboard() -> dict[str, Any]:
    widgets = []
    for index, (title, metrics, statistic) in enumerate(PANELS):
        widgets.append(
            {
                "type": "metric",
                "x": (index % 2) * 12,
                "y": (index // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "region": REGION,
                    "stat": statistic,
                    "period": PERIOD,
                    "metrics": [[NAMESPACE, spec.name] for spec in metrics],
                },
            }
        )
    widgets.append(
        {
            "type": "metric",
            "x": 0,
            "y": (len(PANELS) + 1) // 2 * 6,
            "width": 24,
            "height": 6,
            "properties": {
                "title": "Oldest waiting message (s), from SQS",
                "region": REGION,
                "stat": "Maximum",
                "period": PERIOD,
                "metrics": [[*SQS_OLDEST_MESSAGE_AGE, "QueueName", "${QueueName}"]],
            },
        }
    )
    return {"widgets": widgets}


def grafana_dashboard() -> dict[str, Any]:
    panels = []
    for index, (title, metrics, statistic) in enumerate(PANELS):
        panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "cloudwatch", "uid": "${datasource}"},
                "gridPos": {"x": (index % 2) * 12, "y": (index // 2) * 8, "w": 12, "h": 8},
                "targets": [
                    {
                        "refId": chr(ord("A") + position),
                        "region": "default",
                        "namespace": NAMESPACE,
                        "metricName": spec.name,
                        "dimensions": {},
                        "statistic": statistic,
                        "period": str(PERIOD),
                        "matchExact": True,
                    }
                    for position, spec in enumerate(metrics)
                ],
            }
        )
    return {
        "title": "ClawBot operations",
        "uid": "clawbot-ops",
        "schemaVersion": 39,
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "cloudwatch"}]},
        "panels": panels,
    }


def _metric_query(query_id: str, spec: MetricSpec, statistic: str, *, returned: bool = True) -> dict[str, Any]:
    return {
        "Id": query_id,
        "ReturnData": returned,
        "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": spec.name}, "Period": PERIOD, "Stat": statistic},
    }


def alarms() -> list[dict[str, Any]]:
    """CloudWatch ``PutMetricAlarm`` arguments, without the region-specific topic filled in."""
    common = {"ActionsEnabled": True, "AlarmActions": [ALARM_TOPIC], "OKActions": [ALARM_TOPIC]}
    return [
        {
            **common,
            "AlarmName": "clawbot-dlq-not-empty",
            "AlarmDescription": "The dead-letter queue holds messages. Runbook: docs/runbooks (the DLQ is not empty).",
            "Metrics": [_metric_query("dlq", DLQ_DEPTH, "Maximum")],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "EvaluationPeriods": 1,
            "TreatMissingData": "notBreaching",
        },
        {
            **common,
            "AlarmName": "clawbot-send-rate-zero-in-business-hours",
            "AlarmDescription": "No task was sent for an hour on a weekday between 09:00 and 18:00 UTC.",
            "Metrics": [
                _metric_query("sent", SENT_LAST_HOUR, "Maximum", returned=False),
                {
                    "Id": "business",
                    "ReturnData": True,
                    "Expression": "IF(DAY(sent) <= 5 AND HOUR(sent) >= 9 AND HOUR(sent) < 18, sent, 1)",
                    "Label": "sent in business hours (1 outside them)",
                },
            ],
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 1,
            "EvaluationPeriods": 3,
            "TreatMissingData": "breaching",
        },
        {
            **common,
            "AlarmName": "clawbot-intercept-spike",
            "AlarmDescription": "More than 25 tasks were intercepted by guardrails in five minutes.",
            "Metrics": [_metric_query("intercepts", INTERCEPTS, "Sum")],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 25,
            "EvaluationPeriods": 1,
            "TreatMissingData": "notBreaching",
        },
    ]


def referenced_metrics() -> set[str]:
    """Every metric name a panel or an alarm refers to."""
    names = {spec.name for _title, metrics, _stat in PANELS for spec in metrics}
    for alarm in alarms():
        names |= {query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query}
    return names


FILES = {
    "cloudwatch_dashboard.json": cloudwatch_dashboard,
    "grafana_dashboard.json": grafana_dashboard,
    "cloudwatch_alarms.json": alarms,
}


def render() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2, sort_keys=True) + "\n" for name, build in FILES.items()}


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (directory / name).write_text(text)


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "deploy/observability"))
