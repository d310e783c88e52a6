"""The queue resources: one class per backend, sharing ``QueueResource``'s interface.

``LocalQueueResource`` is the embedded SQLite queue under ``data_dir`` (queue ``tasks`` with
dead-letter queue ``tasks_dlq``); ``SqsQueueResource`` is a FIFO SQS queue and its DLQ through
boto3, imported only when a run uses it.
"""

from __future__ import annotations

import abc
from typing import ClassVar, Optional

import dagster as dg

from clawbot_assets.adapters.queue import QueueClient
from clawbot_assets.resources.backends import (
    DEFAULT_DATA_DIR,
    DLQ_URL,
    LOCAL_QUEUE_FILE,
    QUEUE_URL,
    local_path,
    require,
)

LOCAL_QUEUE = "tasks"
LOCAL_DLQ = "tasks_dlq"
#: The embedded queue's RedrivePolicy; docs/queue_contract.md recommends the same for SQS.
MAX_RECEIVE_COUNT = 3


class QueueResource(dg.ConfigurableResource):
    """The task queue the worker consumes, and its dead-letter queue."""

    @abc.abstractmethod
    def queue(self) -> QueueClient:
        """The task queue; a misconfigured backend raises here, at the run's first use."""

    @abc.abstractmethod
    def dead_letter(self) -> QueueClient:
        """The dead-letter queue the task queue's redrive policy names."""

    def start_redrive(self) -> Optional[str]:
        """Ask the backend to move the DLQ back to the queue itself; ``None`` where it cannot."""
        return None

    def describe(self) -> str:
        return type(self).__name__


class LocalQueueResource(QueueResource):
    """SQLite under ``data_dir`` with SQS FIFO semantics."""

    data_dir: str = DEFAULT_DATA_DIR

    #: Receives without a delete before a message moves to the dead-letter queue (maxReceiveCount).
    max_receive_count: ClassVar[int] = MAX_RECEIVE_COUNT
    #: The queue's default; a consumer may ask for another per receive, as on SQS.
    visibility_timeout: ClassVar[int] = 30

    def _path(self):
        return local_path(self.data_dir, LOCAL_QUEUE_FILE)

    def dead_letter(self) -> QueueClient:
        from clawbot_assets.adapters.queue_local import LocalQueue

        return LocalQueue(self._path(), LOCAL_DLQ, visibility_timeout=self.visibility_timeout)

    def queue(self) -> QueueClient:
        from clawbot_assets.adapters.queue_local import LocalQueue

        return LocalQueue(self._path(), LOCAL_QUEUE, dead_letter=self.dead_letter(),  # type: ignore[arg-type]
                          max_receive_count=self.max_receive_count, visibility_timeout=self.visibility_timeout)

    def describe(self) -> str:
        return "local"


class SqsQueueResource(QueueResource):
    """A FIFO SQS queue whose RedrivePolicy names ``dlq_url``. Credentials come from the standard
    ``AWS_*`` variables (or the task role); ``endpoint_url`` points boto3 elsewhere (tests)."""

    queue_url: Optional[str] = None
    dlq_url: Optional[str] = None
    endpoint_url: Optional[str] = None
    region_name: Optional[str] = None

    def _queue(self, url: Optional[str], variable: str):
        from clawbot_assets.adapters.queue_sqs import SqsQueue, sqs_client

        return SqsQueue(sqs_client(self.endpoint_url, self.region_name), require(url, variable, "The queue"))

    def queue(self) -> QueueClient:
        return self._queue(self.queue_url, QUEUE_URL)

    def dead_letter(self) -> QueueClient:
        return self._queue(self.dlq_url, DLQ_URL)

    def start_redrive(self) -> Optional[str]:
        dlq, queue = self._queue(self.dlq_url, DLQ_URL), self._queue(self.queue_url, QUEUE_URL)
        return dlq.start_move_task(dlq.arn(), queue.arn())

    def describe(self) -> str:
        return f"sqs:{(self.queue_url or '').rsplit('/', 1)[-1]}"

