"""Triage of the dead-letter queue: say what each message is, mark its task, offer a redrive.

Every message in the DLQ is read once (received, then made visible again unless it is redriven
or deleted). A task message marks its task ``failed`` with the reason in Last Error; a malformed
one names its Key when the body still holds one. A redrive (only when asked) sends each task
message back to the queue under a deduplication id of its own (the Key alone would be dropped
if the first send was under 5 minutes ago), marks its task ``queued``, then deletes it from the
DLQ; a crash in between resends under the same id, which FIFO dedup drops. Malformed messages
are never redriven: they stay in the DLQ unless ``delete_malformed`` (their bodies are in the
run's metadata first).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Optional

from clawbot_assets.adapters.queue import OutgoingMessage, QueueClient, ReceivedMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE, SsotClient
from clawbot_assets.domain.queue_message import MessageError, key_of, parse_message

#: Long enough to read the whole DLQ once without seeing a message twice.
READ_VISIBILITY_SECONDS = 120


@dataclass
class TriagedMessage:
    message_id: str
    key: Optional[str]
    reason: str
    malformed: bool
    body: str
    receipt_handle: str
    group_id: str


@dataclass
class TriageReport:
    dry_run: bool
    messages: list[TriagedMessage] = field(default_factory=list)
    marked_failed: list[str] = field(default_factory=list)
    redriven: list[str] = field(default_factory=list)
    deleted_malformed: int = 0
    redrive_method: str = ""

    def figures(self) -> dict[str, int]:
        return {"dlq_messages": len(self.messages), "malformed": sum(m.malformed for m in self.messages),
                "tasks_marked_failed": len(self.marked_failed), "redriven": len(self.redriven),
                "deleted_malformed": self.deleted_malformed}


def read_dlq(dlq: QueueClient, limit: int) -> list[TriagedMessage]:
    seen: dict[str, TriagedMessage] = {}
    while len(seen) < limit and (batch := dlq.receive(10, visibility_timeout=READ_VISIBILITY_SECONDS)):
        for message in batch:
            seen.setdefault(message.message_id, _triaged(message))
    return list(seen.values())


def _triaged(message: ReceivedMessage) -> TriagedMessage:
    try:
        task = parse_message(message.body)
        return TriagedMessage(message.message_id, task.key, "dead-lettered: the worker received it the maximum number "
                              "of times without completing it", False, message.body, message.receipt_handle, message.group_id)
    except MessageError as error:
        return TriagedMessage(message.message_id, key_of(message.body), f"dead-lettered: malformed message ({error})",
                              True, message.body, message.receipt_handle, message.group_id)


def redrive_id(message: TriagedMessage) -> str:
    return "redrive-" + hashlib.sha256(f"{message.key}|{message.message_id}".encode()).hexdigest()[:48]


def run_triage(ssot: SsotClient, dlq: QueueClient, queue: QueueClient, *, redrive: bool = False,
               delete_malformed: bool = False, limit: int = 1000,
               start_redrive: Callable[[], Optional[str]] | None = None) -> TriageReport:
    report = TriageReport(dry_run=not redrive)
    report.messages = read_dlq(dlq, limit)
    keyed = {m.key: m for m in report.messages if m.key}
    records = {r["fields"].get("Key"): r for r in ssot.find_by_keys(TASKS_TABLE, sorted(keyed))} if keyed else {}
    marks = [(records[key]["id"], {"Status": "failed", "Last Error": message.reason[:500]})
             for key, message in keyed.items()
             if key in records and str(records[key]["fields"].get("Status", "")).lower() != "sent"]
    ssot.update(TASKS_TABLE, marks)
    report.marked_failed = [key for key in keyed if key in records and records[key]["id"] in {m[0] for m in marks}]
    if not redrive:
        _release(dlq, report.messages)
        return report
    valid = [m for m in report.messages if not m.malformed]
    malformed = [m for m in report.messages if m.malformed]
    if valid and not malformed and start_redrive is not None:
        _release(dlq, valid)  # the move task only moves messages that are visible
        if start_redrive():
            report.redrive_method = "StartMessageMoveTask"
            for message in valid:
                _requeue(ssot, records, message)
                report.redriven.append(message.key or message.message_id)
            return report
    report.redrive_method = "receive, send, delete"
    for message in valid:
        group = message.group_id or (message.key or "").split("|")[0]
        if queue.send_batch([OutgoingMessage(redrive_id(message), group, message.body)]).sent:
            _requeue(ssot, records, message)
            dlq.delete(message.receipt_handle)
            report.redriven.append(message.key or message.message_id)
    if delete_malformed:
        for message in malformed:
            dlq.delete(message.receipt_handle)
            report.deleted_malformed += 1
    else:
        _release(dlq, malformed)
    return report


def _release(dlq: QueueClient, messages: list[TriagedMessage]) -> None:
    """Left in the DLQ: visible again at once, so the next triage (or a redrive) sees them."""
    for message in messages:
        dlq.release(message.receipt_handle)


def _requeue(ssot: SsotClient, records: dict, message: TriagedMessage) -> None:
    record = records.get(message.key)
    if record is not None and str(record["fields"].get("Status", "")).lower() != "sent":
        ssot.update(TASKS_TABLE, [(record["id"], {"Status": "queued", "Last Error": f"redriven from the DLQ after: {message.reason}"[:500]})])
