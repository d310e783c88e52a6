"""The one way a service writes a task's Status: re-read the records, keep only the moves the
lifecycle allows from what was re-read, write those (clawbot_assets/domain/task_lifecycle.py).

A caller that has just read the same records, with nothing slow or external since, passes them as
``known`` and saves the re-read. One that has waited on anything meanwhile (the worker's
``deliver`` can take seconds, while a person cancels the task) lets the records be re-read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from clawbot_assets.adapters.ssot import TASKS_TABLE, SsotClient
from clawbot_assets.domain.task_lifecycle import allowed, effective_status, refusal


@dataclass(frozen=True)
class StatusChange:
    record_id: str
    status: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Written with the Status (Last Error, Queued At, ...)."""


@dataclass
class StatusWrites:
    written: list[str] = field(default_factory=list)
    #: record id -> why the lifecycle refused it (its re-read status, or that it is gone)
    refused: dict[str, str] = field(default_factory=dict)
    #: record id -> the status re-read just before the write
    current: dict[str, str] = field(default_factory=dict)


def write_statuses(ssot: SsotClient, actor: str, changes: Sequence[StatusChange],
                   known: Mapping[str, Mapping[str, Any]] | None = None) -> StatusWrites:
    """Write each change the lifecycle allows from the status re-read now; report the rest.

    ``known`` (record id -> fields) is the caller's own read of every changed record, made just
    before with nothing slow or external since: it is judged instead of a re-read, and a record
    it lacks was not found."""
    result = StatusWrites()
    if not changes:
        return result
    records = known if known is not None else {
        record["id"]: record.get("fields") or {}
        for record in ssot.find_by_ids(TASKS_TABLE, [change.record_id for change in changes])}
    updates = []
    for change in changes:
        if change.record_id not in records:
            result.refused[change.record_id] = "task no longer exists"
            continue
        current = effective_status(records[change.record_id])
        result.current[change.record_id] = current
        if allowed(actor, current, change.status):
            updates.append((change.record_id, {**change.fields, "Status": change.status}))
            result.written.append(change.record_id)
        else:
            result.refused[change.record_id] = refusal(actor, current, change.status)
    if updates:
        ssot.update(TASKS_TABLE, updates)
    return result
