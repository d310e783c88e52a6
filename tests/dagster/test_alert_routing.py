"""Alerts routed by severity, end to end through the real sensors (issue 19): ERROR failures
and DLQ incidents page through the pager's SNS topic, WARN failures and recoveries go to the
channel (Slack's webhook fake, or a second SNS topic), on moto with an SQS queue subscribed to
each topic to read what was published. A pager that refuses falls back to the channel and the
alert is paged again on the next tick: nothing lost."""

import json
from contextlib import contextmanager

import dagster as dg
import pytest

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.resources import resources_from_env
from clawbot_assets.resources.alerts import Alert, AlertDeliveryError, RoutingAlerterResource, SlackAlerterResource, SnsAlerterResource
from clawbot_assets.resources.queue import LocalQueueResource
from sensors.check_alerts import build_check_failure_alert_sensor
from sensors.dlq_depth import build_dlq_depth_sensor
from tests.fakes.aws import REGION, SnsInboxes, fake_credentials
from tests.fakes.slack_webhook import Webhook

MISSING_TOPIC = f"arn:aws:sns:{REGION}:123456789012:no-such-pager"


@dg.asset
def guarded():
    return 1


def checks(verdicts: dict[str, list[bool]]):
    """An ERROR check ``severe`` and a WARN check ``mild`` on ``guarded``, answering ``verdicts`` in turn."""
    def build(name, severity):
        @dg.asset_check(asset=guarded, name=name)
        def verdict():
            return dg.AssetCheckResult(passed=verdicts[name].pop(0), severity=severity, metadata={"offenders": ["rec1"]})
        return verdict
    return [build("severe", dg.AssetCheckSeverity.ERROR), build("mild", dg.AssetCheckSeverity.WARN)]


@pytest.fixture
def topics(monkeypatch):
    from moto import mock_aws

    fake_credentials(monkeypatch)
    with mock_aws():
        yield SnsInboxes("pager", "channel")


@contextmanager
def scenario(instance, verdicts):
    sensor = build_check_failure_alert_sensor("http://ui", "https://github.com/acme/clawbot/blob/main")
    defs = dg.Definitions(assets=[guarded], asset_checks=checks(verdicts), sensors=[sensor])
    job = defs.resolve_implicit_global_asset_job_def()
    state = {"cursor": None}

    def tick(alerter, run: bool = True):
        if run:
            job.execute_in_process(instance=instance)
        with dg.build_sensor_context(instance=instance, resources={"alerter": alerter}, cursor=state["cursor"], definitions=defs) as context:
            state["cursor"] = sensor(context).cursor

    yield tick


def slack_texts() -> list[str]:
    texts = [json.loads(body)["text"] for body in Webhook.bodies]
    Webhook.bodies.clear()
    return texts


def test_errors_page_through_sns_and_warnings_and_recoveries_go_to_slack(instance, topics, webhook):  # noqa: F811
    alerter = RoutingAlerterResource(pager=SnsAlerterResource(topic_arn=topics.arn["pager"], region_name=REGION),
                                     channel=SlackAlerterResource(webhook_url=webhook, backoff_factor=0))
    with scenario(instance, {"severe": [False, True], "mild": [False, True]}) as tick:
        tick(alerter)
        [paged] = topics.received("pager")
        assert paged["Subject"] == "ClawBot check failed: guarded / severe"
        assert paged["MessageAttributes"]["route"]["Value"] == "pager" and paged["MessageAttributes"]["severity"]["Value"] == "ERROR"
        assert "runbook: https://github.com/acme/clawbot/blob/main/docs/runbooks/oncall.md#any-other-check" in paged["Message"]
        [posted] = slack_texts()
        assert posted.startswith("ClawBot check failed: guarded / mild") and "severity: WARN" in posted and "runbook: " in posted

        tick(alerter)
        assert topics.received("pager") == [], "recoveries never page"
        assert sorted(text.splitlines()[0] for text in slack_texts()) == [
            "ClawBot check recovered: guarded / mild", "ClawBot check recovered: guarded / severe"]


def test_a_page_the_pager_refuses_reaches_the_channel_and_is_paged_next_tick(instance, topics, webhook):  # noqa: F811
    channel = SlackAlerterResource(webhook_url=webhook, backoff_factor=0)
    broken = RoutingAlerterResource(pager=SnsAlerterResource(topic_arn=MISSING_TOPIC, region_name=REGION), channel=channel)
    with scenario(instance, {"severe": [False], "mild": [True]}) as tick:
        tick(broken)
        [fallback] = slack_texts()
        assert fallback.startswith("ClawBot check failed: guarded / severe") and "PAGER DELIVERY FAILED" in fallback

        tick(broken, run=False)
        assert "PAGER DELIVERY FAILED" in slack_texts()[0], "kept in the cursor, so retried"

        repaired = RoutingAlerterResource(pager=SnsAlerterResource(topic_arn=topics.arn["pager"], region_name=REGION), channel=channel)
        tick(repaired, run=False)
        assert [m["Subject"] for m in topics.received("pager")] == ["ClawBot check failed: guarded / severe"]
        assert slack_texts() == []
        tick(repaired, run=False)
        assert topics.received("pager") == [] and slack_texts() == [], "paged once, never again"


def test_pager_and_channel_both_down_raises_without_the_webhook_url():
    alerter = RoutingAlerterResource(pager=SnsAlerterResource(topic_arn=MISSING_TOPIC, region_name=REGION,
                                                              endpoint_url="http://127.0.0.1:9"),
                                     channel=SlackAlerterResource(webhook_url="http://127.0.0.1:9/hook-secret-path", retries=0))
    with pytest.raises(AlertDeliveryError, match="pager and channel both failed") as error:
        alerter.send(Alert(kind="dlq_incident", title="t", severity="ERROR"))
    assert "hook-secret-path" not in str(error.value)


def test_the_environment_routes_dlq_incidents_to_the_pager_topic_and_warnings_to_the_channel_topic(instance, topics, tmp_path):
    alerter = resources_from_env({"CLAWBOT_ALERTS": "sns", "CLAWBOT_ALERT_TOPIC_ARN": topics.arn["channel"],
                                  "CLAWBOT_PAGER_TOPIC_ARN": topics.arn["pager"], "AWS_REGION": REGION})["alerter"]
    assert isinstance(alerter, RoutingAlerterResource) and alerter.pager_configured()

    queue = LocalQueueResource(data_dir=str(tmp_path))
    queue.dead_letter().send_batch([OutgoingMessage("a", "g", "x")])
    sensor = build_dlq_depth_sensor(threshold=0, ui_url="http://ui")
    with dg.build_sensor_context(instance=instance, resources={"queue": queue, "alerter": alerter}) as context:
        assert len(sensor(context).run_requests) == 1
    [paged] = topics.received("pager")
    assert paged["Subject"].startswith("ClawBot DLQ incident dlq-1-") and "runbook: docs/runbooks/dlq_not_empty.md" in paged["Message"]
    assert topics.received("channel") == []

    with scenario(instance, {"severe": [True], "mild": [False]}) as tick:
        tick(alerter)
    [posted] = topics.received("channel")
    assert posted["Subject"] == "ClawBot check failed: guarded / mild" and posted["MessageAttributes"]["route"]["Value"] == "channel"
    assert topics.received("pager") == []


def test_without_a_pager_the_demo_records_what_would_have_paged(instance, tmp_path):
    alerter = resources_from_env({"CLAWBOT_DATA_DIR": str(tmp_path)})["alerter"]
    assert not alerter.pager_configured()
    with scenario(instance, {"severe": [False], "mild": [False]}) as tick:
        tick(alerter)
    alerts = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert sorted((a["check"], a["route"]) for a in alerts) == [("mild", "channel"), ("severe", "channel-no-pager")]
    assert all(a["runbook"] == "https://github.com/acme/clawbot/blob/main/docs/runbooks/oncall.md#any-other-check" for a in alerts)
