"""ops_metrics gathers the dashboard's figures and publishes every metric the dashboards and
alarms refer to (moto CloudWatch), and a CloudWatch that refuses everything loses the metrics,
not the run."""

import boto3
import pytest
from moto import mock_aws

from clawbot_assets.names import SCHEDULED_FOR_TAG
from clawbot_assets.observability.dashboards import referenced_metrics
from clawbot_assets.observability.metrics import METRICS, NAMESPACE
from clawbot_assets.resources.metrics import CloudWatchMetricsResource
from tests.dagster.helpers import TICK, defs_for, materialize_playbooks


def run(defs, job, instance, **options):
    return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False, **options)


@pytest.fixture
def cloudwatch(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.client("cloudwatch")


def test_ops_metrics_publishes_every_metric_the_dashboards_chart(local_resources, instance, cloudwatch):
    defs = defs_for({**local_resources, "metrics": CloudWatchMetricsResource(region_name="us-east-1")})
    materialize_playbooks(defs, instance)
    run(defs, "playbook_run", instance, partition_key="warm_demo_follow_up", tags={SCHEDULED_FOR_TAG: TICK.isoformat()})
    assert run(defs, "nightly_dedupe", instance).success
    assert run(defs, "dispatch_sales_tasks", instance).success
    assert run(defs, "reference_worker", instance).success
    result = run(defs, "publish_ops_metrics", instance)
    assert result.success
    figures = {name: value.value for name, value in result.asset_materializations_for_node("ops_metrics")[0].metadata.items()}
    assert figures["TasksDeduplicated"] > 0 and figures["TasksCreated"] > 0 and figures["TasksSentLastHour"] > 0
    assert figures["GuardrailIntercepts"] > 0 and figures["lost"] == 0
    assert figures["TasksCreated[Playbook=warm_demo_follow_up]"] == figures["TasksCreated"]
    published = {metric["MetricName"] for metric in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]}
    assert published == {spec.name for spec in METRICS} >= referenced_metrics()


def test_an_unreachable_cloudwatch_loses_the_metrics_but_not_the_run(local_resources, instance, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    defs = defs_for({**local_resources, "metrics": CloudWatchMetricsResource(region_name="us-east-1", max_attempts=1)})
    result = run(defs, "publish_ops_metrics", instance)
    assert result.success
    figures = result.asset_materializations_for_node("ops_metrics")[0].metadata
    assert figures["published"].value == 0 and figures["lost"].value > 0
