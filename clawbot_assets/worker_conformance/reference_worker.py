"""The reference worker (``services/worker.py``) behind the kit's command interface: it reads
the variables a worker under test is given and records each delivery in the deliveries file."""

from __future__ import annotations

import json
import os

from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.domain.queue_message import TaskMessage
from clawbot_assets.resources.backends import ALLOW_UNSIGNED, DATA_DIR, LOCAL_QUEUE_FILE, LOCAL_SSOT_FILE
from clawbot_assets.resources.queue import LOCAL_DLQ, LOCAL_QUEUE, MAX_RECEIVE_COUNT
from clawbot_assets.resources.secrets import CLAWBOT_PASSWORD
from clawbot_assets.services.worker import run_worker
from clawbot_assets.worker_conformance.environment import DELIVERIES


def recorder(path: str):
    def deliver(task: TaskMessage) -> None:
        with open(path, "a", encoding="utf-8") as deliveries:
            deliveries.write(json.dumps({"key": task.key, "deal_id": task.deal_id}) + "\n")
    return deliver


def main() -> int:
    data_dir = os.environ[DATA_DIR]
    queue_file = os.path.join(data_dir, LOCAL_QUEUE_FILE)
    queue = LocalQueue(queue_file, LOCAL_QUEUE, dead_letter=LocalQueue(queue_file, LOCAL_DLQ),
                       max_receive_count=MAX_RECEIVE_COUNT)
    password = os.environ.get(CLAWBOT_PASSWORD, "").strip() or None
    run_worker(LocalSsot(os.path.join(data_dir, LOCAL_SSOT_FILE)), queue, recorder(os.environ[DELIVERIES]),
               signing_key=password, accept_unsigned=os.environ.get(ALLOW_UNSIGNED) == "true")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
