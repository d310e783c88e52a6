"""The weekly on-call handover, summarised from what the record holds. Pure.

Inputs are plain values the ``oncall_handover`` asset reads from the Dagster instance: each
check's recent results, the DLQ incidents and the DLQ's latest depth, and the latest
``airtable_budget`` metadata if that asset exists. The week's alert counts are derived from the
same record with the routing rule the alerter uses (``domain/alert_routing.py``), so they say
what was raised and where it was routed, whichever backend delivered it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from clawbot_assets.domain.alert_routing import ROUTES, check_alert_kind, route_for
from clawbot_assets.domain.runbooks import runbook_path, runbook_reference

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class CheckResult:
    """One completed execution of a check (``check`` is ``asset:check``)."""

    check: str
    passed: bool
    severity: str
    at: dt.datetime


@dataclass(frozen=True)
class CheckHistory:
    """A check's results, oldest first; ``complete`` is false when older ones were not read."""

    check: str
    results: Sequence[CheckResult]
    complete: bool = True


@dataclass(frozen=True)
class FailingCheck:
    check: str
    severity: str
    since: dt.datetime
    #: The history read did not reach the start of the failure: it began at or before ``since``.
    at_least: bool = False


@dataclass(frozen=True)
class DlqIncident:
    incident: str
    opened_at: dt.datetime


@dataclass(frozen=True)
class DlqDepth:
    depth: int
    threshold: int
    at: dt.datetime


@dataclass(frozen=True)
class Handover:
    generated_at: dt.datetime
    week_start: dt.datetime
    open_incident: DlqIncident | None
    dlq_depth: DlqDepth | None
    failing: list[FailingCheck]
    incidents_this_week: list[DlqIncident]
    alerts_by_route: dict[str, int]
    pager_configured: bool
    budget: dict[str, Any] | None = field(default=None)

    @property
    def failing_errors(self) -> list[FailingCheck]:
        return [check for check in self.failing if check.severity == "ERROR"]


def failing_since(history: CheckHistory) -> FailingCheck | None:
    """The check's current failure and when it began, or ``None`` if its latest result passed."""
    results = list(history.results)
    if not results or results[-1].passed:
        return None
    streak = len(results) - 1
    while streak > 0 and not results[streak - 1].passed:
        streak -= 1
    latest = results[-1]
    return FailingCheck(history.check, latest.severity, results[streak].at, at_least=streak == 0 and not history.complete)


def alerts_raised(histories: Sequence[CheckHistory], incidents: Sequence[DlqIncident], since: dt.datetime,
                  pager_configured: bool) -> dict[str, int]:
    """Alerts the sensors raised since ``since``, counted by route: one per check that started
    failing or recovered, one per DLQ incident."""
    counts: Counter[str] = Counter({route: 0 for route in ROUTES})
    for history in histories:
        was_failing: bool | None = None
        for result in history.results:
            if result.at >= since:
                kind = check_alert_kind(was_failing, result.passed)
                if kind:
                    counts[route_for(kind, result.severity, pager_configured)] += 1
            was_failing = not result.passed
    for incident in incidents:
        if incident.opened_at >= since:
            counts[route_for("dlq_incident", "ERROR", pager_configured)] += 1
    return dict(counts)


def open_incident(incidents: Sequence[DlqIncident], depth: DlqDepth | None) -> DlqIncident | None:
    """The latest DLQ incident, while the DLQ's latest observed depth is still above its threshold."""
    if not incidents or depth is None or depth.depth <= depth.threshold:
        return None
    return max(incidents, key=lambda incident: incident.opened_at)


def summarise(histories: Sequence[CheckHistory], incidents: Sequence[DlqIncident], depth: DlqDepth | None,
              budget: Mapping[str, Any] | None, pager_configured: bool, now: dt.datetime) -> Handover:
    week_start = now - WEEK
    return Handover(
        generated_at=now,
        week_start=week_start,
        open_incident=open_incident(incidents, depth),
        dlq_depth=depth,
        failing=sorted(filter(None, map(failing_since, histories)), key=lambda f: (f.severity != "ERROR", f.since, f.check)),
        incidents_this_week=sorted((i for i in incidents if i.opened_at >= week_start), key=lambda i: i.opened_at),
        alerts_by_route=alerts_raised(histories, incidents, week_start, pager_configured),
        pager_configured=pager_configured,
        budget=dict(budget) if budget else None,
    )


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(handover: Handover, runbook_base_url: str = "") -> str:
    def runbook(kind: str, check: str = "") -> str:
        return runbook_reference(runbook_path(kind, check), runbook_base_url)

    lines = [f"# On-call handover, {handover.generated_at:%Y-%m-%d}", "",
             f"Covers {_when(handover.week_start)} to {_when(handover.generated_at)}. "
             f"Pager: {'configured' if handover.pager_configured else 'not configured (paging alerts went to the channel)'}.",
             "", "## Open incidents", ""]
    incidents = []
    if handover.open_incident:
        depth = handover.dlq_depth
        incidents.append(f"- DLQ incident `{handover.open_incident.incident}`, open since {_when(handover.open_incident.opened_at)}: "
                     f"depth {depth.depth} above {depth.threshold} at {_when(depth.at)}. Runbook: {runbook('dlq_incident')}")
    for check in handover.failing_errors:
        incidents.append(f"- ERROR check `{check.check}` failing since {'at least ' if check.at_least else ''}{_when(check.since)}. "
                     f"Runbook: {runbook('check_failed', check.check.split(':')[-1])}")
    lines += incidents or ["None."]
    lines += ["", "## Failing checks", ""]
    if handover.failing:
        lines += ["| check | severity | failing since | runbook |", "|---|---|---|---|"]
        lines += [f"| `{_cell(f.check)}` | {f.severity} | {'at least ' if f.at_least else ''}{_when(f.since)} | "
                  f"{runbook('check_failed', f.check.split(':')[-1])} |" for f in handover.failing]
    else:
        lines.append("None: every check's latest result passed.")
    lines += ["", "## Alerts this week, by route", "", "| route | alerts |", "|---|---|"]
    lines += [f"| {route} | {count} |" for route, count in handover.alerts_by_route.items()]
    lines += ["", f"DLQ incidents opened this week: {len(handover.incidents_this_week)}"
              + (" (" + ", ".join(f"`{i.incident}`" for i in handover.incidents_this_week) + ")" if handover.incidents_this_week else "") + ".",
              "", "## Airtable budget", ""]
    if handover.budget:
        lines += ["| figure | value |", "|---|---|"] + [f"| {_cell(name)} | {_cell(value)} |" for name, value in sorted(handover.budget.items())]
    else:
        lines.append("Not measured (no `airtable_budget` materialisation).")
    return "\n".join(lines) + "\n"
