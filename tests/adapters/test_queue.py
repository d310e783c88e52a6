"""One suite, two queues: SQS (on moto) and the embedded SQLite queue must behave the same."""

from __future__ import annotations

import pytest

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.queue_sqs import SqsQueue
from tests.fakes.aws import fake_credentials, fifo_queues


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["local", "sqs"])
def queues(request, tmp_path, monkeypatch):
    """``(queue, dlq)`` with maxReceiveCount 3."""
    if request.param == "local":
        dlq = LocalQueue(tmp_path / "queue.sqlite", "dlq")
        yield LocalQueue(tmp_path / "queue.sqlite", "tasks", dead_letter=dlq, max_receive_count=3), dlq
        return
    fake_credentials(monkeypatch)
    with fifo_queues(max_receive_count=3) as aws:
        yield SqsQueue(aws.client, aws.queue_url, sleep=lambda _: None), SqsQueue(aws.client, aws.dlq_url)


def messages(count: int, group: str = "warm") -> list[OutgoingMessage]:
    return [OutgoingMessage(f"{group}|{n}|1|2026-11-25", f"{group}-{n % 3}", f'{{"n": {n}}}') for n in range(count)]


def drain(queue, visibility_timeout=60) -> list:
    """Receive and delete until empty (FIFO holds back a group while one of its messages is in flight)."""
    got = []
    while batch := queue.receive(10, visibility_timeout=visibility_timeout):
        got += batch
        for message in batch:
            queue.delete(message.receipt_handle)
    return got


def test_sends_ten_a_request_and_fifo_dedup_drops_a_resend(queues):
    queue, _ = queues
    outcome = queue.send_batch(messages(25))
    assert (len(outcome.sent), outcome.failed, outcome.requests) == (25, {}, 3)
    again = queue.send_batch(messages(25))
    assert len(again.sent) == 25  # accepted by the queue, as SQS does, but not enqueued twice
    assert queue.depth().total == 25
    assert sorted(m.dedup_id for m in drain(queue)) == sorted(m.dedup_id for m in messages(25))


def test_receive_hides_a_message_and_delete_removes_it(queues):
    queue, _ = queues
    queue.send_batch(messages(3))
    got = queue.receive(10, visibility_timeout=60)
    assert got and all(m.receive_count == 1 for m in got)
    depth = queue.depth()
    assert depth.in_flight == len(got) and depth.total == 3
    for message in got:
        queue.delete(message.receipt_handle)
    assert queue.depth().total == 3 - len(got)


def test_a_message_never_deleted_moves_to_the_dead_letter_queue_after_max_receives(queues):
    queue, dlq = queues
    queue.send_batch([OutgoingMessage("poison", "poison", "not json")])
    counts = []
    for _ in range(5):
        counts += [m.receive_count for m in queue.receive(10, visibility_timeout=0)]
    assert counts == [1, 2, 3]
    assert queue.depth().total == 0 and dlq.depth().total == 1
    assert [m.body for m in dlq.receive(10, visibility_timeout=30)] == ["not json"]


def test_a_redriven_message_with_a_fresh_dedup_id_is_accepted_within_the_window(queues):
    queue, dlq = queues
    queue.send_batch([OutgoingMessage("k", "g", "body")])
    for _ in range(4):
        queue.receive(10, visibility_timeout=0)
    assert dlq.depth().total == 1
    # (SQS would also drop a resend under the original id for 5 minutes after it was first sent;
    # moto forgets an id once its message left the queue, so only the local test asserts that.)
    queue.send_batch([OutgoingMessage("k#redrive-1", "g", "body")])
    assert queue.depth().total == 1


def test_local_dedup_window_is_five_minutes_and_groups_deliver_one_at_a_time(tmp_path):
    clock = Clock()
    queue = LocalQueue(tmp_path / "q.sqlite", "tasks", clock=clock)
    queue.send_batch([OutgoingMessage("a", "g", "1"), OutgoingMessage("b", "g", "2"), OutgoingMessage("c", "h", "3")])
    first = queue.receive(1)
    assert [m.body for m in first] == ["1"]
    assert [m.body for m in queue.receive(10)] == ["3"]  # "2" waits while "1" of its group is in flight
    queue.delete(first[0].receipt_handle)
    assert [m.body for m in queue.receive(10)] == ["2"]
    clock.now += 299
    queue.send_batch([OutgoingMessage("a", "g", "again")])
    assert queue.depth().total == 2
    clock.now += 2
    queue.send_batch([OutgoingMessage("a", "g", "again")])
    assert queue.depth().total == 3


class FlakyBatches:
    """Wraps a boto3 SQS client: the first SendMessageBatch reports its last entries failed
    (a 5xx inside the batch); ``accepted_anyway`` makes SQS have stored them regardless."""

    def __init__(self, client, accepted_anyway: bool) -> None:
        self.client, self.accepted_anyway, self.calls = client, accepted_anyway, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def send_message_batch(self, QueueUrl, Entries):
        self.calls += 1
        if self.calls > 1:
            return self.client.send_message_batch(QueueUrl=QueueUrl, Entries=Entries)
        keep, fail = Entries[:6], Entries[6:]
        response = self.client.send_message_batch(QueueUrl=QueueUrl, Entries=Entries if self.accepted_anyway else keep)
        failed = [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try again"} for e in fail]
        return {"Successful": [s for s in response["Successful"] if s["Id"] in {e["Id"] for e in keep}], "Failed": failed}


@pytest.mark.parametrize("accepted_anyway", [False, True])
def test_sqs_partial_batch_failures_are_retried_and_nothing_is_sent_twice(monkeypatch, accepted_anyway):
    fake_credentials(monkeypatch)
    with fifo_queues() as aws:
        flaky = FlakyBatches(aws.client, accepted_anyway)
        queue = SqsQueue(flaky, aws.queue_url, sleep=lambda _: None)
        outcome = queue.send_batch(messages(10))
        assert (len(outcome.sent), outcome.failed, outcome.retried, flaky.calls) == (10, {}, 4, 2)
        assert queue.depth().total == 10
        assert len(drain(queue)) == 10


class SenderFaults:
    calls = 0

    def send_message_batch(self, QueueUrl, Entries):
        self.calls += 1
        return {"Successful": [{"Id": Entries[0]["Id"]}],
                "Failed": [{"Id": e["Id"], "SenderFault": True, "Code": "InvalidParameterValue", "Message": "bad"} for e in Entries[1:]]}


def test_sqs_sender_faults_are_reported_not_retried():
    client = SenderFaults()
    outcome = SqsQueue(client, "https://sqs/123/q.fifo", sleep=lambda _: None).send_batch(messages(3))
    assert outcome.sent == ["warm|0|1|2026-11-25"] and set(outcome.failed) == {"warm|1|1|2026-11-25", "warm|2|1|2026-11-25"}
    assert client.calls == 1 and "InvalidParameterValue" in outcome.failed["warm|1|1|2026-11-25"]


def test_long_and_non_ascii_keys_reach_the_queue_as_ids_within_sqs_rules_and_still_deduplicate(queues):
    """moto takes any id; SQS refuses more than 128 characters outside a-z, A-Z, 0-9 and ASCII
    punctuation (tests/unit/test_queue_ids.py cites the rule). The queue sends ids within it,
    reports the caller's Key, and a resend of the same Key is still dropped."""
    from clawbot_assets.domain.keys import compose_key, playbook_slug
    from tests.unit.test_queue_ids import LONG_NAME, within_sqs_rules

    queue, _ = queues
    keys = [compose_key(LONG_NAME, "9" * 60, "1", "2026-11-25"), compose_key("Холодные звонки", "7" * 40, "1", "2026-11-25")]
    sent = [OutgoingMessage(key, playbook_slug(name), "{}") for key, name in zip(keys, [LONG_NAME, "Холодные звонки"])]
    sent.append(OutgoingMessage("raw|key with spaces|1|2026-11-25", "Relance été", "{}"))
    outcome = queue.send_batch(sent)
    assert sorted(outcome.sent) == sorted(m.dedup_id for m in sent) and outcome.failed == {}
    queue.send_batch(sent)
    got = drain(queue)
    assert len(got) == 3
    assert all(within_sqs_rules(m.dedup_id) and within_sqs_rules(m.group_id) for m in got)
    assert sorted(m.dedup_id for m in got) == sorted(m.sqs_dedup_id for m in sent)


class _RaisingSqsClient:
    """boto3's SQS client surface the adapter calls, failing as botocore does on the wire."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def send_message_batch(self, **_):
        raise self.error


def test_a_send_says_whether_the_messages_may_have_landed():
    """Never reached (connection refused or timed out) or answered with an error: nothing landed.
    No answer after the request left (read timeout, connection closed): it may have landed."""
    from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    from clawbot_assets.adapters.queue import QueueUnavailableError
    from clawbot_assets.adapters.queue_sqs import SqsQueue

    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks.fifo"
    cases = {
        EndpointConnectionError(endpoint_url=url): False,
        ConnectTimeoutError(endpoint_url=url): False,
        ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "SendMessageBatch"): False,
        ReadTimeoutError(endpoint_url=url): True,
        ConnectionClosedError(endpoint_url=url): True,
    }
    for error, unknown in cases.items():
        queue = SqsQueue(_RaisingSqsClient(error), url, sleep=lambda _: None)
        with pytest.raises(QueueUnavailableError) as raised:
            queue.send_batch([OutgoingMessage("k", "g", "{}")])
        assert raised.value.delivery_unknown is unknown, type(error).__name__
