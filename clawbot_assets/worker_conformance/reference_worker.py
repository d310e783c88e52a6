"""The reference worker (``services/worker.py``) behind the kit's command interface: it reads
the variables a worker under test is given, on either backend, and records each delivery in
the deliveries file."""

from __future__ import annotations

import json
import os
from typing import Mapping

from clawbot_assets.adapters.queue import QueueClient
from clawbot_assets.adapters.ssot import SsotClient
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
    QUEUE_SWITCH,
    SSOT_SWITCH,
)
from clawbot_assets.worker_conformance.environment_aws import (
    AIRTABLE_API_KEY,
    AIRTABLE_BASE_ID,
    AIRTABLE_ENDPOINT_URL,
    QUEUE_URL,
    RATE_LIMITER_URL,
)


def recorder(path: str):
    def deliver(task: TaskMessage) -> None:
        with open(path, "a", encoding="utf-8") as deliveries:
            deliveries.write(json.dumps({"key": task.key, "deal_id": task.deal_id}) + "\n")
    return deliver


def _queue(variables: Mapping[str, str]) -> QueueClient:
    if variables.get(QUEUE_SWITCH, "local") == "sqs":
        from clawbot_assets.adapters.queue_sqs import SqsQueue, sqs_client

        client = sqs_client(variables.get("AWS_ENDPOINT_URL"), variables.get("AWS_REGION") or variables.get("AWS_DEFAULT_REGION"))
        return SqsQueue(client, variables[QUEUE_URL])
    from clawbot_assets.adapters.queue_local import LocalQueue

    queue_file = os.path.join(variables[DATA_DIR], LOCAL_QUEUE_FILE)
    return LocalQueue(queue_file, LOCAL_QUEUE, dead_letter=LocalQueue(queue_file, LOCAL_DLQ),
                      max_receive_count=MAX_RECEIVE_COUNT)


def _ssot(variables: Mapping[str, str]) -> SsotClient:
    if variables.get(SSOT_SWITCH, "local") == "airtable":
        from clawbot_assets.adapters.rate_limit import rate_limiter_for
        from clawbot_assets.adapters.ssot_airtable import AirtableSsot

        base_id = variables[AIRTABLE_BASE_ID]
        limiter = rate_limiter_for(variables.get(RATE_LIMITER_URL), name=f"airtable:{base_id}")
        return AirtableSsot(variables[AIRTABLE_API_KEY], base_id, endpoint_url=variables.get(AIRTABLE_ENDPOINT_URL),
                            rate_limiter=limiter)
    from clawbot_assets.adapters.ssot_local import LocalSsot

    return LocalSsot(os.path.join(variables[DATA_DIR], LOCAL_SSOT_FILE))


def backend(variables: Mapping[str, str]) -> tuple[SsotClient, QueueClient]:
    """The task table and the queue the kit's variables point at (``CLAWBOT_SSOT``, ``CLAWBOT_QUEUE``)."""
    return _ssot(variables), _queue(variables)


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
