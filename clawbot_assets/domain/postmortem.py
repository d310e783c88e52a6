"""The migration's post-mortem figures, aggregated from plain records (pure: no Dagster, no I/O).

The records are what the event log and the SSOT hold (``clawbot_assets/postmortem/read.py``
turns them into these classes); nothing here is typed in. Every figure keeps the name of where
it came from, so the rendered post-mortem can say it next to the number.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

SHADOW = "shadow"
DAGSTER = "dagster"


@dataclass(frozen=True)
class DedupeEvent:
    """One committed dedupe: a materialisation of ``task_queue_sales``."""

    at: dt.datetime
    run_id: str
    duplicate_groups: int
    removed: int
    #: keys of deals contacted twice that the run reported (open ones, carried in full)
    contacted_twice_keys: tuple[str, ...] = ()
    #: deals contacted twice this run found in its own read
    contacted_twice_found_now: int = 0


@dataclass(frozen=True)
class InterceptEvent:
    """Intercepts by reason recorded by one materialisation of ``source``."""

    at: dt.datetime
    source: str
    by_reason: Mapping[str, int]


@dataclass(frozen=True)
class RateLimitEvent:
    """The 429s Airtable answered during one materialisation of ``source``."""

    at: dt.datetime
    source: str
    count: int


@dataclass(frozen=True)
class DlqDepth:
    at: dt.datetime
    depth: int


@dataclass(frozen=True)
class TriageRun:
    """A ``dlq_triage`` run launched for an incident (the run's incident tag)."""

    at: dt.datetime
    run_id: str
    incident: str
    status: str


@dataclass(frozen=True)
class ShadowEvent:
    """A shadow plan or diff on a playbook's partition: ``tick`` is the n8n tick it shadowed,
    ``recorded_at`` when it was stored; ``empty`` is set on diffs only."""

    slug: str
    phase: str
    tick: dt.datetime
    recorded_at: dt.datetime
    empty: bool | None = None


@dataclass(frozen=True)
class AuditSnapshot:
    """One ``ssot_audit`` materialisation: each playbook's Scheduler (by slug) as the audit saw it."""

    at: dt.datetime
    schedulers: Mapping[str, str]


@dataclass(frozen=True)
class ReadinessSnapshot:
    """One ``cutover_readiness`` materialisation: the slugs it called ready."""

    at: dt.datetime
    ready: frozenset[str]


@dataclass(frozen=True)
class BudgetReading:
    """One ``airtable_budget`` materialisation, as far as its metadata could be read."""

    at: dt.datetime
    requests_last_hour: int | None
    share_last_hour: float | None
    steady_state_requests: int | None
    steady_state_share: float | None


@dataclass(frozen=True)
class PlaybookNow:
    """A playbook as the SSOT's Playbooks table says now."""

    slug: str
    name: str
    scheduler: str
    enabled: bool


@dataclass(frozen=True)
class MigrationRecord:
    """Everything the post-mortem reads, from ``since`` to ``until``."""

    since: dt.datetime
    until: dt.datetime
    dedupes: Sequence[DedupeEvent] = ()
    intercepts: Sequence[InterceptEvent] = ()
    rate_limits: Sequence[RateLimitEvent] = ()
    dlq_depths: Sequence[DlqDepth] = ()
    triage_runs: Sequence[TriageRun] = ()
    shadow_events: Sequence[ShadowEvent] = ()
    audits: Sequence[AuditSnapshot] = ()
    readiness: Sequence[ReadinessSnapshot] = ()
    budget: Sequence[BudgetReading] = ()
    playbooks: Sequence[PlaybookNow] = ()
    #: why the SSOT could not be read, if it could not
    ssot_problem: str | None = None


@dataclass(frozen=True)
class DuplicateFigures:
    runs: int
    duplicate_groups: int
    removed: int
    deals_contacted_twice: int
    #: (when, duplicate groups found, records removed) per dedupe, oldest first
    series: tuple[tuple[dt.datetime, int, int], ...]


@dataclass(frozen=True)
class DlqFigures:
    incidents: tuple[str, ...]
    triage_runs: int
    observations: int
    peak_depth: int | None
    #: incident -> the statuses of its triage runs
    statuses: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class PlaybookCutover:
    """``shadow_from`` is the earliest of its first shadowed tick, first shadow event and first
    audit in shadow; ``cutover_at`` follows ``cutover_time``."""

    slug: str
    name: str
    shadow_from: dt.datetime | None
    #: distinct days (UTC) of the n8n ticks that were shadowed
    shadow_days: int
    diffs: int
    empty_diffs: int
    ready_at: dt.datetime | None
    cutover_at: dt.datetime | None
    scheduler_now: str

    @property
    def shadow_to_cutover(self) -> dt.timedelta | None:
        if self.shadow_from is None or self.cutover_at is None:
            return None
        return self.cutover_at - self.shadow_from


@dataclass(frozen=True)
class BudgetFigures:
    readings: int
    peak_hour_requests: int | None
    peak_hour_share: float | None
    steady_state_requests: int | None
    steady_state_share: float | None


@dataclass(frozen=True)
class PostMortem:
    since: dt.datetime
    until: dt.datetime
    duplicates: DuplicateFigures
    intercepts_by_reason: Mapping[str, int]
    intercepts_by_source: Mapping[str, int]
    rate_limited_by_source: Mapping[str, int]
    dlq: DlqFigures
    playbooks: tuple[PlaybookCutover, ...]
    #: ``None`` when nothing measured the budget
    budget: BudgetFigures | None
    schedulers_now: Mapping[str, int]
    ssot_problem: str | None = None

    @property
    def rate_limited(self) -> int:
        return sum(self.rate_limited_by_source.values())

    @property
    def intercepts(self) -> int:
        return sum(self.intercepts_by_reason.values())


def duplicate_figures(dedupes: Sequence[DedupeEvent]) -> DuplicateFigures:
    """Sums over the committed dedupes. A deal contacted twice counts once however many runs
    reported it: the union of their keys, or the runs' own findings where no key was recorded."""
    ordered = sorted(dedupes, key=lambda event: event.at)
    keys = {key for event in ordered for key in event.contacted_twice_keys}
    unkeyed = sum(event.contacted_twice_found_now for event in ordered if not event.contacted_twice_keys)
    return DuplicateFigures(
        runs=len(ordered),
        duplicate_groups=sum(event.duplicate_groups for event in ordered),
        removed=sum(event.removed for event in ordered),
        deals_contacted_twice=len(keys) + unkeyed,
        series=tuple((event.at, event.duplicate_groups, event.removed) for event in ordered),
    )


def intercept_totals(events: Sequence[InterceptEvent]) -> tuple[dict[str, int], dict[str, int]]:
    """(by reason, by source), each sorted by count, largest first."""
    by_reason: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    for event in events:
        for reason, count in event.by_reason.items():
            by_reason[reason] += count
            by_source[event.source] += count
    return dict(by_reason.most_common()), dict(by_source.most_common())


def rate_limited_by_source(events: Sequence[RateLimitEvent]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for event in events:
        counts[event.source] += event.count
    return dict(sorted(counts.items()))


def dlq_figures(depths: Sequence[DlqDepth], runs: Sequence[TriageRun]) -> DlqFigures:
    statuses: dict[str, list[str]] = {}
    for run in sorted(runs, key=lambda run: run.at):
        statuses.setdefault(run.incident, []).append(run.status)
    return DlqFigures(
        incidents=tuple(statuses),
        triage_runs=len(runs),
        observations=len(depths),
        peak_depth=max((depth.depth for depth in depths), default=None),
        statuses={incident: tuple(found) for incident, found in statuses.items()},
    )


def _first_ready(readiness: Sequence[ReadinessSnapshot], slug: str) -> dt.datetime | None:
    return min((snapshot.at for snapshot in readiness if slug in snapshot.ready), default=None)


def cutover_time(audits: Sequence[AuditSnapshot], slug: str, shadow_seen: dt.datetime | None) -> dt.datetime | None:
    """The first audit that saw the playbook on Scheduler ``dagster`` after it was in shadow
    (seen in shadow by an earlier audit, or by a shadow event recorded before it)."""
    seen = shadow_seen
    for audit in sorted(audits, key=lambda audit: audit.at):
        scheduler = audit.schedulers.get(slug)
        if scheduler == SHADOW:
            seen = min(seen, audit.at) if seen else audit.at
        elif scheduler == DAGSTER and seen is not None and audit.at > seen:
            return audit.at
    return None


def playbook_cutovers(record: MigrationRecord) -> tuple[PlaybookCutover, ...]:
    """One row per playbook that was in shadow or cut over in the period, by name."""
    names = {playbook.slug: playbook.name for playbook in record.playbooks}
    now = {playbook.slug: playbook.scheduler for playbook in record.playbooks}
    shadowed = {event.slug for event in record.shadow_events}
    audited = {slug for audit in record.audits for slug, scheduler in audit.schedulers.items() if scheduler == SHADOW}
    rows = []
    for slug in shadowed | audited:
        events = [event for event in record.shadow_events if event.slug == slug]
        diffs = [event for event in events if event.empty is not None]
        recorded = min((event.recorded_at for event in events), default=None)
        first_tick = min((event.tick for event in events), default=None)
        in_audit = min((audit.at for audit in record.audits if audit.schedulers.get(slug) == SHADOW), default=None)
        shadow_from = min((moment for moment in (first_tick, recorded, in_audit) if moment), default=None)
        rows.append(PlaybookCutover(
            slug=slug,
            name=names.get(slug, slug),
            shadow_from=shadow_from,
            shadow_days=len({event.tick.astimezone(dt.timezone.utc).date() for event in events}),
            diffs=len(diffs),
            empty_diffs=sum(bool(event.empty) for event in diffs),
            ready_at=_first_ready(record.readiness, slug),
            cutover_at=cutover_time(record.audits, slug, recorded),
            scheduler_now=now.get(slug, "unknown"),
        ))
    return tuple(sorted(rows, key=lambda row: (row.cutover_at is None, row.cutover_at or row.shadow_from or record.until, row.name)))


def budget_figures(readings: Sequence[BudgetReading]) -> BudgetFigures | None:
    """The busiest measured hour and the highest steady state, or ``None`` when nothing was
    measured (no ``airtable_budget`` materialisation carried the figures)."""
    measured = [reading for reading in readings if reading.requests_last_hour is not None or reading.steady_state_requests is not None]
    if not measured:
        return None
    hours = [reading for reading in measured if reading.requests_last_hour is not None]
    steady = [reading for reading in measured if reading.steady_state_requests is not None]
    peak = max(hours, key=lambda reading: reading.requests_last_hour or 0, default=None)
    steadiest = max(steady, key=lambda reading: reading.steady_state_requests or 0, default=None)
    return BudgetFigures(
        readings=len(measured),
        peak_hour_requests=peak.requests_last_hour if peak else None,
        peak_hour_share=peak.share_last_hour if peak else None,
        steady_state_requests=steadiest.steady_state_requests if steadiest else None,
        steady_state_share=steadiest.steady_state_share if steadiest else None,
    )


def post_mortem(record: MigrationRecord) -> PostMortem:
    by_reason, by_source = intercept_totals(record.intercepts)
    return PostMortem(
        since=record.since,
        until=record.until,
        duplicates=duplicate_figures(record.dedupes),
        intercepts_by_reason=by_reason,
        intercepts_by_source=by_source,
        rate_limited_by_source=rate_limited_by_source(record.rate_limits),
        dlq=dlq_figures(record.dlq_depths, record.triage_runs),
        playbooks=playbook_cutovers(record),
        budget=budget_figures(record.budget),
        schedulers_now=dict(sorted(Counter(playbook.scheduler for playbook in record.playbooks).items())),
        ssot_problem=record.ssot_problem,
    )
