"""Where ``ops_metrics`` publishes: nowhere but Dagster (local, the default) or CloudWatch
(``CLAWBOT_METRICS=cloudwatch``; the ``AWS_*`` variables apply)."""

from __future__ import annotations

from typing import Optional, Sequence

import dagster as dg

from clawbot_assets.adapters.cloudwatch import PublishReport
from clawbot_assets.observability.metrics import NAMESPACE, Datapoint


class MetricsResource(dg.ConfigurableResource):
    def publish(self, points: Sequence[Datapoint]) -> PublishReport:
        raise NotImplementedError

    def destination(self) -> str:
        raise NotImplementedError


class MisconfiguredMetricsResource(MetricsResource):
    """Stands in when ``CLAWBOT_METRICS`` names no backend: nothing is published, and each
    publish reports every point lost with the reason."""

    problem: str

    def publish(self, points: Sequence[Datapoint]) -> PublishReport:
        return PublishReport(lost=len(points), errors=[self.problem])

    def destination(self) -> str:
        return "nowhere (misconfigured)"


class LocalMetricsResource(MetricsResource):
    """The figures stay in Dagster's metadata, which the UI plots."""

    def publish(self, points: Sequence[Datapoint]) -> PublishReport:
        return PublishReport()

    def destination(self) -> str:
        return "dagster"


class CloudWatchMetricsResource(MetricsResource):
    namespace: str = NAMESPACE
    region_name: Optional[str] = None
    max_attempts: int = 5
    """botocore's standard retry mode: throttling is retried with backoff this many times."""

    def publish(self, points: Sequence[Datapoint]) -> PublishReport:
        import boto3
        from botocore.config import Config

        from clawbot_assets.adapters.cloudwatch import publish

        client = boto3.client(
            "cloudwatch",
            region_name=self.region_name,
            config=Config(retries={"mode": "standard", "max_attempts": self.max_attempts}),
        )
        return publish(client, points, self.namespace)

    def destination(self) -> str:
        return f"cloudwatch:{self.namespace}"
