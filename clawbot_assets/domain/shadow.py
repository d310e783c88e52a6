"""Shadow mode: what Dagster would have written for a tick, against what n8n wrote. Pure.

A playbook whose Scheduler is ``shadow`` is still written by n8n. Dagster runs it on its own
schedule, computes its tasks (a ``ShadowPlan``) and writes nothing. Once n8n has had time to
write the same tick (``SETTLE``), the plan is compared by Key with the tasks n8n stored for that
playbook and due date (``diff_shadows``):

- *missing*: Dagster would write the task, n8n did not;
- *extra*: n8n wrote a task Dagster would not;
- *different*: both have it, but not the same: one intercepted a do-not-contact deal and the
  other did not, or n8n's stored Key names another task than its fields.

n8n storing one task several times (its known double firing) is counted apart, as
``n8n_duplicates``: that is the bug the cut-over fixes, not a difference in what is computed.

A playbook is ready to cut over (``readiness``) when every tick of its cron over at least 7
consecutive days, up to the latest one old enough to judge, has an empty diff, and enough of
those ticks compared tasks: a tick where n8n wrote nothing and Dagster planned nothing is no
evidence (see ``readiness``). Ticks are
matched by their wall-clock time in the playbook's timezone, so the hour a clock goes back,
which croniter yields twice and Dagster fires once, counts once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from croniter import croniter

from clawbot_assets.domain.keys import KEY_SEPARATOR, derive_key, key_disagrees_with_fields, keys_from_fields
from clawbot_assets.domain.tasks import INTERCEPTED_STATUS, SOURCE

#: How long after a tick n8n is given to finish writing it before the tick is compared.
SETTLE = dt.timedelta(minutes=10)
#: A tick with no plan yet is not held against the playbook until this long after it: its run
#: may still be queued behind others (one HubSpot-bound run at a time in production).
GRACE = dt.timedelta(hours=2)
#: n8n's tasks of a tick are looked for among the records changed since this long before it:
#: a playbook that fires several times a day finds the day's tasks already written.
READ_BACK = dt.timedelta(days=1)
#: Consecutive days of empty diffs a playbook needs before it is cut over.
CLEAN_DAYS_REQUIRED = 7
#: How far back ticks are looked for: two ticks of a monthly playbook.
LOOKBACK = dt.timedelta(days=40)


@dataclass(frozen=True)
class ShadowPlan:
    """The tasks a shadow run would have written: Key → the Status it would give the task."""

    slug: str
    tick: dt.datetime
    due_date: dt.date
    tasks: Mapping[str, str]


@dataclass(frozen=True)
class ShadowDiff:
    slug: str
    tick: dt.datetime
    due_date: dt.date
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    #: Key → what differs.
    different: Mapping[str, str] = field(default_factory=dict)
    #: Key → the ids of the records n8n stored for it, when more than one.
    n8n_duplicates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    compared_tasks: int = 0

    @property
    def empty(self) -> bool:
        return not (self.missing or self.extra or self.different)

    def describe(self) -> str:
        if self.empty:
            return f"no difference over {self.compared_tasks} tasks"
        parts = [f"{len(self.missing)} missing", f"{len(self.extra)} extra", f"{len(self.different)} different"]
        return ", ".join(parts) + f" (tick {self.tick.isoformat(timespec='minutes')})"


@dataclass
class ShadowHistory:
    """The plans and diffs recorded so far, by (slug, tick in UTC); a later one replaces an
    earlier one of the same tick (a re-executed run)."""

    plans: dict[tuple[str, dt.datetime], ShadowPlan] = field(default_factory=dict)
    diffs: dict[tuple[str, dt.datetime], ShadowDiff] = field(default_factory=dict)

    def add_plan(self, plan: ShadowPlan) -> None:
        self.plans[(plan.slug, plan.tick.astimezone(dt.timezone.utc))] = plan

    def add_diff(self, diff: ShadowDiff) -> None:
        self.diffs[(diff.slug, diff.tick.astimezone(dt.timezone.utc))] = diff

    def to_compare(self, now: dt.datetime) -> list[ShadowPlan]:
        """Plans not compared yet whose tick n8n has had time to write."""
        return [plan for key, plan in sorted(self.plans.items()) if key not in self.diffs and now - plan.tick >= SETTLE]

    def diffs_of(self, slug: str) -> list[ShadowDiff]:
        return [diff for (diff_slug, _), diff in sorted(self.diffs.items()) if diff_slug == slug]


def index_n8n_tasks(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]]:
    """The records not written by Dagster, by (playbook slug, due date) and Key: each record's
    fields read under either slash-date convention, else its stored Key when they make none.
    Built once for all the ticks compared (deriving keys is the costly part)."""
    index: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
    for record in records:
        fields = record.get("fields", {})
        if str(fields.get("Source") or "").strip().lower() == SOURCE:
            continue
        for key in keys_from_fields(fields) or {derive_key(fields).key or ""}:
            parts = key.split(KEY_SEPARATOR)
            if len(parts) == 4:
                index.setdefault((parts[0], parts[3]), {}).setdefault(key, []).append(record)
    return index


def _intercepted(fields: Mapping[str, Any]) -> bool:
    return str(fields.get("Status") or "").strip().lower() == INTERCEPTED_STATUS


def _difference(would_intercept: bool, stored: list[Mapping[str, Any]]) -> str | None:
    """What differs between Dagster's task and n8n's copies of it (any copy), if anything."""
    for record in stored:
        fields = record["fields"]
        if key_disagrees_with_fields(fields):
            return f"n8n stored Key {fields.get('Key')!r} on this task ({record['id']})"
        if would_intercept != _intercepted(fields):
            if would_intercept:
                return f"Dagster intercepts it (deal flagged do-not-contact), n8n did not ({record['id']})"
            return f"n8n intercepted it ({fields.get('Intercept Reason') or 'no reason'}), Dagster would not ({record['id']})"
    return None


def _compare(plan: ShadowPlan, written: Mapping[str, list[Mapping[str, Any]]]) -> ShadowDiff:
    both = sorted(set(plan.tasks) & set(written))
    differences = {key: _difference(plan.tasks[key] == INTERCEPTED_STATUS, written[key]) for key in both}
    return ShadowDiff(
        slug=plan.slug,
        tick=plan.tick,
        due_date=plan.due_date,
        missing=tuple(sorted(set(plan.tasks) - set(written))),
        extra=tuple(sorted(set(written) - set(plan.tasks))),
        different={key: why for key, why in differences.items() if why},
        n8n_duplicates={key: tuple(r["id"] for r in found) for key, found in sorted(written.items()) if len(found) > 1},
        compared_tasks=len(set(plan.tasks) | set(written)),
    )


def diff_shadows(plans: Iterable[ShadowPlan], records: Iterable[Mapping[str, Any]]) -> list[ShadowDiff]:
    """Compare each plan with the records changed since ``READ_BACK`` before its tick (any
    table order, any spelling)."""
    index = index_n8n_tasks(records)
    return [_compare(plan, index.get((plan.slug, plan.due_date.isoformat()), {})) for plan in plans]


def settled_ticks(cron: str, timezone: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The cron's ticks in (start, end], oldest first, one per wall-clock time."""
    iterator = croniter(cron, start.astimezone(ZoneInfo(timezone)))
    ticks: list[dt.datetime] = []
    while (tick := iterator.get_next(dt.datetime)) <= end:
        if not ticks or _wall_clock(ticks[-1]) != _wall_clock(tick):
            ticks.append(tick)
    return ticks


def _wall_clock(tick: dt.datetime, timezone: str | None = None) -> dt.datetime:
    local = tick.astimezone(ZoneInfo(timezone)) if timezone else tick
    return local.replace(tzinfo=None)


@dataclass(frozen=True)
class Readiness:
    slug: str
    ready: bool
    #: Calendar days (in the playbook's timezone) from the first to the last tick of the current
    #: run of clean ticks that compared tasks.
    clean_days: int
    clean_since: dt.datetime | None
    reason: str
    #: Calendar days in that run with at least one tick that compared tasks: the evidence.
    evidence_days: int = 0


NOT_ENOUGH_EVIDENCE = "not enough evidence"


def evidence_days_needed(cron: str, timezone: str, now: dt.datetime) -> int:
    """Days with compared tasks a ready playbook needs: ``CLEAN_DAYS_REQUIRED`` for a playbook
    that fires every day, else as many days as its cron fired on in the last week, and never
    fewer than two (one comparison proves nothing about the next)."""
    week = settled_ticks(cron, timezone, now - dt.timedelta(days=7), now)
    return max(2, min(CLEAN_DAYS_REQUIRED, len({tick.date() for tick in week})))


def readiness(slug: str, cron: str, timezone: str, diffs: Iterable[ShadowDiff], now: dt.datetime) -> Readiness:
    """Walk back from the latest tick old enough to compare; every tick must have an empty diff,
    and enough of them must have compared tasks.

    A tick with no diff ends the run of clean ticks (the shadow schedule was off, its run
    failed, or it predates the shadow), as does a non-empty diff, except a tick younger than
    ``GRACE``, whose run may still be queued: it is not judged yet. A tick whose diff compared
    nothing (n8n wrote nothing and Dagster planned nothing) is no difference, so it does not end
    the run, and no evidence either, so it does not count: a playbook is ready when its clean
    ticks *that compared tasks* span ``CLEAN_DAYS_REQUIRED`` days and fall on at least
    ``evidence_days_needed`` days. Until then it has ``NOT_ENOUGH_EVIDENCE``.
    """
    by_tick = {_wall_clock(diff.tick, timezone): diff for diff in diffs}
    clean: list[dt.datetime] = []
    empty_handed = 0
    blocker: str | None = None
    for tick in reversed(settled_ticks(cron, timezone, now - LOOKBACK, now - SETTLE)):
        diff = by_tick.get(_wall_clock(tick))
        if diff is None and now - tick < GRACE:
            continue
        if diff is None:
            blocker = f"no shadow diff for the tick of {tick.isoformat(timespec='minutes')}"
            break
        if not diff.empty:
            blocker = f"the tick of {tick.isoformat(timespec='minutes')} differs: {diff.describe()}"
            break
        if diff.compared_tasks:
            clean.append(tick)
        else:
            empty_handed += 1
    before = blocker or f"no earlier tick in the last {LOOKBACK.days} days"
    nothing = f" ({empty_handed} clean ticks compared no task)" if empty_handed else ""
    if not clean:
        if empty_handed:
            reason = f"{NOT_ENOUGH_EVIDENCE}: {empty_handed} clean ticks, none of them compared a task; before that, {before}"
        else:
            reason = blocker or "no shadow tick has been compared yet"
        return Readiness(slug, False, 0, None, reason)
    days = (clean[0].date() - clean[-1].date()).days + 1
    evidence = len({tick.date() for tick in clean})
    needed = evidence_days_needed(cron, timezone, now)
    if days >= CLEAN_DAYS_REQUIRED and evidence >= needed:
        return Readiness(slug, True, days, clean[-1], f"{days} consecutive days of empty shadow diffs, {evidence} of them with compared tasks", evidence)
    if days >= CLEAN_DAYS_REQUIRED:
        reason = f"{NOT_ENOUGH_EVIDENCE}: {evidence} of {needed} days with compared tasks{nothing}; before that, {before}"
    else:
        reason = f"{days} of {CLEAN_DAYS_REQUIRED} days clean so far, {evidence} with compared tasks{nothing}; before that, {before}"
        if empty_handed:
            reason = f"{NOT_ENOUGH_EVIDENCE}: {reason}"
    return Readiness(slug, False, days, clean[-1], reason, evidence)
