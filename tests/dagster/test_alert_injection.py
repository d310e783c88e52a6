"""A playbook Name is text anyone who edits the SSOT controls. Through the real alert path
(the playbook checks, then ``check_failure_alert_sensor``) it arrives in Slack inert and in SNS
with a Subject SNS accepts (issue 15, finding 9)."""

import json

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.names import CHECK_FAILURE_ALERT_SENSOR
from clawbot_assets.resources.alerts import Alert, SlackAlerterResource, SnsAlerterResource
from tests.dagster.helpers import defs_for, materialize_playbooks
from tests.fakes.aws import REGION, SnsInboxes, fake_credentials
from tests.fakes.slack_webhook import Webhook
from tests.unit.test_alert_text import INJECTED, SNS_SUBJECT_RULE, slack_unescaped


def failing_checks_with_the_injected_name(resources, instance) -> dg.Definitions:
    """The demo's broken COLD playbook, renamed: it fails ``trigger_and_approval_present``, and
    the check names it among the offenders."""
    ssot = resources["ssot"].client()
    record = next(r for r in ssot.list_records(PLAYBOOKS_TABLE) if r["fields"]["Name"] == "Cold Outbound — EU Founders")
    ssot.update(PLAYBOOKS_TABLE, [(record["id"], {"Name": INJECTED})])
    defs = defs_for(resources)
    materialize_playbooks(defs, instance)
    return defs


def run_alert_sensor(defs, instance, alerter) -> None:
    sensor = defs.resolve_sensor_def(CHECK_FAILURE_ALERT_SENSOR)
    sensor(dg.build_sensor_context(instance=instance, resources={"alerter": alerter}, definitions=defs))


def test_the_injected_name_arrives_in_slack_as_text(local_resources, instance, webhook):  # noqa: F811
    defs = failing_checks_with_the_injected_name(local_resources, instance)
    run_alert_sensor(defs, instance, SlackAlerterResource(webhook_url=webhook, backoff_factor=0))

    texts = [json.loads(body)["text"] for body in Webhook.bodies]
    [alert] = [text for text in texts if "evil.example" in text]
    assert "&lt;!channel&gt; &lt;https://evil.example|Open the runbook&gt;" in alert
    assert all("<" not in text and ">" not in text for text in texts), "no Slack control sequence at all"
    assert INJECTED in slack_unescaped(alert) and "trigger_and_approval_present" in alert


def test_the_injected_name_reaches_sns_under_a_subject_sns_accepts(local_resources, instance, monkeypatch):
    from moto import mock_aws

    defs = failing_checks_with_the_injected_name(local_resources, instance)
    fake_credentials(monkeypatch)
    with mock_aws():
        topics = SnsInboxes("alerts")
        alerter = SnsAlerterResource(topic_arn=topics.arn["alerts"], region_name=REGION)
        run_alert_sensor(defs, instance, alerter)
        alerter.send(Alert(kind="check_failed", title=f"ClawBot check failed: {INJECTED}\r\nBcc: été " + "x" * 200, severity="ERROR"))
        delivered = topics.received("alerts")

    assert delivered and all(SNS_SUBJECT_RULE.fullmatch(message["Subject"]) for message in delivered)
    [alert] = [message for message in delivered if "evil.example" in message["Message"] and "Bcc" not in message["Subject"]]
    assert INJECTED in alert["Message"], "SNS delivers plain text: the Name as written"
    [raw_title] = [message for message in delivered if "Bcc" in message["Subject"]]
    assert raw_title["Subject"].startswith("ClawBot check failed: <!channel> <https://evil.example|Open the runbook> Bcc: ete xxx")
