"""The dispatch guardrails (DESIGN §3): what happens to each task before it reaches the queue.

Pure: it takes the tasks, the validated playbooks, the deals flagged do-not-contact and the
current time, and decides per task. The order of the rules is deliberate:

1. no stored Key, or a Key naming no playbook: never dispatched (run the nightly dedupe);
2. the playbook is unsafe (empty Trigger or Approval, a COLD playbook not manual, ...):
   **intercepted** ``playbook_incomplete``, whoever owns the playbook, so a broken COLD
   playbook can never send and its intercepts are counted; a playbook that cannot be read with
   certainty (its slug shared by several rows, an unreadable Tier or Scheduler) is
   **intercepted** ``playbook_unreadable`` the same way (guardrails fail closed);
3. the playbook is not Enabled, or not owned by ``dagster``: never dispatched, left as it is;
4. the deal is flagged do-not-contact: intercepted ``do_not_contact``;
5. Approval is manual and the task is not ``approved``: held (left ``pending``), not intercepted;
6. the deal got this playbook within Cooldown Days: intercepted ``cooldown``;
7. the playbook's Daily Cap is reached today (in its timezone): intercepted ``daily_cap_reached``.

A task "got" its playbook once it is ``dispatching``, ``queued`` or ``sent``. The day a task was
dispatched is its ``Queued At`` (the n8n era did not record it: its Due Date stands in).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from clawbot_assets.domain.keys import KEY_SEPARATOR
from clawbot_assets.domain.playbook import UNREADABLE_FOR_DISPATCH, UNSAFE_TO_RUN, PlaybookValidation
from clawbot_assets.domain.task_lifecycle import Status

DISPATCHABLE_STATUSES = (Status.PENDING, Status.APPROVED)
#: A task in one of these has been handed to the queue (or is being handed).
DISPATCHED_STATUSES = (Status.DISPATCHING, Status.QUEUED, Status.SENT)
QUEUED_AT_FIELD = "Queued At"


class Outcome:
    DISPATCH = "dispatch"
    HELD = "held_for_approval"
    INTERCEPTED = "intercepted"
    NOT_DISPATCHABLE = "not_dispatchable"


class Reason:
    PLAYBOOK_INCOMPLETE = "playbook_incomplete"
    DO_NOT_CONTACT = "do_not_contact"
    COOLDOWN = "cooldown"
    DAILY_CAP_REACHED = "daily_cap_reached"
    PLAYBOOK_UNREADABLE = "playbook_unreadable"


#: Every intercept reason; each is a metric of its own (``intercepted_<reason>``).
INTERCEPT_REASONS = (Reason.PLAYBOOK_INCOMPLETE, Reason.DO_NOT_CONTACT, Reason.COOLDOWN, Reason.DAILY_CAP_REACHED,
                     Reason.PLAYBOOK_UNREADABLE)


@dataclass(frozen=True)
class TaskView:
    record_id: str
    key: str
    slug: str
    deal_id: str
    step: str
    due_date: dt.date
    status: str
    playbook_field: str
    queued_at: dt.datetime | None = None


@dataclass(frozen=True)
class Decision:
    task: TaskView | None
    record_id: str
    outcome: str
    reason: str = ""
    detail: str = ""


@dataclass
class DispatchPlan:
    decisions: list[Decision] = field(default_factory=list)

    def of(self, outcome: str) -> list[Decision]:
        return [decision for decision in self.decisions if decision.outcome == outcome]

    def intercepts_by_reason(self) -> dict[str, int]:
        counts = {reason: 0 for reason in INTERCEPT_REASONS}
        for decision in self.of(Outcome.INTERCEPTED):
            counts[decision.reason] += 1
        return counts


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def task_view(record: Mapping[str, Any]) -> TaskView | None:
    """A task read through its stored Key; ``None`` when it has no well-formed Key."""
    fields = record.get("fields") or {}
    key = fields.get("Key")
    if not isinstance(key, str):
        return None
    parts = key.split(KEY_SEPARATOR)
    if len(parts) != 4 or not all(parts):
        return None
    try:
        due = dt.date.fromisoformat(parts[3])
    except ValueError:
        return None
    status = fields.get("Status")
    return TaskView(
        record_id=record["id"], key=key, slug=parts[0], deal_id=parts[1], step=parts[2], due_date=due,
        status=status.strip().lower() if isinstance(status, str) else "",
        playbook_field=fields.get("Playbook") if isinstance(fields.get("Playbook"), str) else parts[0],
        queued_at=_parse_time(fields.get(QUEUED_AT_FIELD)),
    )


class _History:
    """What each playbook already dispatched: per deal (cooldown) and per local day (cap)."""

    def __init__(self, tasks: Iterable[TaskView]) -> None:
        self.by_deal: dict[tuple[str, str], list[TaskView]] = defaultdict(list)
        self.tasks: dict[str, list[TaskView]] = defaultdict(list)
        for task in tasks:
            self.add(task)

    def add(self, task: TaskView) -> None:
        self.by_deal[(task.slug, task.deal_id)].append(task)
        self.tasks[task.slug].append(task)

    def recent(self, task: TaskView, cooldown_days: int) -> TaskView | None:
        for other in self.by_deal[(task.slug, task.deal_id)]:
            if other.key != task.key and abs((task.due_date - other.due_date).days) < cooldown_days:
                return other
        return None

    def dispatched_on(self, slug: str, day: dt.date, zone: ZoneInfo) -> int:
        return sum(
            1 for other in self.tasks[slug]
            if (other.queued_at.astimezone(zone).date() if other.queued_at else other.due_date) == day
        )


def plan_dispatch(
    records: Sequence[Mapping[str, Any]],
    validations: Sequence[PlaybookValidation],
    do_not_contact: frozenset[str],
    now: dt.datetime,
) -> DispatchPlan:
    """Decide every ``pending`` or ``approved`` task, oldest Due Date first, then by Key."""
    by_slug: dict[str, list[PlaybookValidation]] = defaultdict(list)
    for validation in validations:
        if validation.playbook is not None:
            by_slug[validation.playbook.slug].append(validation)
    views = [(record, task_view(record)) for record in records]
    history = _History(view for _, view in views if view and view.status in DISPATCHED_STATUSES)
    candidates = [(record, view) for record, view in views
                  if str((record.get("fields") or {}).get("Status", "")).strip().lower() in DISPATCHABLE_STATUSES]
    candidates.sort(key=lambda pair: (pair[1].due_date, pair[1].key) if pair[1] else (dt.date.max, pair[0]["id"]))
    plan = DispatchPlan()
    for record, view in candidates:
        decision = _decide(record, view, by_slug, do_not_contact, history, now)
        plan.decisions.append(decision)
        if decision.outcome == Outcome.DISPATCH and view is not None:
            history.add(TaskView(**{**view.__dict__, "status": Status.DISPATCHING, "queued_at": now}))
    return plan


def _decide(record, view: TaskView | None, by_slug, do_not_contact, history: _History, now: dt.datetime) -> Decision:
    if view is None:
        return Decision(None, record["id"], Outcome.NOT_DISPATCHABLE, "no_key", "no well-formed Key: run nightly_dedupe")
    rows = by_slug.get(view.slug)
    if not rows:
        return Decision(view, view.record_id, Outcome.NOT_DISPATCHABLE, "unknown_playbook", f"no playbook has slug {view.slug!r}")
    if len(rows) > 1:
        return Decision(view, view.record_id, Outcome.INTERCEPTED, Reason.PLAYBOOK_UNREADABLE,
                        f"{len(rows)} Playbooks rows make the slug {view.slug!r}: which one's Approval and cap apply is unknown")
    validation = rows[0]
    if validation.codes & UNREADABLE_FOR_DISPATCH:
        return Decision(view, view.record_id, Outcome.INTERCEPTED, Reason.PLAYBOOK_UNREADABLE, validation.describe())
    if validation.codes & UNSAFE_TO_RUN:
        return Decision(view, view.record_id, Outcome.INTERCEPTED, Reason.PLAYBOOK_INCOMPLETE, validation.describe())
    playbook = validation.playbook
    assert playbook is not None
    if not playbook.scheduled_by_dagster:
        why = "not Enabled" if not playbook.enabled else f"owned by {playbook.scheduler}"
        return Decision(view, view.record_id, Outcome.NOT_DISPATCHABLE, "not_owned", why)
    if view.deal_id in do_not_contact:
        return Decision(view, view.record_id, Outcome.INTERCEPTED, Reason.DO_NOT_CONTACT, f"deal {view.deal_id} is flagged do-not-contact")
    if playbook.approval == "manual" and view.status != "approved":
        return Decision(view, view.record_id, Outcome.HELD, "", "Approval is manual and the task is not approved")
    recent = history.recent(view, playbook.cooldown_days)
    if recent is not None:
        return Decision(view, view.record_id, Outcome.INTERCEPTED, Reason.COOLDOWN,
                        f"deal got this playbook for {recent.due_date.isoformat()} ({recent.key}), within {playbook.cooldown_days} days")
    if playbook.daily_cap is not None:
        zone = ZoneInfo(playbook.timezone)
        today = now.astimezone(zone).date()
        if history.dispatched_on(view.slug, today, zone) >= playbook.daily_cap:
            return Decision(view, view.record_id, Outcome.INTERCEPTED, Reason.DAILY_CAP_REACHED,
                            f"{playbook.daily_cap} tasks already dispatched on {today.isoformat()}")
    return Decision(view, view.record_id, Outcome.DISPATCH)
