"""The alerter resources: one class per backend, sharing ``AlerterResource``'s interface.

``LocalAlerterResource`` logs the alert and appends it to a JSON-lines file under ``data_dir``;
``SnsAlerterResource`` publishes to an SNS topic (boto3, imported on use), its Subject cleaned to
SNS's rules; ``SlackAlerterResource`` posts to an incoming webhook, its text escaped so that what
the SSOT says arrives as text (``domain/alert_text.py``), retrying 429 and 5xx answers. A delivery
that still fails raises ``AlertDeliveryError``: the sensors log it and keep the alert for their
next tick, so it is never lost.

``RoutingAlerterResource`` is what the code location uses: ERROR alerts and DLQ incidents go to
its pager (an SNS topic), the rest to its channel (any of the three), by ``domain/alert_routing.py``.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

import dagster as dg
from pydantic import Field

from clawbot_assets.domain.alert_routing import CHANNEL_PAGER_FAILED, PAGER, route_for
from clawbot_assets.domain.alert_text import slack_escaped, sns_subject
from clawbot_assets.domain.runbooks import runbook_path
from clawbot_assets.resources.backends import (
    ALERT_TOPIC_ARN,
    DEFAULT_DATA_DIR,
    LOCAL_ALERTS_FILE,
    SLACK_WEBHOOK_URL,
    local_path,
    require,
)

class AlertDeliveryError(RuntimeError):
    """The alert could not be delivered after retries; the message never holds a credential."""


@dataclass(frozen=True)
class Alert:
    kind: str
    """``check_failed``, ``check_recovered`` or ``dlq_incident``."""
    title: str
    severity: str
    asset: str = ""
    check: str = ""
    offenders: list = field(default_factory=list)
    link: str = ""
    detail: str = ""
    runbook: str = ""
    """Path or URL of the runbook; empty: the repository path ``domain/runbooks.py`` maps it to."""
    route: str = ""
    """Set by ``RoutingAlerterResource``: one of ``domain.alert_routing.ROUTES``."""

    def runbook_reference(self) -> str:
        return self.runbook or runbook_path(self.kind, self.check)

    def text(self) -> str:
        lines = [self.title, f"severity: {self.severity}"]
        if self.asset:
            lines.append(f"asset: {self.asset}")
        if self.check:
            lines.append(f"check: {self.check}")
        if self.offenders:
            lines.append("offending: " + ", ".join(str(item) for item in self.offenders[:20])
                         + (f" (+{len(self.offenders) - 20} more)" if len(self.offenders) > 20 else ""))
        if self.detail:
            lines.append(self.detail)
        if self.link:
            lines.append(f"run: {self.link}")
        lines.append(f"runbook: {self.runbook_reference()}")
        return "\n".join(lines)


class AlerterResource(dg.ConfigurableResource):
    """Where alerts go."""

    @abc.abstractmethod
    def send(self, alert: Alert) -> None:
        """Deliver ``alert``; raises ``AlertDeliveryError`` (or ``BackendConfigError``) when it cannot."""

    def describe(self) -> str:
        return type(self).__name__

    def pager_configured(self) -> bool:
        """Whether alerts that should page reach a pager (only ``RoutingAlerterResource`` has one)."""
        return False


class LocalAlerterResource(AlerterResource):
    """A log line and a line in ``<data_dir>/alerts.jsonl``."""

    data_dir: str = DEFAULT_DATA_DIR

    def send(self, alert: Alert) -> None:
        dg.get_dagster_logger().warning(f"ALERT {alert.text()}")
        path = local_path(self.data_dir, LOCAL_ALERTS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.write(json.dumps({"at": dt.datetime.now(dt.timezone.utc).isoformat(), **asdict(alert)}) + "\n")

    def describe(self) -> str:
        return "local"


class SnsAlerterResource(AlerterResource):
    """An SNS topic; ``AWS_*`` variables apply, ``endpoint_url`` points boto3 elsewhere."""

    topic_arn: Optional[str] = None
    endpoint_url: Optional[str] = None
    region_name: Optional[str] = None
    topic_variable: str = ALERT_TOPIC_ARN
    """The variable an unset ``topic_arn`` is reported under (the pager's topic has its own)."""

    def send(self, alert: Alert) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        topic = require(self.topic_arn, self.topic_variable, "The alerter")
        client = boto3.client("sns", endpoint_url=self.endpoint_url or None, region_name=self.region_name or None,
                              config=Config(retries={"mode": "standard", "max_attempts": 5}))
        try:
            client.publish(TopicArn=topic, Subject=sns_subject(alert.title), Message=alert.text(),
                           MessageAttributes={name: {"DataType": "String", "StringValue": value} for name, value in
                                              (("kind", alert.kind), ("severity", alert.severity), ("route", alert.route)) if value})
        except (ClientError, BotoCoreError) as error:
            raise AlertDeliveryError(f"SNS publish failed: {error}") from error


class SlackAlerterResource(AlerterResource):
    """A Slack incoming webhook. ``webhook_url`` is an ``EnvVar``: the URL is the credential."""

    webhook_url: str = Field(repr=False)
    retries: int = 4
    backoff_factor: float = 0.5
    timeout_seconds: float = 10.0

    def send(self, alert: Alert) -> None:
        import urllib3
        from urllib3.util.retry import Retry

        url = require(self.webhook_url, SLACK_WEBHOOK_URL, "The alerter")
        retry = Retry(total=self.retries, backoff_factor=self.backoff_factor, status_forcelist=(429, 500, 502, 503, 504),
                      allowed_methods=None, raise_on_status=False, respect_retry_after_header=True)
        http = urllib3.PoolManager(retries=retry, timeout=urllib3.Timeout(total=self.timeout_seconds))
        try:
            response = http.request("POST", url, body=json.dumps({"text": slack_escaped(alert.text())}),
                                    headers={"Content-Type": "application/json"})
        except urllib3.exceptions.HTTPError as error:
            raise AlertDeliveryError(f"Slack webhook unreachable after {self.retries} retries ({type(error).__name__})") from None
        if response.status >= 300:
            raise AlertDeliveryError(f"Slack webhook answered {response.status} after {self.retries} retries")


class RoutingAlerterResource(AlerterResource):
    """Pages what must be acted on now, posts the rest to the channel.

    Fails closed: an alert the pager refuses still reaches the channel (route
    ``channel-pager-failed``) and then raises ``AlertDeliveryError``, so the sensor keeps it and
    pages again next tick; each retry posts to the channel again, which is the on-call's sign
    that the pager is down. Without a pager, paging alerts go to the channel as
    ``channel-no-pager``.
    """

    channel: AlerterResource
    pager: Optional[AlerterResource] = None

    def route(self, alert: Alert) -> str:
        return route_for(alert.kind, alert.severity, self.pager_configured())

    def send(self, alert: Alert) -> None:
        route = self.route(alert)
        if route != PAGER:
            self.channel.send(replace(alert, route=route))
            return
        try:
            self.pager.send(replace(alert, route=PAGER))
            return
        except Exception as error:  # any pager failure: the channel must still hear of it
            pager_error = f"{type(error).__name__}: {error}"
        try:
            self.channel.send(replace(alert, route=CHANNEL_PAGER_FAILED,
                                      detail="\n".join(filter(None, [alert.detail, f"PAGER DELIVERY FAILED ({pager_error}); retrying"]))))
        except Exception as error:
            raise AlertDeliveryError(f"pager and channel both failed: pager {pager_error}; channel {type(error).__name__}: {error}") from None
        raise AlertDeliveryError(f"pager failed, alert sent to the channel instead; the pager is retried next tick: {pager_error}")

    def describe(self) -> str:
        return f"pager={self.pager.describe() if self.pager else 'none'}, channel={self.channel.describe()}"

    def pager_configured(self) -> bool:
        return self.pager is not None
