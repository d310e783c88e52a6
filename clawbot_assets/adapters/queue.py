"""The queue interface between Dagster and the worker: a FIFO queue with a dead-letter queue.

``queue_sqs.SqsQueue`` implements it on boto3 and ``queue_local.LocalQueue`` on SQLite, with
the same semantics: FIFO deduplication by id over 5 minutes, message groups, a visibility
timeout, receive counts, and a move to the dead-letter queue once a message has been received
``max_receive_count`` times without being deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from clawbot_assets.domain.queue_ids import sqs_id

#: SQS FIFO drops a message whose deduplication id was sent in the last 5 minutes.
DEDUP_WINDOW_SECONDS = 300
#: SendMessageBatch and ReceiveMessage take at most 10 messages.
MAX_BATCH = 10


class QueueUnavailableError(RuntimeError):
    """The queue could not be reached or refused the call; the message says which queue and why.

    ``delivery_unknown`` is true when the request may have reached the queue before it failed
    (a read timeout, a connection closed mid-answer): a send that raised this may have landed."""

    def __init__(self, message: str, *, delivery_unknown: bool = False) -> None:
        super().__init__(message)
        self.delivery_unknown = delivery_unknown


@dataclass(frozen=True)
class OutgoingMessage:
    """``dedup_id`` is the task Key and ``group_id`` the playbook slug, as callers know them; the
    queue sends ``sqs_dedup_id`` and ``sqs_group_id``, the same values made to keep SQS's rules
    (``clawbot_assets.domain.queue_ids``). ``SendOutcome`` reports the caller's ``dedup_id``."""

    dedup_id: str
    group_id: str
    body: str

    @property
    def sqs_dedup_id(self) -> str:
        return sqs_id(self.dedup_id)

    @property
    def sqs_group_id(self) -> str:
        return sqs_id(self.group_id)


@dataclass(frozen=True)
class ReceivedMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    dedup_id: str = ""
    group_id: str = ""


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    in_flight: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight


@dataclass
class SendOutcome:
    """Per dedup id: accepted by the queue (a duplicate within the window counts as accepted, as
    on SQS) or failed with the queue's reason after every retry."""

    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    retried: int = 0


class QueueClient(Protocol):
    name: str

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> SendOutcome:
        """Send 10 a request; entries the queue reports failed are retried, then reported."""

    def receive(self, max_messages: int = MAX_BATCH, visibility_timeout: int | None = None) -> list[ReceivedMessage]: ...

    def delete(self, receipt_handle: str) -> None: ...

    def release(self, receipt_handle: str) -> None:
        """Make a received message visible again now (ChangeMessageVisibility to 0)."""

    def depth(self) -> QueueDepth:
        """Visible and in-flight messages, in one request."""
