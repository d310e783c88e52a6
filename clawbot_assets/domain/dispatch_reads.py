"""What the dispatch reads from task_queue_sales: the open tasks, then only the history the
guardrails judge them against, never the whole table (issue 17; the base's budget is 18,000
requests an hour for everything).

1. Open tasks: Status ``pending``, ``approved`` (candidates) or ``dispatching`` (to reconcile).
2. For the candidates, what the guardrails look at (``guardrails.plan_dispatch``):
   - cooldown: the tasks of the candidates' deals that were dispatched (a task's deal is its
     ``Deal ID``, the Key's second part), plus those intercepted do-not-contact;
   - daily cap: the tasks dispatched today in any timezone: ``Queued At`` in the last 26 h (a
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
    DISPATCHING,
    QUEUED_AT_FIELD,
    task_view,
)
from clawbot_assets.domain.ssot_query import Condition, FieldOnOrAfter, all_of, any_of, field_in
from clawbot_assets.domain.tasks import DO_NOT_CONTACT_REASON

OPEN_STATUSES = (*DISPATCHABLE_STATUSES, DISPATCHING)
#: The fields the dispatch and its guardrails read; nothing else is fetched.
DISPATCH_FIELDS = ("Key", "Status", "Playbook", "Deal ID", "Step", "Due Date", QUEUED_AT_FIELD, "Intercept Reason")
#: A local day starts at most 25 h before now (a daylight-saving day); an hour of margin.
CAP_LOOKBACK = dt.timedelta(hours=26)
#: Days before today (UTC) that a Due Date standing in for a missing Queued At may be "today".
CAP_DUE_DATE_LOOKBACK_DAYS = 2


def open_tasks() -> Condition:
    return field_in("Status", OPEN_STATUSES)


def candidate_deals(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The deals of the open tasks that may be dispatched, from their Keys."""
    deals = set()
    for record in records:
        view = task_view(record)
        if view is not None and view.status in DISPATCHABLE_STATUSES:
            deals.add(view.deal_id)
    return sorted(deals)


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
