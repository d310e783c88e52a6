"""Triage of the dead-letter queue: say what each message is, mark its task, offer a redrive.

Every message in the DLQ is read once, under a short visibility, and released again before the
run ends, whatever happens (a triage that dies leaves them hidden ``READ_VISIBILITY_SECONDS`` at
most). A body that cannot be read is reported as malformed, never raised. When a triage reads
no message while the DLQ's depth says it holds some (hidden by another reader), its report says
so (``unread_depth``).

A task message marks its task ``failed`` with the reason in Last Error (the lifecycle refuses it
for a task already ``sent``). A redrive (only when asked) first moves each task ``failed`` ->
``queued`` (the lifecycle's redrive move), so a worker that gets the message finds its task
sendable, then sends the message back to the queue under a deduplication id of its own (the Key
alone would be dropped if the first send was under 5 minutes ago), then deletes it from the DLQ.
Each triage run sends under ids of its own (``redrive_id``): a crash between the send and the
delete leaves a copy in the DLQ, which a later redrive sends again, and that send must not be
dropped as a duplicate of a copy a worker may have dropped meanwhile (its task was ``failed``
then). Two copies of one task message are harmless: FIFO hands a worker one message of a
playbook's group at a time, and the worker judges each by its task, so the second finds it
``sent`` and is deleted unsent. A message whose task is
already ``sent`` is deleted from the DLQ unsent; one whose task cannot be made ``queued``
(cancelled, gone) stays in the DLQ, reported. Malformed messages are never redriven: they stay
in the DLQ unless ``delete_malformed`` (their bodies are in the run's metadata first).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

from clawbot_assets.adapters.queue import OutgoingMessage, QueueClient, ReceivedMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE, SsotClient
from clawbot_assets.domain.queue_message import MessageError, key_of, parse_message
from clawbot_assets.domain.task_lifecycle import SENDABLE, Actor, Status
from clawbot_assets.services.status_writes import StatusChange, write_statuses

#: Long enough to read the DLQ once (each message is released as soon as the run is done with
#: it), short enough that a triage that dies hides nothing for long.
READ_VISIBILITY_SECONDS = 20


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
    deleted_already_sent: list[str] = field(default_factory=list)
    not_redriven: dict[str, str] = field(default_factory=dict)
    deleted_malformed: int = 0
    redrive_method: str = ""
    #: Messages the DLQ's depth counted when this triage read none (hidden by another reader).
    unread_depth: int = 0

    def figures(self) -> dict[str, int]:
        return {"dlq_messages": len(self.messages), "malformed": sum(m.malformed for m in self.messages),
                "tasks_marked_failed": len(self.marked_failed), "redriven": len(self.redriven),
                "deleted_already_sent": len(self.deleted_already_sent), "not_redriven": len(self.not_redriven),
                "deleted_malformed": self.deleted_malformed, "unread_depth": self.unread_depth}


def read_dlq(dlq: QueueClient, limit: int) -> list[TriagedMessage]:
    seen: dict[str, TriagedMessage] = {}
    while len(seen) < limit and (batch := dlq.receive(10, visibility_timeout=READ_VISIBILITY_SECONDS)):
        for message in batch:
            seen.setdefault(message.message_id, _triaged(message))
    return list(seen.values())


def safe_text(value: object) -> str:
    """Text that any log, metadata store or SSOT accepts: what is not valid UTF-8 (a lone
    surrogate a JSON escape produced, say) shown as a backslash escape."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _usable_key(key: Optional[str]) -> Optional[str]:
    """A Key that can be looked up; one that is not valid UTF-8 names no task."""
    return key if key is not None and safe_text(key) == key else None


def _triaged(message: ReceivedMessage) -> TriagedMessage:
    def malformed(reason: str, key: Optional[str]) -> TriagedMessage:
        return TriagedMessage(message.message_id, key, f"dead-lettered: malformed message ({reason})",
                              True, message.body, message.receipt_handle, message.group_id)
    try:
        task = parse_message(message.body)
    except MessageError as error:
        try:
            key = _usable_key(key_of(message.body))
        except Exception:  # noqa: BLE001 - a body too odd even to name its Key is still reported
            key = None
        return malformed(safe_text(error), key)
    except Exception as error:  # noqa: BLE001 - triage reports any body, it never crashes on one
        return malformed(type(error).__name__, None)
    if _usable_key(task.key) is None:
        return malformed("the key is not valid UTF-8 text", None)
    return TriagedMessage(message.message_id, task.key, "dead-lettered: the worker received it the maximum number "
                          "of times without completing it", False, message.body, message.receipt_handle, message.group_id)


def redrive_id(message: TriagedMessage, run: str) -> str:
    """The deduplication id of one triage run's redrive of one DLQ message."""
    return "redrive-" + hashlib.sha256(f"{message.key}|{message.message_id}|{run}".encode()).hexdigest()[:48]


def run_triage(ssot: SsotClient, dlq: QueueClient, queue: QueueClient, *, redrive: bool = False,
               delete_malformed: bool = False, limit: int = 1000,
               start_redrive: Callable[[], Optional[str]] | None = None, run_id: str = "") -> TriageReport:
    """``run_id`` names this run in its redrive ids (a fresh one when empty)."""
    report = TriageReport(dry_run=not redrive)
    run = run_id or uuid.uuid4().hex
    report.messages = read_dlq(dlq, limit)
    left: dict[str, TriagedMessage] = {m.message_id: m for m in report.messages}
    try:
        if not report.messages:
            report.unread_depth = dlq.depth().total
            return report
        _triage(ssot, dlq, queue, report, left, redrive, delete_malformed, start_redrive, run)
    finally:
        _release(dlq, list(left.values()))
    return report


def _triage(ssot: SsotClient, dlq: QueueClient, queue: QueueClient, report: TriageReport,
            left: dict[str, TriagedMessage], redrive: bool, delete_malformed: bool,
            start_redrive: Callable[[], Optional[str]] | None, run: str) -> None:
    keyed = {m.key: m for m in report.messages if m.key}
    records = {r["fields"].get("Key"): r for r in ssot.find_by_keys(TASKS_TABLE, sorted(keyed))} if keyed else {}
    marked = write_statuses(ssot, Actor.TRIAGE, [
        StatusChange(records[key]["id"], Status.FAILED, {"Last Error": message.reason[:500]})
        for key, message in keyed.items() if key in records],
        known={record["id"]: record.get("fields") or {} for record in records.values()})
    report.marked_failed = [key for key in keyed if key in records and records[key]["id"] in marked.written]
    if not redrive:
        return
    valid = [m for m in report.messages if not m.malformed]
    malformed = [m for m in report.messages if m.malformed]
    sendable = _make_redrivable(ssot, records, valid, report)
    for message in valid:
        if message.key in report.deleted_already_sent:
            dlq.delete(message.receipt_handle)
            left.pop(message.message_id, None)
    if sendable and len(sendable) == len(valid) and not malformed and start_redrive is not None:
        _release(dlq, sendable)  # the move task only moves messages that are visible
        for message in sendable:
            left.pop(message.message_id, None)
        if start_redrive():
            report.redrive_method = "StartMessageMoveTask"
            report.redriven = [m.key or m.message_id for m in sendable]
            return
        sendable = _reread_for_resend(dlq, {m.message_id for m in sendable}, left)
    report.redrive_method = "receive, send, delete"
    for message in sendable:
        group = message.group_id or (message.key or "").split("|")[0]
        if queue.send_batch([OutgoingMessage(redrive_id(message, run), group, message.body)]).sent:
            dlq.delete(message.receipt_handle)
            left.pop(message.message_id, None)
            report.redriven.append(message.key or message.message_id)
    if delete_malformed:
        for message in malformed:
            dlq.delete(message.receipt_handle)
            left.pop(message.message_id, None)
            report.deleted_malformed += 1


def _make_redrivable(ssot: SsotClient, records: dict, valid: list[TriagedMessage], report: TriageReport) -> list[TriagedMessage]:
    """Move each task ``failed`` -> ``queued`` before its message goes anywhere near a worker;
    return the messages whose task is now sendable."""
    changes = [StatusChange(records[m.key]["id"], Status.QUEUED, {"Last Error": f"redriven from the DLQ after: {m.reason}"[:500]})
               for m in valid if m.key in records]
    requeued = write_statuses(ssot, Actor.REDRIVE, changes)
    sendable = []
    for message in valid:
        record = records.get(message.key)
        if record is None:
            report.not_redriven[message.key or message.message_id] = "no task has this Key"
            continue
        current = requeued.current.get(record["id"], "")
        if record["id"] in requeued.written or current in SENDABLE:
            sendable.append(message)
        elif current == Status.SENT:
            report.deleted_already_sent.append(message.key or message.message_id)
        else:
            report.not_redriven[message.key or message.message_id] = requeued.refused.get(record["id"], f"task is {current}")
    return sendable


def _reread_for_resend(dlq: QueueClient, wanted: set[str], left: dict[str, TriagedMessage]) -> list[TriagedMessage]:
    """The move task was refused after the messages were released: read them again to resend."""
    again = read_dlq(dlq, len(wanted) + 10)
    for message in again:
        left[message.message_id] = message
    return [m for m in again if m.message_id in wanted]


def _release(dlq: QueueClient, messages: list[TriagedMessage]) -> None:
    """Left in the DLQ: visible again at once, so the next triage (or a redrive) sees them."""
    for message in messages:
        try:
            dlq.release(message.receipt_handle)
        except Exception:  # noqa: BLE001 - one message that cannot be released comes back after the short visibility
            continue

