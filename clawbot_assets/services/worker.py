"""The reference worker for the local backend: consumes the queue and marks tasks ``sent``.

It keeps the worker's contract (docs/queue_contract.md):

- a message is deleted only once it is handled; a body it cannot read (or one unsigned or
  forged where signing is required) is left alone, so the queue redelivers it and, after
  ``maxReceiveCount`` receives, moves it to the dead-letter queue;
- a message is judged by its **task's** status, re-read just before the send: ``queued`` or
  ``dispatching`` is sent, then marked ``sent`` with ``Sent At``; ``sent`` (or ``Sent At``
  present) means already sent, so the copy is deleted unsent; anything else (cancelled,
  intercepted, failed, pending) is dropped unsent. The mark re-reads the task rather than reuse
  the read before the send: a delivery can take seconds, and the status can change meanwhile;
- no body and no failure of the SSOT or the queue stops the run: a message whose handling
  raised is left for redelivery and reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from clawbot_assets.adapters.queue import QueueClient, ReceivedMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE, SsotClient
from clawbot_assets.domain.queue_message import MessageError, TaskMessage, parse_message
from clawbot_assets.domain.task_lifecycle import SENDABLE, SENT_AT_FIELD, Actor, Status, effective_status
from clawbot_assets.services.status_writes import StatusChange, write_statuses

#: Seconds a received message stays hidden: a worker that dies holding one lets it come back soon.
WORKER_VISIBILITY_SECONDS = 30


@dataclass
class WorkerReport:
    received: int = 0
    sent: list[str] = field(default_factory=list)
    already_sent: int = 0
    dropped: dict[str, str] = field(default_factory=dict)
    left_for_redelivery: dict[str, str] = field(default_factory=dict)

    def figures(self) -> dict[str, int]:
        return {"received": self.received, "sent": len(self.sent), "already_sent": self.already_sent,
                "dropped": len(self.dropped), "left_for_redelivery": len(self.left_for_redelivery)}


def run_worker(ssot: SsotClient, queue: QueueClient, deliver: Callable[[TaskMessage], None],
               max_messages: int = 100, visibility_timeout: int | None = WORKER_VISIBILITY_SECONDS,
               signing_key: str | None = None, accept_unsigned: bool = False) -> WorkerReport:
    """With ``signing_key`` (the ClawBot password), an unsigned or forged message is left for
    redelivery, and so ends in the dead-letter queue. Without one, every message is refused the
    same way unless ``accept_unsigned`` (``CLAWBOT_ALLOW_UNSIGNED=true``) says unsigned is meant."""
    report = WorkerReport()
    while report.received < max_messages:
        batch = queue.receive(min(10, max_messages - report.received), visibility_timeout=visibility_timeout)
        if not batch:
            break
        report.received += len(batch)
        for message in batch:
            try:
                _handle(ssot, queue, message, deliver, signing_key, accept_unsigned, report)
            except Exception as error:  # noqa: BLE001 - one message never stops the worker
                report.left_for_redelivery[message.message_id] = f"handling failed ({type(error).__name__}); left for redelivery"
    return report


def _handle(ssot: SsotClient, queue: QueueClient, message: ReceivedMessage, deliver: Callable[[TaskMessage], None],
            signing_key: str | None, accept_unsigned: bool, report: WorkerReport) -> None:
    if signing_key is None and not accept_unsigned:
        report.left_for_redelivery[message.message_id] = "no signing key configured and unsigned messages are not accepted"
        return
    try:
        task = parse_message(message.body, signing_key)
    except MessageError as error:
        report.left_for_redelivery[message.message_id] = str(error)
        return
    found = ssot.find_by_ids(TASKS_TABLE, [task.record_id])
    if not found or found[0]["fields"].get("Key") != task.key:
        report.left_for_redelivery[message.message_id] = f"no task {task.record_id} with Key {task.key}"
        return
    status = effective_status(found[0]["fields"])
    if status == Status.SENT:
        report.already_sent += 1
    elif status in SENDABLE:
        deliver(task)
        stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        write_statuses(ssot, Actor.WORKER, [StatusChange(task.record_id, Status.SENT, {"Last Error": "", SENT_AT_FIELD: stamp})])
        report.sent.append(task.key)
    else:
        report.dropped[task.key] = f"task is {status or 'blank'}, not queued"
    queue.delete(message.receipt_handle)
