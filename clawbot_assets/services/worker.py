"""The reference worker for the local backend: consumes the queue and marks tasks ``sent``.

It shows the real worker's contract (docs/queue_contract.md): a message is deleted only once
it is handled; a body it cannot read is left alone, so the queue redelivers it and, after
``maxReceiveCount`` receives, moves it to the dead-letter queue. It is idempotent on the Key: a
task already ``sent`` is never sent again, and a task no longer ``queued`` (cancelled,
intercepted meanwhile) is dropped without sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from clawbot_assets.adapters.queue import QueueClient
from clawbot_assets.adapters.ssot import TASKS_TABLE, SsotClient
from clawbot_assets.domain.queue_message import MessageError, TaskMessage, parse_message

SENDABLE = ("queued", "dispatching")


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
               max_messages: int = 100, visibility_timeout: int | None = None,
               signing_key: str | None = None) -> WorkerReport:
    """With ``signing_key`` (the ClawBot password), an unsigned or forged message is left for
    redelivery, and so ends in the dead-letter queue."""
    report = WorkerReport()
    while report.received < max_messages:
        batch = queue.receive(min(10, max_messages - report.received), visibility_timeout=visibility_timeout)
        if not batch:
            break
        report.received += len(batch)
        for message in batch:
            try:
                task = parse_message(message.body, signing_key)
            except MessageError as error:
                report.left_for_redelivery[message.message_id] = str(error)
                continue
            found = ssot.find_by_ids(TASKS_TABLE, [task.record_id])
            if not found or found[0]["fields"].get("Key") != task.key:
                report.left_for_redelivery[message.message_id] = f"no task {task.record_id} with Key {task.key}"
                continue
            status = str(found[0]["fields"].get("Status", "")).lower()
            if status == "sent":
                report.already_sent += 1
            elif status in SENDABLE:
                deliver(task)
                ssot.update(TASKS_TABLE, [(task.record_id, {"Status": "sent", "Last Error": ""})])
                report.sent.append(task.key)
            else:
                report.dropped[task.key] = f"task is {status or 'blank'}, not queued"
            queue.delete(message.receipt_handle)
    return report
