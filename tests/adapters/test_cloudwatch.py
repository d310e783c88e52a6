"""Publishing to CloudWatch (moto): batched put_metric_data, dimensions, and throttling that
ends as metrics logged as lost, never as a failed run."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from clawbot_assets.adapters.cloudwatch import publish
from clawbot_assets.observability.metrics import DLQ_DEPTH, INTERCEPTS, NAMESPACE, SENT_LAST_HOUR, Datapoint


@pytest.fixture
def cloudwatch(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.client("cloudwatch")


def test_points_are_published_with_their_dimensions(cloudwatch):
    points = [Datapoint(DLQ_DEPTH, 3), Datapoint(SENT_LAST_HOUR, 7, {"Playbook": "churn_rescue"})]
    points += [Datapoint(INTERCEPTS, i, {"Reason": f"reason_{i}"}) for i in range(600)]
    report = publish(cloudwatch, points)
    assert (report.published, report.lost) == (602, 0)
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {metric["MetricName"] for metric in listed} == {"DlqDepth", "TasksSentLastHour", "GuardrailIntercepts"}
    sent = next(metric for metric in listed if metric["MetricName"] == "TasksSentLastHour")
    assert sent["Dimensions"] == [{"Name": "Playbook", "Value": "churn_rescue"}]


def test_a_refused_batch_is_reported_lost_and_the_rest_goes_on():
    class Throttled:
        calls = 0

        def put_metric_data(self, **_):
            self.calls += 1
            if self.calls == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "PutMetricData")

    client = Throttled()
    report = publish(client, [Datapoint(DLQ_DEPTH, n) for n in range(700)])
    assert (report.published, report.lost) == (200, 500) and report.errors == ["ClientError: Throttling"]


def test_a_dimension_a_metric_does_not_have_is_refused():
    with pytest.raises(ValueError, match="no dimension"):
        Datapoint(DLQ_DEPTH, 1, {"Playbook": "x"})
