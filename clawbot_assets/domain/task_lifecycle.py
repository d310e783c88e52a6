"""The one lifecycle of a task's Status (DESIGN §3 *Task lifecycle*): which writer may move a
task from which status to which.

Every writer of task Status asks ``allowed`` about the status it **re-read just before its
write** (``services/status_writes.py`` does the re-read and the write), so no writer moves a
task backwards on stale facts, and ``sent`` is final: no transition leaves it.

Airtable has no compare-and-set, so a write can still land one request round-trip after the
re-read that allowed it. What makes that window harmless is ``Sent At``: the worker writes it
with ``sent`` and no other writer ever writes that field, so a late write of another Status
cannot erase it, and ``effective_status`` reads a task carrying ``Sent At`` as ``sent``
whatever its Status says. The worker judges a redelivered message by that effective status,
so a task it has sent is never sent again (docs/queue_contract.md, *Why no second contact*).
"""

from __future__ import annotations

from typing import Any, Mapping


class Status:
    PENDING = "pending"
    APPROVED = "approved"
    DISPATCHING = "dispatching"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    INTERCEPTED = "intercepted"
    CANCELLED = "cancelled"
    #: A record with no (readable) Status: not yet created, or left half-made by a crash.
    NEW = ""


class Actor:
    PLAYBOOK_RUN = "playbook run"
    PERSON = "a person"
    DISPATCH = "dispatch"
    WORKER = "worker"
    TRIAGE = "DLQ triage"
    REDRIVE = "redrive"
    DEDUPE = "dedupe"


#: Written by the worker alongside ``sent`` and by nobody else; a task carrying it is sent.
SENT_AT_FIELD = "Sent At"

#: ``(from, to) -> who may make that move``. Anything absent is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.NEW, Status.PENDING): frozenset({Actor.PLAYBOOK_RUN}),
    (Status.NEW, Status.INTERCEPTED): frozenset({Actor.PLAYBOOK_RUN}),
    (Status.PENDING, Status.APPROVED): frozenset({Actor.PERSON}),
    (Status.PENDING, Status.CANCELLED): frozenset({Actor.PERSON}),
    (Status.APPROVED, Status.CANCELLED): frozenset({Actor.PERSON}),
    (Status.PENDING, Status.DISPATCHING): frozenset({Actor.DISPATCH}),
    (Status.APPROVED, Status.DISPATCHING): frozenset({Actor.DISPATCH}),
    (Status.PENDING, Status.INTERCEPTED): frozenset({Actor.DISPATCH}),
    (Status.APPROVED, Status.INTERCEPTED): frozenset({Actor.DISPATCH}),
    (Status.DISPATCHING, Status.QUEUED): frozenset({Actor.DISPATCH}),
    # The send is known to have failed: the task is eligible again, with its Last Error.
    (Status.DISPATCHING, Status.PENDING): frozenset({Actor.DISPATCH}),
    (Status.DISPATCHING, Status.APPROVED): frozenset({Actor.DISPATCH}),
    (Status.DISPATCHING, Status.SENT): frozenset({Actor.WORKER}),
    (Status.QUEUED, Status.SENT): frozenset({Actor.WORKER}),
    (Status.DISPATCHING, Status.FAILED): frozenset({Actor.TRIAGE}),
    (Status.QUEUED, Status.FAILED): frozenset({Actor.TRIAGE}),
    # Made before the message goes back to the queue, so a worker that gets it finds it sendable.
    (Status.FAILED, Status.QUEUED): frozenset({Actor.REDRIVE}),
}

#: A worker sends a message whose task is in one of these, and no other.
SENDABLE = frozenset({Status.DISPATCHING, Status.QUEUED})
#: Final for the dispatch path: nothing but a person's new task follows.
FINAL = frozenset({Status.SENT, Status.INTERCEPTED, Status.CANCELLED})
KNOWN = frozenset(status for pair in TRANSITIONS for status in pair) - {Status.NEW}


def status_text(value: Any) -> str:
    """A Status field as the lifecycle reads it: trimmed, lower-case; anything not text is blank."""
    return value.strip().lower() if isinstance(value, str) else Status.NEW


def effective_status(fields: Mapping[str, Any]) -> str:
    """The status a writer must judge by: ``sent`` once the worker wrote ``Sent At``, even if a
    late write of another writer put a different Status on top of it."""
    if fields.get(SENT_AT_FIELD):
        return Status.SENT
    return status_text(fields.get("Status"))


def allowed(actor: str, current: str, target: str) -> bool:
    """May ``actor`` move a task whose re-read status is ``current`` to ``target``?

    One move is outside the table on purpose: the worker records ``sent`` after a delivery from
    whatever status it finds then. It delivered only a task it had re-read as sendable; if
    triage or the dispatch wrote over it in between, the delivery still happened, and a task
    that does not say so would be sent again by a redrive.
    """
    if actor == Actor.WORKER and target == Status.SENT:
        return current != Status.SENT
    return actor in TRANSITIONS.get((current, target), frozenset())


def refusal(actor: str, current: str, target: str) -> str:
    """Why ``allowed`` said no, in words for a report."""
    if current == Status.SENT:
        return f"task is sent, which is final; {actor} may not make it {target}"
    return f"{actor} may not move a task from {current or '(no status)'} to {target}"
