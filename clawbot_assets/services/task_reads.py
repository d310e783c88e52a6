"""The filtered reads of task_queue_sales that recurring jobs make (``domain.dispatch_reads``
says what and why); each costs what matches, never the table."""

from __future__ import annotations

import datetime as dt

from typing import Sequence

from clawbot_assets.adapters.ssot import LOOKUP_BATCH, TASKS_TABLE, Record, SsotClient
from clawbot_assets.domain.dispatch_reads import DISPATCH_FIELDS, history_reads, open_tasks
from clawbot_assets.domain.playbook import PlaybookValidation


def dispatch_tasks(ssot: SsotClient, validations: Sequence[PlaybookValidation], now: dt.datetime) -> list[Record]:
    """The open tasks plus the history the guardrails judge them against (each record once)."""
    records = {record["id"]: record for record in ssot.select(TASKS_TABLE, open_tasks(), DISPATCH_FIELDS)}
    for condition in history_reads(list(records.values()), validations, now, LOOKUP_BATCH):
        records.update((record["id"], record) for record in ssot.select(TASKS_TABLE, condition, DISPATCH_FIELDS))
    return list(records.values())
