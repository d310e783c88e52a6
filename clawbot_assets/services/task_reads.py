"""The filtered reads of task_queue_sales that recurring jobs make (``domain.dispatch_reads``
says what and why); each costs what matches, never the table."""

from __future__ import annotations

import datetime as dt

from clawbot_assets.adapters.ssot import LOOKUP_BATCH, TASKS_TABLE, Record, SsotClient, chunks
from clawbot_assets.domain.dispatch_reads import (
    DISPATCH_FIELDS,
    candidate_deals,
    deals_history,
    dispatched_today,
    open_tasks,
)


def dispatch_tasks(ssot: SsotClient, now: dt.datetime) -> list[Record]:
    """The open tasks plus the history the guardrails judge them against (each record once)."""
    records = {record["id"]: record for record in ssot.select(TASKS_TABLE, open_tasks(), DISPATCH_FIELDS)}
    deals = candidate_deals(list(records.values()))
    if deals:
        for batch in chunks(deals, LOOKUP_BATCH):
            records.update((r["id"], r) for r in ssot.select(TASKS_TABLE, deals_history(batch), DISPATCH_FIELDS))
        records.update((r["id"], r) for r in ssot.select(TASKS_TABLE, dispatched_today(now), DISPATCH_FIELDS))
    return list(records.values())
