"""The metrics ``ops_metrics`` publishes: one list, from which the CloudWatch and Grafana
dashboards and the alarms are generated (``observability/dashboards.py``), so a panel can
never chart a metric that nothing publishes.

Pure: no Dagster, no AWS. Namespace ``ClawBot``; a ``Playbook`` dimension where one applies,
and ``Reason`` on intercepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAMESPACE = "ClawBot"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str
    description: str
    #: dimensions a datapoint may carry besides none (the total)
    dimensions: tuple[str, ...] = ()


QUEUE_DEPTH = MetricSpec("QueueDepth", "Count", "Messages waiting in the sales queue")
QUEUE_IN_FLIGHT = MetricSpec("QueueInFlight", "Count", "Messages received by the worker and not yet deleted")
DLQ_DEPTH = MetricSpec("DlqDepth", "Count", "Messages in the dead-letter queue")
SENT_LAST_HOUR = MetricSpec("TasksSentLastHour", "Count", "Tasks the worker marked sent in the last hour", ("Playbook",))
INTERCEPTS = MetricSpec("GuardrailIntercepts", "Count", "Tasks intercepted by a guardrail in the last interval", ("Reason",))
TASKS_CREATED = MetricSpec("TasksCreated", "Count", "Tasks created by playbook runs in the last interval", ("Playbook",))
TASKS_DEDUPLICATED = MetricSpec("TasksDeduplicated", "Count", "Duplicate tasks removed by dedupe runs in the last interval")
AIRTABLE_REQUESTS = MetricSpec(
    "AirtableRequestsLastHour", "Count", "Airtable requests in the last complete hour, by the job that sent them", ("Job",)
)
AIRTABLE_BUDGET_SHARE = MetricSpec(
    "AirtableSteadyStateBudgetShare", "Percent",
    "The busiest complete hour of the last day without the nightly dedupe, in % of the base's 18,000 requests an hour",
)

METRICS: tuple[MetricSpec, ...] = (
    QUEUE_DEPTH,
    QUEUE_IN_FLIGHT,
    DLQ_DEPTH,
    SENT_LAST_HOUR,
    INTERCEPTS,
    TASKS_CREATED,
    TASKS_DEDUPLICATED,
    AIRTABLE_REQUESTS,
    AIRTABLE_BUDGET_SHARE,
)
BY_NAME = {spec.name: spec for spec in METRICS}
#: Charted but published by AWS itself: SQS reports the age of the oldest message only as a
#: CloudWatch metric, so the dashboards chart it from there (dimension QueueName).
SQS_OLDEST_MESSAGE_AGE = ("AWS/SQS", "ApproximateAgeOfOldestMessage")


@dataclass(frozen=True)
class Datapoint:
    metric: MetricSpec
    value: float
    dimensions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.dimensions) - set(self.metric.dimensions)
        if unknown:
            raise ValueError(f"{self.metric.name} has no dimension {sorted(unknown)}")

    @property
    def label(self) -> str:
        """``Name`` or ``Name[Dimension=value]``: a Dagster metadata key the UI plots."""
        suffix = ",".join(f"{key}={value}" for key, value in sorted(self.dimensions.items()))
        return f"{self.metric.name}[{suffix}]" if suffix else self.metric.name
