import pytest

from clawbot_assets.domain.task_lifecycle import (
    KNOWN,
    SENDABLE,
    SENT_AT_FIELD,
    TRANSITIONS,
    Actor,
    Status,
    allowed,
    effective_status,
    refusal,
)

ACTORS = [value for name, value in vars(Actor).items() if name.isupper()]
EVERY = sorted(KNOWN | {Status.NEW})

#: DESIGN §3's table, written out again: the module must say exactly this.
DESIGN = {
    Actor.PLAYBOOK_RUN: {("", "pending"), ("", "intercepted")},
    Actor.PERSON: {("pending", "approved"), ("pending", "cancelled"), ("approved", "cancelled")},
    Actor.DISPATCH: {("pending", "dispatching"), ("approved", "dispatching"), ("pending", "intercepted"),
                     ("approved", "intercepted"), ("dispatching", "queued"), ("dispatching", "pending"),
                     ("dispatching", "approved")},
    Actor.TRIAGE: {("dispatching", "failed"), ("queued", "failed")},
    Actor.REDRIVE: {("failed", "queued")},
}


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != Actor.WORKER])
def test_each_writer_may_make_exactly_the_moves_of_the_design(actor):
    moves = {(current, target) for current in EVERY for target in EVERY if allowed(actor, current, target)}
    assert moves == DESIGN.get(actor, set())


def test_the_worker_records_a_delivery_from_any_status_but_sent_and_moves_nothing_else():
    assert {current for current in EVERY if allowed(Actor.WORKER, current, Status.SENT)} == set(EVERY) - {Status.SENT}
    assert not [t for c in EVERY for t in EVERY if t != Status.SENT and allowed(Actor.WORKER, c, t)]


@pytest.mark.parametrize("actor", ACTORS)
def test_sent_is_final_for_every_writer(actor):
    assert not [target for target in EVERY if allowed(actor, Status.SENT, target)]
    assert "final" in refusal(actor, Status.SENT, Status.QUEUED)


def test_no_transition_of_the_table_leaves_sent_and_the_worker_sends_only_dispatching_or_queued():
    assert not [pair for pair in TRANSITIONS if pair[0] == Status.SENT]
    assert SENDABLE == {Status.DISPATCHING, Status.QUEUED}


@pytest.mark.parametrize("fields, expected", [
    ({"Status": " Queued "}, "queued"),
    ({"Status": "queued", SENT_AT_FIELD: "2026-11-25T14:00:00+00:00"}, "sent"),
    ({"Status": ["queued"]}, ""),
    ({}, ""),
])
def test_effective_status_reads_sent_at_as_sent(fields, expected):
    assert effective_status(fields) == expected
