"""AWS fakes on moto: a FIFO queue with a FIFO dead-letter queue behind it, and an SNS topic."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

REGION = "eu-west-1"


def fake_credentials(monkeypatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class FifoQueues:
    client: Any
    queue_url: str
    dlq_url: str


def _create_fifo_queues(client: Any, max_receive_count: int, visibility_timeout: int) -> tuple[str, str]:
    """``(queue url, dlq url)``: a FIFO queue whose RedrivePolicy names a FIFO DLQ."""
    dlq_url = client.create_queue(QueueName="clawbot-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = client.create_queue(
        QueueName="clawbot-tasks.fifo",
        Attributes={
            "FifoQueue": "true",
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


@contextmanager
def fifo_queues(max_receive_count: int = 3, visibility_timeout: int = 30) -> Iterator[FifoQueues]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("sqs", region_name=REGION)
        yield FifoQueues(client, *_create_fifo_queues(client, max_receive_count, visibility_timeout))


@dataclass
class FifoQueuesServer(FifoQueues):
    endpoint_url: str


@contextmanager
def fifo_queues_server(max_receive_count: int = 3, visibility_timeout: int = 30) -> Iterator[FifoQueuesServer]:
    """The same queues on moto's HTTP server, so another process (a worker) reaches them too.
    Needs ``fake_credentials`` (the child process inherits the environment)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        yield FifoQueuesServer(client, *_create_fifo_queues(client, max_receive_count, visibility_timeout), endpoint)
    finally:
        server.stop()
