"""The ``aws-airtable`` backend: SQS FIFO queues on a moto server and the repository's Airtable fake.

ClawBot's FastAPI worker reads SQS and Airtable, so this backend gives it the variables the
production worker reads (docs/configuration.md): ``CLAWBOT_QUEUE=sqs`` with the queue's and
the DLQ's URLs and ``AWS_ENDPOINT_URL``, ``CLAWBOT_SSOT=airtable`` with ``AIRTABLE_API_KEY``,
``AIRTABLE_BASE_ID`` and ``AIRTABLE_ENDPOINT_URL``. Each scenario gets its own FIFO queue whose
RedrivePolicy sends a message to its own FIFO DLQ after ``MAX_RECEIVE_COUNT`` receives, and
its own Airtable base.

The Airtable fake lives in ``tests/fakes/`` (not part of the installed package), so this backend
runs only from a checkout of the repository, with the test extras (``moto[server,sqs]``).

SQS has no way to look at a queue without receiving from it, and a receive counts towards
maxReceiveCount (and past it moves the message to the DLQ). The kit therefore judges what the
queues hold from moto's own state, in this process (moto's server runs in a thread here), and
makes held messages visible again with ChangeMessageVisibility 0 on the receipt handle the
worker was given: deterministic, where waiting out a visibility timeout would race the worker.
"""

from __future__ import annotations

import json
import logging
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.queue_sqs import SqsQueue
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.worker_conformance.environment import (
    DATA_DIR,
    MAX_RECEIVE_COUNT,
    QUEUE_SWITCH,
    SSOT_SWITCH,
    BackendUnavailableError,
    DeliveriesFile,
)

QUEUE_URL = "CLAWBOT_QUEUE_URL"
DLQ_URL = "CLAWBOT_DLQ_URL"
AIRTABLE_API_KEY = "AIRTABLE_API_KEY"
AIRTABLE_BASE_ID = "AIRTABLE_BASE_ID"
AIRTABLE_ENDPOINT_URL = "AIRTABLE_ENDPOINT_URL"
RATE_LIMITER_URL = "CLAWBOT_RATE_LIMITER_URL"
RATE_LIMIT_FILE = "airtable_rate_limit.sqlite"
REGION = "eu-west-1"
#: Dummy credentials: moto accepts any, and they keep boto3 from looking for real ones.
AWS_VARIABLES = {"AWS_ACCESS_KEY_ID": "conformance", "AWS_SECRET_ACCESS_KEY": "conformance",
                 "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
#: Airtable's own limit per base; the fake enforces it, and its penalty is short so that a
#: worker which does not pace loses seconds, not the run.
AIRTABLE_REQUESTS_PER_SECOND = 5
AIRTABLE_PENALTY_SECONDS = 1.0

MISSING = ("--backend aws-airtable needs the repository's Airtable fake (tests/fakes/airtable_server.py, "
           "not part of the installed package) and moto's server (pip install -e '.[test]'): run it from the "
           "root of a checkout of the repository. Missing: {missing}")


def _fakes() -> tuple[Any, Any, Any]:
    """``(FakeAirtable, ThreadedMotoServer, moto's SQS backends)``, or a clear error outside the repository."""
    try:
        from moto.backends import get_backend
        from moto.server import ThreadedMotoServer

        from tests.fakes.airtable_server import FakeAirtable
    except ImportError as error:
        raise BackendUnavailableError(MISSING.format(missing=error.name or error)) from None
    return FakeAirtable, ThreadedMotoServer, get_backend("sqs")


class AwsAirtableEnvironment(DeliveriesFile):
    def __init__(self, backend: "AwsAirtableBackend", scenario_dir: Path, name: str) -> None:
        super().__init__(scenario_dir)
        self.backend = backend
        self.scenario_dir = scenario_dir
        self.base_id = backend.new_base_id()
        self.dead_letter = SqsQueue(backend.sqs, backend.create_queue(f"{name}-dlq.fifo", {}))
        redrive = {"deadLetterTargetArn": self.dead_letter.arn(), "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
        self.queue = SqsQueue(backend.sqs, backend.create_queue(f"{name}.fifo", {"RedrivePolicy": json.dumps(redrive)}))

    def variables(self) -> dict[str, str]:
        return {
            **self.kit_variables(), **AWS_VARIABLES,
            QUEUE_SWITCH: "sqs", QUEUE_URL: self.queue.url, DLQ_URL: self.dead_letter.url,
            "AWS_ENDPOINT_URL": self.backend.aws_endpoint,
            SSOT_SWITCH: "airtable", AIRTABLE_API_KEY: self.backend.token, AIRTABLE_BASE_ID: self.base_id,
            AIRTABLE_ENDPOINT_URL: self.backend.airtable.url,
            DATA_DIR: str(self.scenario_dir),
            RATE_LIMITER_URL: f"sqlite:///{(self.scenario_dir / RATE_LIMIT_FILE).resolve()}",
        }

    def add_task(self, key: str, status: str, **fields: str) -> str:
        return self.backend.airtable.seed(self.base_id, TASKS_TABLE, [{"Key": key, "Status": status, **fields}])[0]["id"]

    def task(self, record_id: str) -> dict:
        records = self.backend.airtable.records(self.base_id, TASKS_TABLE)
        return next(record["fields"] for record in records if record["id"] == record_id)

    def send(self, body: str, dedup_id: str, group_id: str = "conformance") -> None:
        outcome = self.queue.send_batch([OutgoingMessage(dedup_id=dedup_id, group_id=group_id, body=body)])
        if outcome.failed:
            raise RuntimeError(f"the kit could not seed the queue: {outcome.failed}")

    def _held(self, queue: SqsQueue) -> list[Any]:
        return list(self.backend.moto_queue(queue.url)._messages)

    def expire_visibility(self) -> None:
        for message in self._held(self.queue):
            if not message.visible:
                self.backend.sqs.change_message_visibility(QueueUrl=self.queue.url, ReceiptHandle=message.receipt_handle,
                                                           VisibilityTimeout=0)

    def bodies(self, queue: SqsQueue) -> list[str]:
        return [message.body for message in self._held(queue)]


class AwsAirtableBackend:
    """One moto server and one Airtable fake for a whole kit run; queues and a base per scenario."""

    def __init__(self, airtable: Any, aws_endpoint: str, token: str, moto_sqs: Any) -> None:
        import boto3

        self.airtable = airtable
        self.aws_endpoint = aws_endpoint
        self.token = token
        self.moto_sqs = moto_sqs
        self.sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name=REGION,
                                aws_access_key_id=AWS_VARIABLES["AWS_ACCESS_KEY_ID"],
                                aws_secret_access_key=AWS_VARIABLES["AWS_SECRET_ACCESS_KEY"])
        #: Queue names carry this run's token: moto's state outlives its server in this process.
        self.run = secrets.token_hex(4)
        self.queue_urls: list[str] = []
        self.bases = 0

    def new_base_id(self) -> str:
        self.bases += 1
        return f"appConformance{self.bases:03d}"

    def create_queue(self, name: str, attributes: dict[str, str]) -> str:
        url = self.sqs.create_queue(QueueName=f"conformance-{self.run}-{name}",
                                    Attributes={"FifoQueue": "true", **attributes})["QueueUrl"]
        self.queue_urls.append(url)
        return url

    def moto_queue(self, url: str) -> Any:
        account, name = url.rstrip("/").rsplit("/", 2)[-2:]
        return self.moto_sqs[account][REGION].get_queue(name)

    def environment(self, scenario_dir: Path) -> AwsAirtableEnvironment:
        return AwsAirtableEnvironment(self, scenario_dir, scenario_dir.name)

    def delete_queues(self) -> None:
        for url in reversed(self.queue_urls):
            self.sqs.delete_queue(QueueUrl=url)


@contextmanager
def aws_airtable_backend() -> Iterator[AwsAirtableBackend]:
    FakeAirtable, ThreadedMotoServer, moto_sqs = _fakes()
    token = "pat" + secrets.token_hex(12)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    request_log = logging.getLogger("werkzeug")
    level = request_log.level
    request_log.setLevel(logging.WARNING)  # moto's server would print every request to stderr
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        with FakeAirtable(token=token, rate_limit=AIRTABLE_REQUESTS_PER_SECOND,
                          penalty_seconds=AIRTABLE_PENALTY_SECONDS) as airtable:
            backend = AwsAirtableBackend(airtable, f"http://{host}:{port}", token, moto_sqs)
            try:
                yield backend
            finally:
                backend.delete_queues()
    finally:
        moto.stop()
        request_log.setLevel(level)
