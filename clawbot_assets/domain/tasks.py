"""Turning the deals a playbook targets into task rows, and planning their idempotent upsert.

The upsert writes only a task's identity (Key, Playbook, Deal ID, Step, Due Date). Status and
Source are set when a task is created and never reset by a later firing, so a task already
``sent`` stays ``sent`` however often the schedule fires.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from clawbot_assets.domain.keys import DEFAULT_STEP, compose_key
from clawbot_assets.domain.playbook import Playbook

IDENTITY_FIELDS = ("Key", "Playbook", "Deal ID", "Step", "Due Date")
NEW_TASK_STATUS = "pending"
SOURCE = "dagster"
#: A deal flagged do-not-contact still gets its task, born intercepted with this reason, so
#: the run says what happened to it instead of silently dropping it (DESIGN §3 guardrails).
DO_NOT_CONTACT_REASON = "do_not_contact"


def due_date_for(playbook: Playbook, scheduled_for: dt.datetime) -> dt.date:
    """The run's scheduled date in the playbook's timezone: the same tick always gives the same date."""
    return scheduled_for.astimezone(ZoneInfo(playbook.timezone)).date()


def task_rows(playbook: Playbook, deal_ids: Iterable[str], due_date: dt.date, step: str = DEFAULT_STEP) -> list[dict[str, Any]]:
    """One identity row per distinct deal, sorted by Key so batches are deterministic."""
    rows = {
        key: {"Key": key, "Playbook": playbook.name, "Deal ID": deal_id, "Step": step, "Due Date": due_date.isoformat()}
        for deal_id in deal_ids
        for key in [compose_key(playbook.name, deal_id, step, due_date)]
    }
    return [rows[key] for key in sorted(rows)]


@dataclass
class UpsertPlan:
    to_create: list[dict[str, Any]] = field(default_factory=list)
    to_update: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    @property
    def writes(self) -> list[dict[str, Any]]:
        return self.to_create + self.to_update


def _same_identity(wanted: Mapping[str, Any], existing: Mapping[str, Any]) -> bool:
    return all(str(existing.get(name, "")) == str(wanted[name]) for name in IDENTITY_FIELDS)


def new_task(row: Mapping[str, Any], do_not_contact: bool) -> dict[str, Any]:
    if do_not_contact:
        return {**row, "Status": "intercepted", "Intercept Reason": DO_NOT_CONTACT_REASON, "Source": SOURCE}
    return {**row, "Status": NEW_TASK_STATUS, "Source": SOURCE}


def plan_upsert(
    rows: Sequence[Mapping[str, Any]],
    existing_records: Iterable[Mapping[str, Any]],
    do_not_contact: frozenset[str] = frozenset(),
) -> UpsertPlan:
    """Split rows into creates, updates and no-ops against the records already stored under their Key.

    A Key stored on several records would make Airtable refuse the whole request, so such rows
    are held back as ``ambiguous`` for the nightly dedupe to resolve.
    """
    stored: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in existing_records:
        stored[record["fields"].get("Key", "")].append(record)
    plan = UpsertPlan()
    for row in rows:
        matches = stored.get(row["Key"], [])
        if len(matches) > 1:
            plan.ambiguous[row["Key"]] = [record["id"] for record in matches]
        elif not matches:
            plan.to_create.append(new_task(row, row["Deal ID"] in do_not_contact))
        elif _same_identity(row, matches[0]["fields"]):
            plan.unchanged.append(row["Key"])
        else:
            plan.to_update.append(dict(row))
    return plan


