"""Fixed sequences of the lifecycle state machine's steps (lifecycle_machine.py): the examples
that failed while it was built, kept as regression tests, each checked with every invariant."""

import pytest

from clawbot_assets.domain.task_lifecycle import Status, effective_status
from tests.services.lifecycle_machine import TaskPath


@pytest.fixture
def path(tmp_path):
    return TaskPath(tmp_path)


def statuses(path):
    return {r["fields"]["Key"]: effective_status(r["fields"]) for r in path.tasks()}


def to_the_dlq(path):
    """A consumer that keeps failing: every message goes to the DLQ."""
    for _ in range(4):
        path.failing_consumer()
        path.tick(31)
    while path.queue.receive(10):
        path.tick(31)


def test_a_worker_between_the_send_and_the_mark_keeps_its_sent(path):
    """Finding 1: the dispatch's mark no longer turns the worker's sent back into queued, so the
    redelivery (the worker died before its delete) is deleted unsent."""
    path.playbook_run("warm_nudge", 0)
    path.dispatch("worker")
    path.check_all()
    path.tick(31)
    path.worker()
    path.check_all()
    assert sorted(statuses(path).values()) == [Status.INTERCEPTED, Status.SENT, Status.SENT]


def test_a_redrive_with_a_live_worker_sends_the_task(path):
    """Finding 2: the task is queued before its message can reach the worker."""
    path.playbook_run("warm_nudge", 0)
    path.dispatch()
    to_the_dlq(path)
    path.triage(redrive=False)
    assert sorted(statuses(path).values()) == [Status.FAILED, Status.FAILED, Status.INTERCEPTED]
    path.triage(redrive=True, fault="worker")
    path.check_all()
    assert sorted(statuses(path).values()) == [Status.INTERCEPTED, Status.SENT, Status.SENT]
    assert sum(path.deliveries.values()) == 2


def test_a_pending_n8n_copy_never_survives_a_dispatching_task(path):
    """Found by the machine: the dedupe ranked ``dispatching`` below ``pending``, deleted the task
    whose message was on the queue and kept the copy, which the dispatch would send again."""
    path.playbook_run("warm_nudge", 0)
    path.dispatch("mark")
    path.n8n_double_insert(0)
    path.dedupe()
    path.check_all()
    path.settle()
    path.check_all()
    path.check_every_task_ended()


def test_a_redrive_that_died_after_its_send_is_redriven_again(path):
    """Found while building the machine: a redrive dies after its send, before its DLQ delete; a
    dry triage marks the task failed from the copy left in the DLQ; a worker drops the redriven
    copy (its task is failed). The next redrive must not be dropped as a duplicate of it."""
    path.playbook_run("warm_nudge", 0)
    path.dispatch()
    to_the_dlq(path)
    path.triage(redrive=True, fault="delete")
    path.check_all()
    path.tick(31)
    path.triage(redrive=False)
    path.worker()
    path.triage(redrive=True)
    path.worker()
    path.check_all()
    assert sorted(statuses(path).values()) == [Status.INTERCEPTED, Status.SENT, Status.SENT]


def test_an_sqs_outage_returns_the_batch_at_once(path):
    """Finding 5: a send known to have failed leaves no task dispatching."""
    path.playbook_run("warm_nudge", 0)
    path.dispatch("outage")
    fields = {r["fields"]["Key"]: r["fields"] for r in path.tasks()}
    assert sorted(effective_status(f) for f in fields.values()) == [Status.INTERCEPTED, Status.PENDING, Status.PENDING]
    assert all("Could not connect" in f["Last Error"] for f in fields.values() if f["Status"] == Status.PENDING)
    path.tick(600)
    path.dispatch()
    path.worker()
    assert sorted(statuses(path).values()) == [Status.INTERCEPTED, Status.SENT, Status.SENT]


def test_a_send_whose_response_was_lost_stays_dispatching_and_is_sent_once(path):
    """The queue took the batch but no answer came, twice: the outcome is unknown, so the tasks
    stay dispatching (never pending with their message on the queue); the worker sends the copies
    that landed, and a later dispatch sends nothing again."""
    path.playbook_run("warm_nudge", 0)
    path.dispatch("lost_response")
    assert sorted(statuses(path).values()) == [Status.DISPATCHING, Status.DISPATCHING, Status.INTERCEPTED]
    path.check_all()
    path.worker()
    path.tick(60)
    path.dispatch()
    path.check_all()
    assert sorted(statuses(path).values()) == [Status.INTERCEPTED, Status.SENT, Status.SENT]
    assert sum(path.deliveries.values()) == 2