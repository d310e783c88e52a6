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

from clawbot_assets.domain.alert_routing import should_page
from clawbot_assets.domain.runbooks import alarm_runbook
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
#: The channel's topic (every WARN alarm, every recovery) and the pager's (every ERROR alarm).
ALARM_TOPIC = "${AlertTopicArn}"
PAGER_TOPIC = "${PagerTopicArn}"
#: Placeholders for what only the deployed stack knows; the template passes the real values.
LOAD_BALANCER = "${LoadBalancerFullName}"
DATABASE = "${DatabaseInstanceId}"
#: Names the template fixes (deploy/cloudformation/clawbot.yaml).
QUEUE_NAME = "clawbot-sales.fifo"
DLQ_NAME = "clawbot-sales-dlq.fifo"
CLUSTER_NAME = "clawbot"
#: ECS services that must always run a task, and the alarm that says one does not.
ALWAYS_RUNNING = ("clawbot-daemon", "clawbot-code-server", "clawbot-webserver", "clawbot-worker")
#: Published by the daemon's health check while Dagster's liveness check passes
#: (clawbot_assets/instance/healthcheck.py), not by ops_metrics.
HEARTBEAT = ("ClawBot/Dagster", "DaemonHeartbeat")


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


def _aws_metric_query(query_id: str, namespace: str, name: str, dimensions: dict[str, str], statistic: str,
                      *, returned: bool = True) -> dict[str, Any]:
    """A metric AWS publishes itself: it keeps coming when Dagster is down."""
    metric = {"Namespace": namespace, "MetricName": name,
              "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()]}
    if not dimensions:
        del metric["Dimensions"]
    return {"Id": query_id, "ReturnData": returned, "MetricStat": {"Metric": metric, "Period": PERIOD, "Stat": statistic}}


def _sqs(query_id: str, name: str, queue: str) -> dict[str, Any]:
    return _aws_metric_query(query_id, "AWS/SQS", name, {"QueueName": queue}, "Maximum")


def _alarm(name: str, severity: str, description: str, metrics: list[dict[str, Any]], operator: str,
           threshold: float, periods: int, missing: str) -> dict[str, Any]:
    """One alarm, routed like the sensors' alerts (``domain/alert_routing.py``): an ERROR alarm
    pages (the pager topic), a WARN one goes to the channel (the alert topic); every recovery
    (OK) goes to the channel. Its description ends with the runbook to follow."""
    paging = should_page("cloudwatch_alarm", severity)
    return {
        "ActionsEnabled": True,
        "AlarmActions": [PAGER_TOPIC if paging else ALARM_TOPIC],
        "OKActions": [ALARM_TOPIC],
        "AlarmName": name,
        "AlarmDescription": f"{severity}: {description} Runbook: {alarm_runbook(name)}",
        "Metrics": metrics,
        "ComparisonOperator": operator,
        "Threshold": threshold,
        "EvaluationPeriods": periods,
        "TreatMissingData": missing,
    }


def _aws_alarms() -> list[dict[str, Any]]:
    """Alarms on AWS's own metrics (SQS, ALB, RDS, ECS Container Insights) and the daemon's
    heartbeat: they fire when Dagster itself is down, which its own metrics cannot."""
    found = [
        _alarm("clawbot-dlq-not-empty", "ERROR",
               "The dead-letter queue holds messages (AWS/SQS, so it fires with Dagster down).",
               [_sqs("dlq", "ApproximateNumberOfMessagesVisible", DLQ_NAME)], "GreaterThanThreshold", 0, 1, "notBreaching"),
        _alarm("clawbot-dlq-oldest-message-age", "WARN",
               "A message has waited in the dead-letter queue for more than a day without triage.",
               [_sqs("age", "ApproximateAgeOfOldestMessage", DLQ_NAME)], "GreaterThanThreshold", 86400, 1, "notBreaching"),
        _alarm("clawbot-queue-backlog", "WARN",
               "More than 500 tasks wait in the sales queue for 15 minutes: the worker is not keeping up.",
               [_sqs("visible", "ApproximateNumberOfMessagesVisible", QUEUE_NAME)], "GreaterThanThreshold", 500, 3, "notBreaching"),
        _alarm("clawbot-queue-oldest-message-age", "ERROR",
               "A task has waited in the sales queue for more than 15 minutes: the worker is down or stuck.",
               [_sqs("age", "ApproximateAgeOfOldestMessage", QUEUE_NAME)], "GreaterThanThreshold", 900, 2, "notBreaching"),
        _alarm("clawbot-alb-5xx", "WARN",
               "The load balancer answered more than 10 5xx in five minutes (its own or the webserver's and worker's).",
               [
                   _aws_metric_query("elb", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", {"LoadBalancer": LOAD_BALANCER}, "Sum", returned=False),
                   _aws_metric_query("target", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"LoadBalancer": LOAD_BALANCER}, "Sum", returned=False),
                   {"Id": "errors", "ReturnData": True, "Expression": "FILL(elb, 0) + FILL(target, 0)", "Label": "5xx answers"},
               ], "GreaterThanThreshold", 10, 1, "notBreaching"),
        _alarm("clawbot-database-cpu-high", "WARN", "Dagster's Postgres has used more than 80% CPU for 15 minutes.",
               [_aws_metric_query("cpu", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": DATABASE}, "Average")],
               "GreaterThanThreshold", 80, 3, "breaching"),
        _alarm("clawbot-database-storage-low", "ERROR", "Dagster's Postgres has less than 2 GiB of free storage.",
               [_aws_metric_query("free", "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": DATABASE}, "Minimum")],
               "LessThanThreshold", 2 * 1024**3, 1, "breaching"),
        _alarm("clawbot-daemon-heartbeat-stopped", "ERROR",
               "No daemon heartbeat for 15 minutes: the Dagster daemon is down, stuck or cannot reach its database; no schedule, sensor or queued run moves.",
               [_aws_metric_query("heartbeat", *HEARTBEAT, {}, "Sum")], "LessThanThreshold", 1, 3, "breaching"),
    ]
    for service in ALWAYS_RUNNING:
        found.append(_alarm(
            f"{service}-not-running", "ERROR", f"The ECS service {service} has had no running task for 10 minutes.",
            [_aws_metric_query("running", "ECS/ContainerInsights", "RunningTaskCount",
                               {"ClusterName": CLUSTER_NAME, "ServiceName": service}, "Minimum")],
            "LessThanThreshold", 1, 2, "breaching"))
    return found


def alarms() -> list[dict[str, Any]]:
    """CloudWatch ``PutMetricAlarm`` arguments, without the region-specific topics filled in."""
    return [
        *_aws_alarms(),
        _alarm("clawbot-send-rate-zero-in-business-hours", "WARN",
               "No task was sent for an hour on a weekday between 09:00 and 18:00 UTC.",
               [
                   _metric_query("sent", SENT_LAST_HOUR, "Maximum", returned=False),
                   {
                       "Id": "business",
                       "ReturnData": True,
                       "Expression": "IF(DAY(sent) <= 5 AND HOUR(sent) >= 9 AND HOUR(sent) < 18, sent, 1)",
                       "Label": "sent in business hours (1 outside them)",
                   },
               ], "LessThanThreshold", 1, 3, "breaching"),
        _alarm("clawbot-intercept-spike", "WARN", "More than 25 tasks were intercepted by guardrails in five minutes.",
               [_metric_query("intercepts", INTERCEPTS, "Sum")], "GreaterThanThreshold", 25, 1, "notBreaching"),
    ]


def referenced_metrics() -> set[str]:
    """Every metric name in namespace ``ClawBot`` a panel or an alarm refers to."""
    names = {spec.name for _title, metrics, _stat in PANELS for spec in metrics}
    for alarm in alarms():
        names |= {
            query["MetricStat"]["Metric"]["MetricName"]
            for query in alarm["Metrics"]
            if "MetricStat" in query and query["MetricStat"]["Metric"]["Namespace"] == NAMESPACE
        }
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
