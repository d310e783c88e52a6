"""Alert delivery (local, SNS on moto, Slack with retries), the check-failure sensor and the DLQ sensor."""

import json

import dagster as dg
import pytest

from clawbot_assets.instance.check_history import check_evaluations_after, latest_check_record
from clawbot_assets.resources.alerts import Alert, AlertDeliveryError, LocalAlerterResource, SlackAlerterResource, SnsAlerterResource
from clawbot_assets.resources.queue import LocalQueueResource, SqsQueueResource
from sensors.check_alerts import build_check_failure_alert_sensor
from sensors.dlq_depth import build_dlq_depth_sensor
from tests.fakes.aws import REGION, SnsInboxes, fake_credentials
from tests.fakes.slack_webhook import Webhook

ALERT = Alert(kind="check_failed", title="ClawBot check failed: task_queue_sales / unique_composite_key", severity="ERROR",
              asset="task_queue_sales", check="unique_composite_key", offenders=["a|1|1|2026-11-25"], link="http://ui/runs/r1")


def alerts_in(data_dir):
    path = data_dir / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@dg.asset
def guarded():
    return 1


def verdict_check(verdicts):
    @dg.asset_check(asset=guarded, name="always_right")
    def always_right():
        passed = verdicts.pop(0)
        return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.WARN, metadata={"offenders": dg.MetadataValue.json({"rec1": "bad"})})

    return always_right


def test_check_alerts_once_per_failure_and_once_on_recovery_across_restarts(tmp_path, instance):
    verdicts = [False, False, True, True, False]
    sensor = build_check_failure_alert_sensor("http://ui:3000")
    defs = dg.Definitions(assets=[guarded], asset_checks=[verdict_check(verdicts)], sensors=[sensor])
    job = defs.resolve_implicit_global_asset_job_def()
    alerter = LocalAlerterResource(data_dir=str(tmp_path))
    cursor = None
    for _ in range(5):
        job.execute_in_process(instance=instance)
        result = sensor(dg.build_sensor_context(instance=instance, resources={"alerter": alerter}, cursor=cursor, definitions=defs))
        cursor = result.cursor  # a daemon restart only keeps the cursor, as here
        again = sensor(dg.build_sensor_context(instance=instance, resources={"alerter": alerter}, cursor=cursor, definitions=defs))
        assert again.cursor == cursor
    kinds = [a["kind"] for a in alerts_in(tmp_path)]
    assert kinds == ["check_failed", "check_recovered", "check_failed"]
    first = alerts_in(tmp_path)[0]
    assert first["asset"] == "guarded" and first["check"] == "always_right" and first["severity"] == "WARN"
    assert first["offenders"] == ["rec1"] and first["link"].startswith("http://ui:3000/runs/")


def test_a_failed_delivery_is_retried_next_tick_not_lost(tmp_path, instance):
    sensor = build_check_failure_alert_sensor("http://ui")
    defs = dg.Definitions(assets=[guarded], asset_checks=[verdict_check([False])], sensors=[sensor])
    defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    broken = SlackAlerterResource(webhook_url="http://127.0.0.1:9/hook", retries=0)
    first = sensor(dg.build_sensor_context(instance=instance, resources={"alerter": broken}, definitions=defs))
    ok = LocalAlerterResource(data_dir=str(tmp_path))
    sensor(dg.build_sensor_context(instance=instance, resources={"alerter": ok}, cursor=first.cursor, definitions=defs))
    assert [a["kind"] for a in alerts_in(tmp_path)] == ["check_failed"]


def test_check_history_reads_evaluations_and_the_latest_record(instance):
    defs = dg.Definitions(assets=[guarded], asset_checks=[verdict_check([True])])
    defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    key = dg.AssetCheckKey(dg.AssetKey("guarded"), "always_right")
    evaluations = check_evaluations_after(instance, key, 0)
    assert [(e.asset, e.check, e.passed) for e in evaluations] == [("guarded", "always_right", True)]
    status, _, passed = latest_check_record(instance, key)
    assert (status, passed) == ("SUCCEEDED", True)
    assert check_evaluations_after(instance, key, evaluations[-1].storage_id) == []


def test_slack_500_is_retried_and_a_lasting_failure_raises(webhook):
    Webhook.answers = [500, 503]
    SlackAlerterResource(webhook_url=webhook, backoff_factor=0).send(ALERT)
    assert len(Webhook.bodies) == 3 and "unique_composite_key" in json.loads(Webhook.bodies[-1])["text"]
    Webhook.answers = [500] * 10
    with pytest.raises(AlertDeliveryError, match="500"):
        SlackAlerterResource(webhook_url=webhook, backoff_factor=0, retries=2).send(ALERT)


def test_sns_alert_reaches_a_subscribed_queue(monkeypatch):
    from moto import mock_aws

    fake_credentials(monkeypatch)
    with mock_aws():
        topics = SnsInboxes("alerts")
        SnsAlerterResource(topic_arn=topics.arn["alerts"], region_name=REGION).send(ALERT)
        [delivered] = topics.received("alerts")
        assert delivered["Subject"] == ALERT.title and "a|1|1|2026-11-25" in delivered["Message"]


def test_dlq_sensor_opens_one_incident_per_rise_and_skips_when_unreachable(tmp_path, instance):
    from clawbot_assets.adapters.queue import OutgoingMessage

    queue = LocalQueueResource(data_dir=str(tmp_path))
    resources = {"queue": queue, "alerter": LocalAlerterResource(data_dir=str(tmp_path))}
    sensor = build_dlq_depth_sensor(threshold=1)

    def tick(cursor):
        return sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor))

    dlq = queue.dead_letter()
    dlq.send_batch([OutgoingMessage("a", "g", "x")])
    result = tick(None)
    assert not result.run_requests  # 1 is not above the threshold
    dlq.send_batch([OutgoingMessage("b", "h", "x"), OutgoingMessage("c", "i", "x")])
    result = tick(result.cursor)
    assert len(result.run_requests) == 1
    result = tick(result.cursor)
    assert not result.run_requests
    for message in dlq.receive(10, visibility_timeout=60):
        dlq.delete(message.receipt_handle)
    result = tick(result.cursor)
    dlq.send_batch([OutgoingMessage(k, k, "x") for k in "def"])
    result = tick(result.cursor)
    assert len(result.run_requests) == 1 and json.loads(result.cursor)["incidents"] == 2
    assert [a["kind"] for a in alerts_in(tmp_path)] == ["dlq_incident", "dlq_incident"]

    unreachable = {**resources, "queue": SqsQueueResource(queue_url="http://127.0.0.1:9/1/q.fifo", dlq_url="http://127.0.0.1:9/1/d.fifo",
                                                           region_name=REGION)}
    skipped = sensor(dg.build_sensor_context(instance=instance, resources=unreachable, cursor=result.cursor))
    assert isinstance(skipped, dg.SkipReason) and "DLQ unreachable" in skipped.skip_message
