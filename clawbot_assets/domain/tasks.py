"""Turning the deals a playbook targets into task rows, and planning their idempotent upsert.

Between a run's read and its write, anything may appear under a Key: another run of the same
playbook, the dedupe writing Keys onto legacy rows, a person. So the upsert request carries
only the Key, its merge field: when it matches a record that appeared meanwhile it writes
nothing that record did not already hold. The records the upsert reports as created then get
their identity and initial state (``initial_fields``) by an update of just those ids. A task
left with a Key and no Status (a run died between the two requests) is repaired by the next
run that computes its Key, filling only blank fields; a younger one is probably still being
created by another run, and is left to it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from clawbot_assets.domain.keys import DEFAULT_STEP, compose_key, key_disagrees_with_fields
from clawbot_assets.domain.playbook import Playbook
from clawbot_assets.domain.task_lifecycle import Status, effective_status

IDENTITY_FIELDS = ("Key", "Playbook", "Deal ID", "Step", "Due Date")
#: The only field an upsert request carries (its ``fieldsToMergeOn``).
MERGE_FIELD = "Key"
NEW_TASK_STATUS = "pending"
INTERCEPTED_STATUS = "intercepted"
SOURCE = "dagster"
#: A deal flagged do-not-contact still gets its task, born intercepted with this reason, so
#: the run says what happened to it instead of silently dropping it (DESIGN §3 guardrails).
DO_NOT_CONTACT_REASON = "do_not_contact"
#: A task without Status younger than this is taken to be still under creation by another run
#: (its follow-up update is one request behind its upsert) and is not repaired.
REPAIR_AFTER = dt.timedelta(seconds=60)


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


def new_task(row: Mapping[str, Any], do_not_contact: bool) -> dict[str, Any]:
    """Identity and initial state of a task: pending, or intercepted for a do-not-contact deal."""
    if do_not_contact:
        return {**row, "Status": INTERCEPTED_STATUS, "Intercept Reason": DO_NOT_CONTACT_REASON, "Source": SOURCE}
    return {**row, "Status": NEW_TASK_STATUS, "Source": SOURCE}


def upsert_request_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {MERGE_FIELD: row[MERGE_FIELD]}


@dataclass
class UpsertPlan:
    #: Keys to upsert, each with the fields its record gets if the upsert creates it.
    to_create: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: ``(record id, blank fields to fill)`` for tasks found without Status.
    to_repair: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Keys of tasks without Status too young to repair.
    awaiting_status: list[str] = field(default_factory=list)
    #: Keys stored on several records: Airtable would refuse the upsert.
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    #: Keys stored on a record whose own fields are another task: never written by a run.
    key_mismatch: dict[str, list[str]] = field(default_factory=dict)


def _created_at(record: Mapping[str, Any]) -> dt.datetime | None:
    text = record.get("createdTime")
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _blank_fields_of(wanted: Mapping[str, Any], existing: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in wanted.items() if existing.get(name) in (None, "", [])}


def plan_upsert(
    rows: Sequence[Mapping[str, Any]],
    existing_records: Iterable[Mapping[str, Any]],
    do_not_contact: frozenset[str] = frozenset(),
    now: dt.datetime | None = None,
) -> UpsertPlan:
    """Split rows against the records already stored under their Key.

    A record already there is never written, whatever its spelling, with one exception: a
    task without Status older than ``REPAIR_AFTER`` gets its blank fields filled. A Key held
    by several records (``ambiguous``), or by a record whose own fields make another key
    (``key_mismatch``), is held back for the dedupe and a person to resolve.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    stored: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in existing_records:
        stored[record["fields"].get("Key", "")].append(record)
    plan = UpsertPlan()
    for row in rows:
        key, matches = row["Key"], stored.get(row["Key"], [])
        wanted = new_task(row, row["Deal ID"] in do_not_contact)
        if len(matches) > 1:
            plan.ambiguous[key] = [record["id"] for record in matches]
        elif not matches:
            plan.to_create.append(wanted)
        elif key_disagrees_with_fields(matches[0]["fields"]):
            plan.key_mismatch[key] = [matches[0]["id"]]
        elif matches[0]["fields"].get("Status"):
            plan.unchanged.append(key)
        elif (created := _created_at(matches[0])) is not None and now - created < REPAIR_AFTER:
            plan.awaiting_status.append(key)
        else:
            plan.to_repair.append((matches[0]["id"], _blank_fields_of(wanted, matches[0]["fields"])))
    return plan


def still_blank(repairs: Sequence[tuple[str, Mapping[str, Any]]], current: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The repairs whose record, re-read just before the write, still has no Status (the only
    status the task lifecycle lets a playbook run move from): only those fields still blank are
    written, so a task someone moved on is never reset."""
    by_id = {record["id"]: record["fields"] for record in current}
    return [
        (record_id, _blank_fields_of(fields, by_id[record_id]))
        for record_id, fields in repairs
        if record_id in by_id and effective_status(by_id[record_id]) == Status.NEW
    ]
