"""Where ``ops_metrics`` publishes: nowhere but Dagster (local, the default) or CloudWatch
(``CLAWBOT_METRICS=cloudwatch``; the ``AWS_*`` variables apply)."""

from __future__ import annotations

import abc
from typing import Optional, Sequence

import dagster as dg

from clawbot_assets.adapters.cloudwatch import PublishReport
from clawbot_assets.observability.metrics import NAMESPACE, Datapoint


class MetricsResource(dg.ConfigurableResource):
    """Where ``ops_metrics`` sends its datapoints besides its own metadata."""

    @abc.abstractmethod
    def publish(self, points: Sequence[Datapoint]) -> PublishReport:
        """Publish ``points``; what the destination refused is reported lost, never raised."""

    @abc.abstractmethod
    def destination(self) -> str:
        """Where the points go, for the run's metadata."""


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
