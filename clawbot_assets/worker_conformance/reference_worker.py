"""The reference worker (``services/worker.py``) behind the kit's command interface: it reads
the variables a worker under test is given and records each delivery in the deliveries file."""

from __future__ import annotations

import json
import os
from typing import Mapping

from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.domain.queue_message import TaskMessage
from clawbot_assets.services.worker import run_worker
from clawbot_assets.worker_conformance.environment import (
    ALLOW_UNSIGNED,
    CLAWBOT_PASSWORD,
    DATA_DIR,
    DELIVERIES,
    LOCAL_DLQ,
    LOCAL_QUEUE,
    LOCAL_QUEUE_FILE,
    LOCAL_SSOT_FILE,
    MAX_RECEIVE_COUNT,
)


def recorder(path: str):
    def deliver(task: TaskMessage) -> None:
        with open(path, "a", encoding="utf-8") as deliveries:
            deliveries.write(json.dumps({"key": task.key, "deal_id": task.deal_id}) + "\n")
    return deliver


def backend(variables: Mapping[str, str]) -> tuple[LocalSsot, LocalQueue]:
    """The task table and the queue (with its DLQ) the kit's variables point at."""
    data_dir = variables[DATA_DIR]
    queue_file = os.path.join(data_dir, LOCAL_QUEUE_FILE)
    queue = LocalQueue(queue_file, LOCAL_QUEUE, dead_letter=LocalQueue(queue_file, LOCAL_DLQ),
                       max_receive_count=MAX_RECEIVE_COUNT)
    return LocalSsot(os.path.join(data_dir, LOCAL_SSOT_FILE)), queue


def run_reference_worker(variables: Mapping[str, str]) -> int:
    ssot, queue = backend(variables)
    password = variables.get(CLAWBOT_PASSWORD, "").strip() or None
    run_worker(ssot, queue, recorder(variables[DELIVERIES]), signing_key=password,
               accept_unsigned=variables.get(ALLOW_UNSIGNED) == "true")
    return 0


def main() -> int:
    return run_reference_worker(os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
