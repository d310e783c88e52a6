"""The dashboards and alarms in deploy/observability are generated from the one metric list."""

import json
from pathlib import Path

from clawbot_assets.observability import dashboards
from clawbot_assets.observability.metrics import METRICS, NAMESPACE, SQS_OLDEST_MESSAGE_AGE

DEPLOYED = Path(__file__).resolve().parents[2] / "deploy" / "observability"


def test_the_committed_files_are_what_the_generator_makes():
    for name, text in dashboards.render().items():
        assert (DEPLOYED / name).read_text() == text, f"{name} is stale: python -m clawbot_assets.observability.dashboards"


def test_every_panel_and_alarm_refers_to_a_published_metric():
    published = {spec.name for spec in METRICS}
    assert dashboards.referenced_metrics() <= published
    cloudwatch = json.loads((DEPLOYED / "cloudwatch_dashboard.json").read_text())
    lines = [line for widget in cloudwatch["widgets"] for line in widget["properties"]["metrics"]]
    assert [tuple(line[:2]) for line in lines if line[0] != NAMESPACE] == [SQS_OLDEST_MESSAGE_AGE]
    charted = {line[1] for line in lines if line[0] == NAMESPACE}
    grafana = json.loads((DEPLOYED / "grafana_dashboard.json").read_text())
    graphed = {target["metricName"] for panel in grafana["panels"] for target in panel["targets"]}
    alarmed = {
        query["MetricStat"]["Metric"]["MetricName"]
        for alarm in json.loads((DEPLOYED / "cloudwatch_alarms.json").read_text())
        for query in alarm["Metrics"]
        if "MetricStat" in query and query["MetricStat"]["Metric"]["Namespace"] == NAMESPACE
    }
    assert charted == graphed and (charted | alarmed) <= published
    assert {"QueueDepth", "DlqDepth", "TasksSentLastHour", "GuardrailIntercepts"} <= charted


def test_the_alarms_the_roadmap_asks_for():
    names = {alarm["AlarmName"] for alarm in dashboards.alarms()}
    assert {"clawbot-dlq-not-empty", "clawbot-send-rate-zero-in-business-hours", "clawbot-intercept-spike"} <= names
    assert "clawbot-daemon-heartbeat-stopped" in names
