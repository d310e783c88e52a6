"""Shadow mode: what Dagster would have written for a tick, against what n8n wrote. Pure.

A playbook whose Scheduler is ``shadow`` is still written by n8n. Dagster runs it on its own
schedule, computes its tasks (a ``ShadowPlan``) and writes nothing. Once n8n has had time to
write the same tick (``SETTLE``), the plan is compared by Key with the tasks n8n stored for that
playbook and due date (``diff_shadow``):

- *missing*: Dagster would write the task, n8n did not;
- *extra*: n8n wrote a task Dagster would not;
- *different*: both have it, but not the same: one intercepted a do-not-contact deal and the
  other did not, or n8n's stored Key names another task than its fields.

n8n storing one task several times (its known double firing) is counted apart, as
``n8n_duplicates``: that is the bug the cut-over fixes, not a difference in what is computed.

A playbook is ready to cut over (``readiness``) when every tick of its cron over at least 7
consecutive days, up to the latest one old enough to compare, has an empty diff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from croniter import croniter

from clawbot_assets.domain.keys import KEY_SEPARATOR, derive_key, key_disagrees_with_fields, keys_from_fields

#: How long after a tick n8n is given to finish writing it before the tick is compared.
SETTLE = dt.timedelta(minutes=10)
#: Consecutive days of empty diffs a playbook needs before it is cut over.
CLEAN_DAYS_REQUIRED = 7
#: How far back ticks are looked for; longer than any streak that matters.
LOOKBACK = dt.timedelta(days=30)
INTERCEPTED = "intercepted"


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


def index_n8n_tasks(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]]:
    """The records not written by Dagster, by (playbook slug, due date) and Key: each record's
    fields read under either slash-date convention, else its stored Key when they make none.
    Built once for all the ticks compared (deriving keys is the costly part)."""
    index: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
    for record in records:
        fields = record.get("fields", {})
        if str(fields.get("Source") or "").strip().lower() == "dagster":
            continue
        for key in keys_from_fields(fields) or {derive_key(fields).key or ""}:
            parts = key.split(KEY_SEPARATOR)
            if len(parts) == 4:
                index.setdefault((parts[0], parts[3]), {}).setdefault(key, []).append(record)
    return index


def _intercepted(fields: Mapping[str, Any]) -> bool:
    return str(fields.get("Status") or "").strip().lower() == INTERCEPTED


def _compare(plan: ShadowPlan, written: Mapping[str, list[Mapping[str, Any]]]) -> ShadowDiff:
    different: dict[str, str] = {}
    for key in sorted(set(plan.tasks) & set(written)):
        fields = written[key][0]["fields"]
        would_intercept = plan.tasks[key] == INTERCEPTED
        if key_disagrees_with_fields(fields):
            different[key] = f"n8n stored Key {fields.get('Key')!r} on this task"
        elif would_intercept != _intercepted(fields):
            different[key] = (
                "Dagster intercepts it (deal flagged do-not-contact), n8n did not"
                if would_intercept
                else f"n8n intercepted it ({fields.get('Intercept Reason') or 'no reason'}), Dagster would not"
            )
    return ShadowDiff(
        slug=plan.slug,
        tick=plan.tick,
        due_date=plan.due_date,
        missing=tuple(sorted(set(plan.tasks) - set(written))),
        extra=tuple(sorted(set(written) - set(plan.tasks))),
        different=different,
        n8n_duplicates={key: tuple(r["id"] for r in found) for key, found in sorted(written.items()) if len(found) > 1},
        compared_tasks=len(set(plan.tasks) | set(written)),
    )


def diff_shadows(plans: Iterable[ShadowPlan], records: Iterable[Mapping[str, Any]]) -> list[ShadowDiff]:
    """Compare each plan with the records stored since its tick (any table order, any spelling)."""
    index = index_n8n_tasks(records)
    return [_compare(plan, index.get((plan.slug, plan.due_date.isoformat()), {})) for plan in plans]


def diff_shadow(plan: ShadowPlan, records: Iterable[Mapping[str, Any]]) -> ShadowDiff:
    return diff_shadows([plan], records)[0]


def ready_to_compare(plan: ShadowPlan, now: dt.datetime) -> bool:
    return now - plan.tick >= SETTLE


@dataclass(frozen=True)
class Readiness:
    slug: str
    ready: bool
    #: Calendar days (in the playbook's timezone) covered by the current run of clean ticks.
    clean_days: int
    clean_since: dt.datetime | None
    reason: str


def _ticks(cron: str, timezone: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The cron's ticks in (start, end], oldest first."""
    iterator = croniter(cron, start.astimezone(ZoneInfo(timezone)))
    ticks = []
    while (tick := iterator.get_next(dt.datetime)) <= end:
        ticks.append(tick)
    return ticks


def readiness(slug: str, cron: str, timezone: str, diffs: Iterable[ShadowDiff], now: dt.datetime) -> Readiness:
    """Walk back from the latest tick old enough to compare; every tick must have an empty diff.

    A tick with no diff (the shadow schedule was off, its run failed, or it predates the
    shadow) ends the run of clean ticks, as does a non-empty diff.
    """
    by_tick = {diff.tick.astimezone(dt.timezone.utc): diff for diff in diffs}
    ticks = _ticks(cron, timezone, now - LOOKBACK, now - SETTLE)
    clean: list[dt.datetime] = []
    blocker = "no shadow tick has been compared yet"
    for tick in reversed(ticks):
        diff = by_tick.get(tick.astimezone(dt.timezone.utc))
        if diff is None:
            blocker = f"no shadow diff for the tick of {tick.isoformat(timespec='minutes')}"
            break
        if not diff.empty:
            blocker = f"the tick of {tick.isoformat(timespec='minutes')} differs: {diff.describe()}"
            break
        clean.append(tick)
    if not clean:
        return Readiness(slug, False, 0, None, blocker)
    days = (clean[0].date() - clean[-1].date()).days + 1
    if days >= CLEAN_DAYS_REQUIRED:
        return Readiness(slug, True, days, clean[-1], f"{days} consecutive days of empty shadow diffs")
    return Readiness(slug, False, days, clean[-1], f"{days} of {CLEAN_DAYS_REQUIRED} days clean so far; before that, {blocker}")
