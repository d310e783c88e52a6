"""What the dispatch reads from task_queue_sales: the open tasks, then only the history the
guardrails judge them against, never the whole table (issue 17; the base's budget is 18,000
requests an hour for everything).

1. Open tasks: Status ``pending``, ``approved`` (candidates) or ``dispatching`` (to reconcile).
2. For the candidates, what the guardrails look at (``guardrails.plan_dispatch``), and only
   for the candidates that reach the rule (``history_reads``):
   - do-not-contact: the candidates' deals' tasks intercepted ``do_not_contact``;
   - cooldown: the tasks of the candidates' deals that were dispatched (a task's deal is its
     ``Deal ID``, the Key's second part);
   - daily cap, when a candidate's playbook has one: the tasks dispatched today in any timezone: ``Queued At`` in the last 26 h (a
     local day starts at most 25 h before now), or, for n8n-era tasks with no ``Queued At``, a
     ``Due Date`` from two days ago on.

Status values are compared exactly, as Airtable's single select stores them (lower case, as in
the data contract). Both reads are supersets of what the guardrails use, so every decision is
the one a full read would give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Sequence

from clawbot_assets.domain.guardrails import (
    DISPATCHABLE_STATUSES,
    DISPATCHED_STATUSES,
    QUEUED_AT_FIELD,
    task_view,
)
from clawbot_assets.domain.playbook import UNSAFE_TO_RUN, PlaybookValidation
from clawbot_assets.domain.ssot_query import Condition, FieldOnOrAfter, all_of, any_of, field_in
from clawbot_assets.domain.task_lifecycle import SENT_AT_FIELD, Status
from clawbot_assets.domain.tasks import DO_NOT_CONTACT_REASON

OPEN_STATUSES = (*DISPATCHABLE_STATUSES, Status.DISPATCHING)
#: The fields the dispatch and its guardrails read; nothing else is fetched.
DISPATCH_FIELDS = ("Key", "Status", "Playbook", "Deal ID", "Step", "Due Date", QUEUED_AT_FIELD, "Intercept Reason", SENT_AT_FIELD)
#: A local day starts at most 25 h before now (a daylight-saving day); an hour of margin.
CAP_LOOKBACK = dt.timedelta(hours=26)
#: Days before today (UTC) that a Due Date standing in for a missing Queued At may be "today".
CAP_DUE_DATE_LOOKBACK_DAYS = 2


def open_tasks() -> Condition:
    return field_in("Status", OPEN_STATUSES)


def history_reads(
    records: Sequence[Mapping[str, Any]], validations: Sequence[PlaybookValidation], now: dt.datetime, batch: int
) -> list[Condition]:
    """What to read, besides the open tasks, for the guardrails to judge them as a full read
    would. It follows the order of ``guardrails._decide``: a candidate that stops before the
    do-not-contact rule (no Key, unknown, unsafe or not Dagster's playbook) needs nothing; one
    held for approval needs only its deal's do-not-contact intercepts; one that reaches the
    cooldown needs its deal's dispatched tasks too, and the daily cap, if its playbook has one,
    today's dispatches. ``batch`` deals at most per condition (one formula per request)."""
    by_slug = {v.playbook.slug: v for v in validations if v.playbook is not None}
    contact_only: set[str] = set()
    judged: set[str] = set()
    capped = False
    for record in records:
        view = task_view(record)
        if view is None or view.status not in DISPATCHABLE_STATUSES:
            continue
        validation = by_slug.get(view.slug)
        if validation is None or validation.codes & UNSAFE_TO_RUN or not validation.playbook.scheduled_by_dagster:
            continue
        if validation.playbook.approval == "manual" and view.status != "approved":
            contact_only.add(view.deal_id)
            continue
        judged.add(view.deal_id)
        capped |= validation.playbook.daily_cap is not None
    contact_only -= judged
    reads: list[Condition] = [
        all_of(field_in("Deal ID", deals), field_in("Intercept Reason", [DO_NOT_CONTACT_REASON]))
        for deals in _batches(sorted(contact_only), batch)
    ]
    reads += [deals_history(deals) for deals in _batches(sorted(judged), batch)]
    if capped:
        reads.append(dispatched_today(now))
    return reads


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def deals_history(deals: Sequence[str]) -> Condition:
    """Everything the cooldown and the do-not-contact rule need about ``deals``."""
    return all_of(
        field_in("Deal ID", deals),
        any_of(field_in("Status", DISPATCHED_STATUSES), field_in("Intercept Reason", [DO_NOT_CONTACT_REASON])),
    )


def dispatched_today(now: dt.datetime) -> Condition:
    """Everything the daily cap needs: tasks dispatched today in any timezone."""
    today = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return all_of(
        field_in("Status", DISPATCHED_STATUSES),
        any_of(
            FieldOnOrAfter(QUEUED_AT_FIELD, now - CAP_LOOKBACK),
            all_of(
                field_in(QUEUED_AT_FIELD, [""]),
                FieldOnOrAfter("Due Date", today - dt.timedelta(days=CAP_DUE_DATE_LOOKBACK_DAYS)),
            ),
        ),
    )
