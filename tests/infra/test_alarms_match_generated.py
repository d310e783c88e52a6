"""The template's alarms are the ones clawbot_assets/observability/dashboards.py generates
(deploy/observability/cloudwatch_alarms.json): same names, metrics, thresholds and actions.
CloudFormation's alarm properties carry PutMetricAlarm's names, so the comparison is direct
once the topic reference is written back as the generator's placeholder."""

import json

from clawbot_assets.observability import dashboards
from clawbot_assets.observability.dashboards import ALARM_TOPIC, PAGER_TOPIC, alarms
from tests.infra.cfn_template import ALARMS_JSON, load_template, resources_of_type

#: What the generator's placeholders stand for in the template.
PLACEHOLDERS = {
    ALARM_TOPIC: {"Ref": "AlertTopic"},
    PAGER_TOPIC: {"Ref": "PagerTopic"},
    dashboards.LOAD_BALANCER: {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
    dashboards.DATABASE: {"Ref": "Database"},
}


def _as_generated(value):
    """The template's alarm with its references written back as the generator's placeholders."""
    for placeholder, reference in PLACEHOLDERS.items():
        if value == reference:
            return placeholder
    if isinstance(value, dict):
        return {key: _as_generated(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_as_generated(inner) for inner in value]
    return value


def _normalised(alarm: dict) -> str:
    return json.dumps(alarm, sort_keys=True)


def test_template_alarms_are_the_generated_alarms():
    template_alarms = {
        properties["AlarmName"]: _as_generated(properties)
        for _, properties in resources_of_type(load_template(), "AWS::CloudWatch::Alarm")
    }
    generated = {alarm["AlarmName"]: alarm for alarm in alarms()}
    assert sorted(template_alarms) == sorted(generated)
    for name, alarm in generated.items():
        assert _normalised(template_alarms[name]) == _normalised(alarm), name


def test_the_generated_file_is_what_the_template_was_compared_with():
    assert json.loads(ALARMS_JSON.read_text()) == json.loads(json.dumps(alarms()))


def test_the_alarms_name_the_templates_queues_cluster_and_services():
    template = load_template()
    queues = {queue["QueueName"] for _, queue in resources_of_type(template, "AWS::SQS::Queue")}
    assert {dashboards.QUEUE_NAME, dashboards.DLQ_NAME} == queues
    services = {service["ServiceName"] for _, service in resources_of_type(template, "AWS::ECS::Service")}
    assert set(dashboards.ALWAYS_RUNNING) == services
    (cluster,) = [c["ClusterName"] for _, c in resources_of_type(template, "AWS::ECS::Cluster")]
    assert cluster == dashboards.CLUSTER_NAME
    # Container Insights publishes RunningTaskCount only where it is enabled.
    (settings,) = [c["ClusterSettings"] for _, c in resources_of_type(template, "AWS::ECS::Cluster")]
    assert {"Name": "containerInsights", "Value": "enabled"} in settings or {"Name": "containerInsights", "Value": "enhanced"} in settings


def test_alarms_on_aws_metrics_cover_queue_dlq_alb_database_services_and_the_daemon_heartbeat():
    """They fire when Dagster is down: none of them reads a metric Dagster publishes (ClawBot)."""
    watched = {}
    for alarm in alarms():
        for query in alarm["Metrics"]:
            if "MetricStat" in query:
                metric = query["MetricStat"]["Metric"]
                dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                watched.setdefault((metric["Namespace"], metric["MetricName"]), []).append((alarm["AlarmName"], dimensions))
    for queue in (dashboards.QUEUE_NAME, dashboards.DLQ_NAME):
        for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
            assert any(d == {"QueueName": queue} for _, d in watched[("AWS/SQS", metric)]), (queue, metric)
    (dlq_alarm,) = [a for a in alarms() if a["AlarmName"] == "clawbot-dlq-not-empty"]
    assert {q["MetricStat"]["Metric"]["Namespace"] for q in dlq_alarm["Metrics"] if "MetricStat" in q} == {"AWS/SQS"}
    assert ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count") in watched and ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count") in watched
    assert ("AWS/RDS", "CPUUtilization") in watched and ("AWS/RDS", "FreeStorageSpace") in watched
    running = {d["ServiceName"] for _, d in watched[("ECS/ContainerInsights", "RunningTaskCount")]}
    assert running == set(dashboards.ALWAYS_RUNNING)
    ((name, _),) = watched[dashboards.HEARTBEAT]
    (heartbeat,) = [a for a in alarms() if a["AlarmName"] == name]
    assert heartbeat["TreatMissingData"] == "breaching", "no heartbeat at all is the failure it exists for"


def test_the_stack_creates_the_generated_dashboard_for_its_own_queue():
    """The dashboard is a resource of the stack (not a manual PutDashboard), its body the
    generator's, with the region and the task queue's name filled in by CloudFormation."""
    ((_, dashboard),) = list(resources_of_type(load_template(), "AWS::CloudWatch::Dashboard"))
    body, variables = dashboard["DashboardBody"]["Fn::Sub"]
    assert json.loads(body) == dashboards.cloudwatch_dashboard()
    assert variables == {"QueueName": {"Fn::GetAtt": ["TaskQueue", "QueueName"]}}
