"""Issue 15, finding 6 (the consumers' part): the worker and the DLQ triage survive any body,
never delete a malformed one from the main queue, and keep the DLQ visible: a triage that dies
releases what it read, and one that reads nothing while the depth says otherwise says so."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clawbot_assets.adapters.queue import OutgoingMessage, ReceivedMessage
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.queue_sqs import SqsQueue
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.services.triage import run_triage
from clawbot_assets.services.worker import run_worker
from tests.fakes.aws import fake_credentials, fifo_queues
from tests.services.dispatch_world import task

KEY = "warm_nudge|1001|1|2026-11-25"
POISON = [
    '{"schema": 1, "key": "' + KEY + '", "record_id": "recTwarm1001", "playbook": "Warm Nudge", "deal_id": "\\ud800", '
    '"step": "1", "due_date": "2026-11-25", "channel": "email\\udfff", "enqueued_at": "2026-11-25T14:00:00+00:00"}',
    "[" * 5000,
    '{"key": ' * 3000,
    "\x00\xff",
]


class ListQueue:
    """A queue holding fixed bodies (str or bytes, as a broken producer might leave them)."""

    name = "fuzz"

    def __init__(self, bodies) -> None:
        self.messages = [ReceivedMessage(f"m{n}", f"r{n}", body, 1, "", "fuzz") for n, body in enumerate(bodies)]
        self.deleted: list[str] = []
        self.released: list[str] = []
        self.sent: list[OutgoingMessage] = []
        self._given = False

    def receive(self, max_messages=10, visibility_timeout=None):
        if self._given:
            return []
        self._given = True
        return list(self.messages)

    def delete(self, receipt_handle):
        self.deleted.append(receipt_handle)

    def release(self, receipt_handle):
        self.released.append(receipt_handle)

    def send_batch(self, messages):
        from clawbot_assets.adapters.queue import SendOutcome

        self.sent += messages
        return SendOutcome(sent=[m.dedup_id for m in messages])

    def depth(self):
        from clawbot_assets.adapters.queue import QueueDepth

        return QueueDepth(0, 0)


def queued_task_table(path) -> LocalSsot:
    client = LocalSsot(path / "ssot.sqlite")
    client.insert_raw(TASKS_TABLE, [task("warm_nudge", "1001", status="queued")])
    return client


@pytest.fixture(scope="module")
def ssot(tmp_path_factory):
    """Shared by the fuzz tests, whose examples may move the task on (triage marks it failed)."""
    return queued_task_table(tmp_path_factory.mktemp("ssot"))


bodies = st.lists(st.one_of(st.binary(max_size=300), st.text(max_size=300), st.sampled_from(POISON)), min_size=1, max_size=5)
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(bodies=bodies)
def test_the_worker_survives_any_body_and_deletes_none_it_cannot_read(ssot, bodies):
    queue = ListQueue(bodies)
    delivered = []
    report = run_worker(ssot, queue, delivered.append, signing_key="fuzz-password")
    assert delivered == [] and queue.deleted == []
    assert set(report.left_for_redelivery) == {m.message_id for m in queue.messages}


@fuzz
@given(bodies=bodies, redrive=st.booleans())
def test_triage_survives_any_body_reports_each_and_releases_what_it_keeps(ssot, bodies, redrive):
    dlq, queue = ListQueue(bodies), ListQueue([])
    report = run_triage(ssot, dlq, queue, redrive=redrive)
    assert len(report.messages) == len(bodies)
    malformed = {m.receipt_handle for m in report.messages if m.malformed}
    assert not malformed & set(dlq.deleted)
    assert not {m.body for m in queue.sent} & {m.body for m in report.messages if m.malformed}
    assert sorted(dlq.released + dlq.deleted) == sorted(m.receipt_handle for m in dlq.messages)


def test_the_worker_leaves_a_body_with_lone_surrogates_for_redelivery(tmp_path):
    """The body the issue saw crash the worker (a JSON-escaped lone surrogate) on a real queued task."""
    ssot = queued_task_table(tmp_path)
    queue = ListQueue([POISON[0]])
    delivered = []

    def deliver(message):  # a channel client that must encode the text, as a real one does
        delivered.append(message.channel.encode("utf-8"))

    report = run_worker(ssot, queue, deliver, signing_key=None, accept_unsigned=True)
    assert delivered == [] and queue.deleted == [] and list(report.left_for_redelivery) == ["m0"]
    assert ssot.find_by_ids(TASKS_TABLE, ["recTwarm1001"])[0]["fields"]["Status"] == "queued"


@pytest.fixture(params=["local", "sqs"])
def dead_letters(request, tmp_path, monkeypatch):
    """A DLQ holding three messages, and the main queue."""
    if request.param == "local":
        dlq = LocalQueue(tmp_path / "queue.sqlite", "dlq")
        queue = LocalQueue(tmp_path / "queue.sqlite", "tasks", dead_letter=dlq)
        dlq.send_batch([OutgoingMessage(f"d{n}", "warm_nudge", json.dumps({"n": n})) for n in range(3)])
        yield dlq, queue
        return
    fake_credentials(monkeypatch)
    with fifo_queues() as aws:
        dlq = SqsQueue(aws.client, aws.dlq_url)
        dlq.send_batch([OutgoingMessage(f"d{n}", "warm_nudge", json.dumps({"n": n})) for n in range(3)])
        yield dlq, SqsQueue(aws.client, aws.queue_url)


class DiesOnLookup:
    def find_by_keys(self, table, keys):
        raise RuntimeError("the triage's process dies here")


def test_a_triage_that_dies_leaves_the_dlq_visible_to_the_next(dead_letters, ssot):
    dlq, queue = dead_letters
    bodies = [json.dumps({"schema": 1, "key": f"warm_nudge|{n}|1|2026-11-25"}) for n in range(3)]
    dlq.send_batch([OutgoingMessage(f"k{n}", "warm_nudge", body) for n, body in enumerate(bodies)])
    with pytest.raises(RuntimeError):
        run_triage(DiesOnLookup(), dlq, queue)
    report = run_triage(ssot, dlq, queue)
    assert len(report.messages) == 6 and report.unread_depth == 0


def test_a_triage_that_reads_nothing_while_the_dlq_holds_messages_says_so(dead_letters, ssot):
    dlq, queue = dead_letters
    assert len(dlq.receive(10, visibility_timeout=120)) == 3  # another reader holds them
    report = run_triage(ssot, dlq, queue)
    assert report.messages == [] and report.unread_depth == 3 and report.figures()["unread_depth"] == 3
