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


class SnsInboxes:
    """SNS topics on moto (``clawbot-<name>``), each with an SQS queue subscribed, so a test reads
    what each topic really delivered. Create it inside ``mock_aws()``."""

    def __init__(self, *names: str) -> None:
        import boto3

        self.sns, self.sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        self.arn: dict[str, str] = {}
        self.inbox: dict[str, str] = {}
        for name in names:
            self.arn[name] = self.sns.create_topic(Name=f"clawbot-{name}")["TopicArn"]
            self.inbox[name] = self.sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
            queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox[name], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self.sns.subscribe(TopicArn=self.arn[name], Protocol="sqs", Endpoint=queue_arn)

    def received(self, name: str) -> list[dict]:
        """What the topic delivered since the last call (SNS's JSON envelopes)."""
        delivered = []
        while batch := self.sqs.receive_message(QueueUrl=self.inbox[name], MaxNumberOfMessages=10,
                                                MessageAttributeNames=["All"]).get("Messages", []):
            delivered += [json.loads(message["Body"]) for message in batch]
            self.sqs.delete_message_batch(QueueUrl=self.inbox[name], Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        return delivered
