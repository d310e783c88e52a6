"""The datapoints ``ops_metrics`` publishes, computed from plain facts (pure: no Dagster, no I/O).

- queue depths, as the queue reports them;
- send rate: tasks the worker stamped ``Sent At`` in the last hour;
- intercepts by reason, tasks created by playbook, and tasks deduplicated, summed over the
  materialisations recorded since the previous ``ops_metrics`` run;
- Airtable requests per job in the last complete hour and the steady state's share of the
  base's budget (``domain.airtable_budget``).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from clawbot_assets.domain.keys import KeyFieldError, playbook_slug
from clawbot_assets.domain.airtable_budget import BudgetSummary
from clawbot_assets.domain.task_lifecycle import Status, effective_status
from clawbot_assets.observability.metrics import (
    AIRTABLE_BUDGET_SHARE,
    AIRTABLE_REQUESTS,
    DLQ_DEPTH,
    INTERCEPTS,
    QUEUE_DEPTH,
    QUEUE_IN_FLIGHT,
    SENT_LAST_HOUR,
    TASKS_CREATED,
    TASKS_DEDUPLICATED,
    Datapoint,
    MetricSpec,
)

INTERCEPT_PREFIX = "intercepted_"


def _with_breakdown(metric: MetricSpec, dimension: str, counts: Mapping[str, float]) -> list[Datapoint]:
    """The total, then one point per value of ``dimension``."""
    points = [Datapoint(metric, float(sum(counts.values())))]
    points += [Datapoint(metric, float(count), {dimension: name}) for name, count in sorted(counts.items())]
    return points


def queue_points(visible: int, in_flight: int, dlq_total: int) -> list[Datapoint]:
    return [Datapoint(QUEUE_DEPTH, visible), Datapoint(QUEUE_IN_FLIGHT, in_flight), Datapoint(DLQ_DEPTH, dlq_total)]


def sent_by_playbook(records: Iterable[Mapping]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in records:
        fields = record.get("fields") or {}
        if effective_status(fields) != Status.SENT:
            continue
        try:
            counts[playbook_slug(str(fields.get("Playbook") or ""))] += 1
        except KeyFieldError:
            counts["unknown"] += 1
    return counts


def intercepts_by_reason(dispatch_figures: Iterable[Mapping[str, float]], do_not_contact_at_creation: float) -> Counter[str]:
    """Intercepts from the dispatches' ``intercepted_<reason>`` figures, plus the tasks that
    playbook runs created already intercepted (do-not-contact)."""
    counts: Counter[str] = Counter()
    for figures in dispatch_figures:
        for name, value in figures.items():
            if name.startswith(INTERCEPT_PREFIX):
                counts[name[len(INTERCEPT_PREFIX):]] += value
    if do_not_contact_at_creation:
        counts["do_not_contact"] += do_not_contact_at_creation
    return counts


def activity_points(
    sent: Counter[str], intercepts: Counter[str], created_by_playbook: Mapping[str, float], deduplicated: float
) -> list[Datapoint]:
    return [
        *_with_breakdown(SENT_LAST_HOUR, "Playbook", sent),
        *_with_breakdown(INTERCEPTS, "Reason", intercepts),
        *_with_breakdown(TASKS_CREATED, "Playbook", created_by_playbook),
        Datapoint(TASKS_DEDUPLICATED, float(deduplicated)),
    ]


def budget_points(summary: BudgetSummary) -> list[Datapoint]:
    """Airtable requests in the last complete hour, in total and per job, and the steady state's
    share of the base's hourly budget, in percent."""
    return [
        *_with_breakdown(AIRTABLE_REQUESTS, "Job", summary.last_hour_by_job),
        Datapoint(AIRTABLE_BUDGET_SHARE, round(100 * summary.steady_state_share, 3)),
    ]
