"""The Airtable base's hourly budget, per job (pure: no Dagster, no I/O).

Airtable allows 5 requests/s per base: 18,000 an hour for everything that talks to it (playbook
runs, the dispatch, the worker, the audit, metrics, sensors, n8n during the migration). The
limiter's store counts every request by job and hour; this module turns those counts into what
the ``airtable_budget`` asset shows: requests per job per hour, the share of the budget, and the
steady state, the busiest complete hour without the nightly dedupe (which is allowed to spend a
burst at night).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

HOURLY_BUDGET = 18_000
#: The steady state above which the ``airtable_budget`` check warns, unless configured.
DEFAULT_WARN_SHARE = 0.2


@dataclass(frozen=True)
class BudgetSummary:
    #: hour (UTC, on the hour) -> job -> requests, oldest first
    hours: dict[dt.datetime, dict[str, int]] = field(default_factory=dict)
    last_hour: dt.datetime | None = None
    steady_state_hour: dt.datetime | None = None
    steady_state_requests: int = 0

    @property
    def last_hour_by_job(self) -> dict[str, int]:
        return dict(self.hours.get(self.last_hour, {})) if self.last_hour else {}

    @property
    def last_hour_requests(self) -> int:
        return sum(self.last_hour_by_job.values())

    @property
    def steady_state_share(self) -> float:
        return self.steady_state_requests / HOURLY_BUDGET

    def jobs(self) -> list[str]:
        return sorted({job for by_job in self.hours.values() for job in by_job})


def summarise(
    counts: Iterable[tuple[str, dt.datetime, int]], now: dt.datetime, excluded_from_steady_state: Iterable[str]
) -> BudgetSummary:
    """``counts`` are (job, hour, requests). The last hour is the last complete one before ``now``;
    the steady state is the busiest complete hour counting every job but the excluded ones."""
    hours: dict[dt.datetime, dict[str, int]] = defaultdict(dict)
    for job, hour, requests in counts:
        hour = hour.astimezone(dt.timezone.utc)
        hours[hour][job] = hours[hour].get(job, 0) + requests
    current = now.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    last_hour = current - dt.timedelta(hours=1)
    excluded = set(excluded_from_steady_state)
    steady = {
        hour: sum(requests for job, requests in by_job.items() if job not in excluded)
        for hour, by_job in hours.items()
        if hour < current
    }
    busiest = max(steady, key=lambda hour: (steady[hour], hour), default=None)
    return BudgetSummary(
        hours={hour: dict(sorted(hours[hour].items())) for hour in sorted(hours)},
        last_hour=last_hour,
        steady_state_hour=busiest,
        steady_state_requests=steady[busiest] if busiest is not None else 0,
    )


def share(requests: int) -> float:
    return requests / HOURLY_BUDGET


def hourly_table(summary: BudgetSummary) -> str:
    """Requests per job (rows) per hour (columns), with each hour's share of the budget."""
    hours = list(summary.hours)
    if not hours:
        return "No Airtable request recorded yet."
    header = "| job | " + " | ".join(hour.strftime("%m-%d %H:00") for hour in hours) + " |"
    rule = "|---|" + "---:|" * len(hours)
    rows = [
        f"| {job} | " + " | ".join(str(summary.hours[hour].get(job, 0)) for hour in hours) + " |"
        for job in summary.jobs()
    ]
    totals = [sum(summary.hours[hour].values()) for hour in hours]
    rows.append("| **total** | " + " | ".join(str(total) for total in totals) + " |")
    rows.append("| share of 18,000 | " + " | ".join(f"{share(total):.1%}" for total in totals) + " |")
    return "\n".join([header, rule, *rows])
