"""Issue 15's findings 1, 2, 3 and 5 end to end, on each SSOT backend (local SQLite, pyairtable
against the Airtable fake) and each queue (the local queue, boto3 against moto's SQS server),
with the reference worker in a process of its own where a worker takes part.

Each test fails on the code before issue 15: the dispatch overwrote the worker's ``sent``
(a deal contacted twice), a redrive lost its task to a live worker, a shared slug or a
COLD-ish Tier let tasks through unapproved, and an SQS outage stranded its batch.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clawbot_assets.adapters.queue import QueueUnavailableError
from clawbot_assets.adapters.queue_sqs import SqsQueue, sqs_client
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.services.dispatch import run_dispatch
from clawbot_assets.services.triage import run_triage
from tests.conftest import TOKEN
from tests.fakes.airtable_server import FakeAirtable
from tests.fakes.aws import fake_credentials, fifo_queues_server
from tests.services.dispatch_world import NOW, Crm, playbook, task
from tests.services.e2e_world import SIGNING_KEY, World, deliveries_of, seed

WARM = "warm_nudge"


@pytest.fixture(params=[("local", "local"), ("local", "sqs"), ("airtable", "sqs")], ids=lambda p: f"{p[0]}-ssot-{p[1]}-queue")
def backends(request, tmp_path, monkeypatch):
    """``(World, Airtable fake or None)``."""
    ssot, queue = request.param
    data_dir = str(tmp_path / "data")
    fake_credentials(monkeypatch)
    with FakeAirtable(token=TOKEN, rate_limit=1000, penalty_seconds=0.5) as server:
        if queue == "local":
            yield World(ssot, queue, data_dir, airtable_url=server.url), server
            return
        with fifo_queues_server(max_receive_count=3) as aws:
            yield World(ssot, queue, data_dir, server.url, aws.endpoint_url, aws.queue_url, aws.dlq_url), server


def given(backends, playbooks=None, deals=("1001", "1002", "1003")):
    world, server = backends
    seed(world, playbooks or [playbook("Warm Nudge")], [task(WARM, deal) for deal in deals], server)
    queue, dlq = world.queues()
    return world, world.ssot_client(), queue, dlq


def statuses(ssot) -> dict[str, str]:
    return {r["fields"]["Key"]: r["fields"].get("Status") for r in ssot.list_records(TASKS_TABLE)}


def test_a_worker_that_sent_between_the_send_and_the_mark_is_never_overwritten(backends, tmp_path):
    """Finding 1. A worker (another process) takes the batch as soon as it is sent, sends the
    first task, marks it sent and dies before its DeleteMessage; then the dispatch marks the
    batch. The redelivered message must be deleted unsent: each deal is contacted once."""
    world, ssot, queue, _ = given(backends)
    deliveries = tmp_path / "deliveries.txt"
    exits = []
    run_dispatch(ssot, Crm(), queue, now=NOW, signing_key=SIGNING_KEY,
                 on_batch_sent=lambda keys: exits.append(world.run_worker_process(deliveries, crash=True)))
    assert exits == [9] and len(deliveries_of(deliveries)) == 1
    first = deliveries_of(deliveries)[0]
    assert statuses(ssot)[first] == "sent"

    world.run_worker_process(deliveries)
    delivered = deliveries_of(deliveries)
    assert sorted(delivered) == sorted(set(delivered)) == sorted(statuses(ssot)), f"contacted twice: {delivered}"
    assert set(statuses(ssot).values()) == {"sent"}


def _dead_letter_everything(queue, dlq, count):
    """A consumer that never completes anything: every message ends in the DLQ."""
    for _ in range(30):
        if dlq.depth().total == count:
            return
        queue.receive(10, visibility_timeout=0)
    assert dlq.depth().total == count


def test_a_redrive_with_a_live_worker_ends_with_every_task_sent(backends, tmp_path):
    """Finding 2. The triage marks the dead-lettered tasks failed; the redrive resends them while
    a live worker (another process) takes each message as soon as it is on the queue. Every
    task must end sent, each once, with nothing left on either queue."""
    world, ssot, queue, dlq = given(backends)
    deliveries = tmp_path / "deliveries.txt"
    run_dispatch(ssot, Crm(), queue, now=NOW, signing_key=SIGNING_KEY)
    _dead_letter_everything(queue, dlq, 3)
    run_triage(ssot, dlq, queue)
    assert set(statuses(ssot).values()) == {"failed"}

    class LiveWorker:
        def __getattr__(self, name):
            return getattr(queue, name)

        def send_batch(self, messages):
            outcome = queue.send_batch(messages)
            world.run_worker_process(deliveries)
            return outcome

    run_triage(ssot, dlq, LiveWorker(), redrive=True)
    world.run_worker_process(deliveries)
    assert set(statuses(ssot).values()) == {"sent"}, statuses(ssot)
    assert sorted(deliveries_of(deliveries)) == sorted(statuses(ssot))
    assert queue.depth().total == 0 and dlq.depth().total == 0


def _queued_keys(queue) -> list[str]:
    keys = []
    while batch := queue.receive(10, visibility_timeout=30):
        for message in batch:
            keys.append(json.loads(message.body)["key"])
            queue.delete(message.receipt_handle)
    return keys


@pytest.mark.parametrize("rows", [
    [playbook("Warm Nudge", Approval="manual", **{"Daily Cap": 1}), {**playbook("Warm Nudge"), "id": "recPbWarmNudge2"}],
    [playbook("Warm Nudge", Tier="")],
    [playbook("Warm Nudge", Tier="C0LD")],
    [playbook("Warm Nudge", Tier="COLD 🧊")],
], ids=["slug-shared-by-a-manual-and-an-auto-row", "blank-tier", "C0LD", "COLD-emoji"])
def test_a_playbook_the_dispatch_cannot_read_with_certainty_sends_nothing(backends, rows):
    """Finding 3: a slug two rows share, or a Tier that may be COLD, with Approval auto: every
    task intercepted with a named reason, nothing on the queue."""
    world, ssot, queue, _ = given(backends, playbooks=rows)
    report = run_dispatch(ssot, Crm(), queue, now=NOW, signing_key=SIGNING_KEY)
    assert report.dispatched == 0 and _queued_keys(queue) == []
    records = ssot.list_records(TASKS_TABLE)
    assert {r["fields"].get("Status") for r in records} == {"intercepted"}
    assert {r["fields"].get("Intercept Reason") for r in records} == {"playbook_unreadable"}


class UnreachableLocalQueue:
    name = "tasks"

    def send_batch(self, messages):
        raise QueueUnavailableError("local queue tasks: disk I/O error")


def test_a_send_known_to_have_failed_returns_its_tasks_at_once(backends):
    """Finding 5. The queue is unreachable (boto3 against a closed port, or the local queue's
    database unwritable): the run fails, its tasks are pending again with Last Error at once,
    and the next scheduled run, 10 minutes later, sends them, each once."""
    world, ssot, queue, _ = given(backends)
    if world.queue == "sqs":
        down = SqsQueue(sqs_client("http://127.0.0.1:9", "eu-west-1"), world.queue_url, sleep=lambda _: None)
    else:
        down = UnreachableLocalQueue()
    with pytest.raises(Exception, match="(?i)queue|sqs"):
        run_dispatch(ssot, Crm(), down, now=NOW, signing_key=SIGNING_KEY)
    records = ssot.list_records(TASKS_TABLE)
    assert {r["fields"].get("Status") for r in records} == {"pending"}
    assert all(r["fields"].get("Last Error") for r in records)

    later = run_dispatch(ssot, Crm(), queue, now=NOW + dt.timedelta(minutes=10), signing_key=SIGNING_KEY)
    assert later.dispatched == 3 and later.unconfirmed == []
    keys = _queued_keys(queue)
    assert sorted(keys) == sorted(set(keys)) == sorted(statuses(ssot))
