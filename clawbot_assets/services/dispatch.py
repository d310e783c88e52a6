"""The dispatch: every dispatchable task through the guardrails, then onto the queue.

Crash safety (a crash anywhere never sends a task twice and never loses one). Each round of
at most 100 tasks (one Airtable lookup) goes through three steps:

1. mark the tasks ``dispatching`` with ``Queued At`` = now (nothing is on the queue yet);
2. send them 10 a request, ``MessageDeduplicationId`` = Key, ``MessageGroupId`` = playbook slug;
3. mark the accepted ones ``queued`` (a refused one goes back to pending/approved with Last Error).

Every Status write goes through the task lifecycle (``services/status_writes.py``): the tasks are
re-read just before each write and only moved where the lifecycle allows from what was re-read.
So step 3 moves only ``dispatching`` tasks to ``queued``: a task the worker already marked
``sent`` stays sent. A send known to have failed (SQS answered with an error, or was never
reached) returns the batch's tasks at once to the status they had, with Last Error, and the run
fails (``DispatchSendError``). A send whose outcome is unknown (no answer after the request left)
is repeated at once under the same deduplication ids; if that too has no answer, the tasks stay
``dispatching`` (they may be on the queue) and the run fails: the next run resends them inside the
window, or lists them unconfirmed.

A run that starts while tasks are ``dispatching`` reconciles them first. A crash before step 2
left them unsent; a crash between 2 and 3 left them sent. The run cannot tell which, so it sends
them again under the same deduplication id: SQS (and the local queue) drops the copy if the
first send happened less than 5 minutes ago. That is safe only inside the window, so a
``dispatching`` task whose ``Queued At`` is older than ``RESEND_WINDOW`` (4 minutes, a minute
of margin) is **not** resent: it is reported as ``dispatch_unconfirmed`` for an operator (the
worker marks it ``sent`` if it did get it; docs/runbooks/dlq_not_empty.md, *Dispatch unconfirmed*).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Sequence

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.adapters.queue import (
    DEDUP_WINDOW_SECONDS,
    MAX_BATCH,
    OutgoingMessage,
    QueueClient,
    QueueUnavailableError,
    SendOutcome,
)
from clawbot_assets.adapters.ssot import LOOKUP_BATCH, PLAYBOOKS_TABLE, TASKS_TABLE, SsotClient, chunks
from clawbot_assets.domain.guardrails import (
    INTERCEPT_REASONS,
    QUEUED_AT_FIELD,
    Outcome,
    Reason,
    TaskView,
    plan_dispatch,
    task_view,
)
from clawbot_assets.domain.playbook import UNSAFE_TO_RUN, Playbook, PlaybookValidation, validate_playbooks
from clawbot_assets.domain.queue_message import task_message
from clawbot_assets.domain.schedule_rules import DEFAULT_SCHEDULE_RULES, ScheduleRules
from clawbot_assets.domain.task_lifecycle import Actor, Status, effective_status
from clawbot_assets.domain.tasks import DO_NOT_CONTACT_REASON
from clawbot_assets.services.status_writes import StatusChange, write_statuses
from clawbot_assets.services.task_reads import dispatch_tasks

RESEND_WINDOW = dt.timedelta(seconds=DEDUP_WINDOW_SECONDS - 60)


#: Why a task whose send raised waits: see ``_inside_dedup_window``.
AFTER_FAILED_SEND = "send_failed_recently"


def _inside_dedup_window(task: TaskView, now: dt.datetime) -> bool:
    """A pending/approved task carrying a ``Queued At`` of the last 5 minutes came back from a send
    that raised. If that send did reach the queue after all, a resend under the same
    deduplication id now would be dropped by SQS while the worker drops the first copy (its task
    was pending): wait for the window to pass, then the resend is accepted."""
    return task.queued_at is not None and now - task.queued_at < dt.timedelta(seconds=DEDUP_WINDOW_SECONDS)


class DispatchSendError(RuntimeError):
    """A send known to have failed (the queue raised); its tasks were returned to pending/approved.
    ``report`` holds what the run did up to then."""

    def __init__(self, message: str, report: "DispatchReport") -> None:
        super().__init__(message)
        self.report = report


@dataclass
class DispatchReport:
    dispatched: int = 0
    held_for_approval: int = 0
    intercepted: dict[str, int] = field(default_factory=lambda: {reason: 0 for reason in INTERCEPT_REASONS})
    intercepted_by_playbook: dict[str, int] = field(default_factory=dict)
    not_dispatchable: dict[str, int] = field(default_factory=dict)
    resent_after_interruption: int = 0
    unconfirmed: list[str] = field(default_factory=list)
    send_failed: dict[str, str] = field(default_factory=dict)
    #: Keys of a batch whose send had no answer twice: left dispatching (they may be queued).
    send_unknown: dict[str, str] = field(default_factory=dict)
    queue_requests: int = 0
    #: tasks the worker had already marked sent when this run came to mark them queued (left sent)
    already_sent_when_marked: int = 0

    def figures(self) -> dict[str, int]:
        return {
            "dispatched": self.dispatched,
            "held_for_approval": self.held_for_approval,
            "intercepted": sum(self.intercepted.values()),
            **{f"intercepted_{reason}": count for reason, count in self.intercepted.items()},
            "not_dispatchable": sum(self.not_dispatchable.values()),
            "resent_after_interruption": self.resent_after_interruption,
            "dispatch_unconfirmed": len(self.unconfirmed),
            "send_failed": len(self.send_failed),
            "send_outcome_unknown": len(self.send_unknown),
            "already_sent_when_marked": self.already_sent_when_marked,
            "queue_requests": self.queue_requests,
        }


@dataclass(frozen=True)
class _Send:
    task: TaskView
    playbook: Playbook
    fresh: bool
    """False for a ``dispatching`` task being reconciled (already marked)."""


def do_not_contact_deals(crm: CrmClient, validations: Sequence[PlaybookValidation], records: Sequence[dict]) -> frozenset[str]:
    """Deals flagged in the CRM, read from the trigger stages of the playbooks that may dispatch,
    plus every deal a task was already intercepted for as do-not-contact."""
    flagged = {
        str((r.get("fields") or {}).get("Deal ID"))
        for r in records
        if (r.get("fields") or {}).get("Intercept Reason") == DO_NOT_CONTACT_REASON
    }
    stages = {
        (v.playbook.trigger.pipeline_id, v.playbook.trigger.stage_id)
        for v in validations
        if v.playbook and v.playbook.trigger and v.playbook.scheduled_by_dagster and not (v.codes & UNSAFE_TO_RUN)
    }
    for pipeline_id, stage_id in sorted(stages):
        flagged |= {deal.id for deal in crm.deals_in_stage(pipeline_id, stage_id) if deal.do_not_contact}
    return frozenset(flagged)


def run_dispatch(
    ssot: SsotClient,
    crm: CrmClient,
    queue: QueueClient,
    now: dt.datetime | None = None,
    rules: ScheduleRules = DEFAULT_SCHEDULE_RULES,
    on_batch_sent: Callable[[list[str]], None] | None = None,
    signing_key: str | None = None,
) -> DispatchReport:
    """``on_batch_sent`` is called with a batch's keys after the send and before the mark;
    ``signing_key`` (the ClawBot password) signs every message."""
    now = now or dt.datetime.now(dt.timezone.utc)
    validations = validate_playbooks(ssot.list_records(PLAYBOOKS_TABLE), rules)
    playbooks = {v.playbook.slug: v.playbook for v in validations if v.playbook is not None}
    records = dispatch_tasks(ssot, validations, now)
    report = DispatchReport()
    sends = _reconcile(records, playbooks, now, report)

    plan = plan_dispatch(records, validations, do_not_contact_deals(crm, validations, records), now)
    intercepts = plan.of(Outcome.INTERCEPTED)
    write_statuses(ssot, Actor.DISPATCH, [
        StatusChange(d.record_id, Status.INTERCEPTED, {"Intercept Reason": d.reason}) for d in intercepts])
    for decision in intercepts:
        report.intercepted[decision.reason] += 1
        slug = decision.task.slug if decision.task else "?"
        report.intercepted_by_playbook[slug] = report.intercepted_by_playbook.get(slug, 0) + 1
    report.held_for_approval = len(plan.of(Outcome.HELD))
    for decision in plan.of(Outcome.NOT_DISPATCHABLE):
        report.not_dispatchable[decision.reason] = report.not_dispatchable.get(decision.reason, 0) + 1
    for decision in plan.of(Outcome.DISPATCH):
        if decision.task is None:
            continue
        if _inside_dedup_window(decision.task, now):
            report.not_dispatchable[AFTER_FAILED_SEND] = report.not_dispatchable.get(AFTER_FAILED_SEND, 0) + 1
            continue
        sends.append(_Send(decision.task, playbooks[decision.task.slug], True))

    for tasks in chunks(sends, LOOKUP_BATCH):
        _dispatch_round(ssot, queue, list(tasks), now, report, on_batch_sent, signing_key)
    return report


def _reconcile(records, playbooks: dict[str, Playbook], now: dt.datetime, report: DispatchReport) -> list[_Send]:
    """``dispatching`` tasks left by an interrupted run: resend those still inside the window."""
    sends = []
    for record in records:
        if effective_status(record.get("fields") or {}) != Status.DISPATCHING:
            continue
        view = task_view(record)
        playbook = playbooks.get(view.slug) if view else None
        if view is None or playbook is None or view.queued_at is None or now - view.queued_at > RESEND_WINDOW:
            report.unconfirmed.append(view.key if view else record["id"])
            continue
        sends.append(_Send(view, playbook, False))
        report.resent_after_interruption += 1
    return sends


def _message(send: _Send, now: dt.datetime, signing_key: str | None) -> OutgoingMessage:
    task = send.task
    body = task_message(task.key, task.record_id, send.playbook.name, task.deal_id, task.step,
                        task.due_date.isoformat(), send.playbook.channel, now).encode(signing_key)
    return OutgoingMessage(dedup_id=task.key, group_id=task.slug, body=body)


def _eligible_again(send: _Send, before: str | None) -> str:
    """Where a task goes back to when its send is known to have failed: the status it had
    before this run marked it, else what its playbook's Approval makes it."""
    if before in (Status.PENDING, Status.APPROVED):
        return before
    return Status.APPROVED if send.playbook.approval == "manual" else Status.PENDING


def _mark_dispatching(ssot: SsotClient, batch: list[_Send], stamp: str) -> tuple[list[_Send], dict[str, str]]:
    """Re-read the round's tasks once, then mark the fresh ones ``dispatching`` from that read and
    keep the resent ones it still shows ``dispatching``: only those the lifecycle let through go
    on (a task a person cancelled meanwhile is not sent)."""
    read = {record["id"]: record.get("fields") or {}
            for record in ssot.find_by_ids(TASKS_TABLE, [send.task.record_id for send in batch])}
    marked = write_statuses(ssot, Actor.DISPATCH, [
        StatusChange(s.task.record_id, Status.DISPATCHING, {QUEUED_AT_FIELD: stamp}) for s in batch if s.fresh], known=read)
    still = {record_id for record_id, fields in read.items() if effective_status(fields) == Status.DISPATCHING}
    keep = [s for s in batch if (s.task.record_id in marked.written if s.fresh else s.task.record_id in still)]
    return keep, marked.current


def _dispatch_round(ssot: SsotClient, queue: QueueClient, tasks: list[_Send], now: dt.datetime,
                    report: DispatchReport, on_batch_sent: Callable[[list[str]], None] | None,
                    signing_key: str | None) -> None:
    """Up to ``LOOKUP_BATCH`` tasks: marked ``dispatching`` together (one re-read), sent 10 a
    request, then marked ``queued`` together (one re-read), so the Airtable cost is one read and
    one write per 10 tasks each way, whatever the batch count (issue 17's budget)."""
    stamp = now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    tasks, before = _mark_dispatching(ssot, tasks, stamp)
    by_key = {send.task.key: send for send in tasks}
    sent: list[str] = []
    failed: dict[str, str] = {}
    error: QueueUnavailableError | None = None
    batches = [list(batch) for batch in chunks(tasks, MAX_BATCH)]
    for position, batch in enumerate(batches):
        try:
            outcome = _send(queue, [_message(send, now, signing_key) for send in batch])
        except QueueUnavailableError as raised:
            error = raised
            reason = f"{type(raised).__name__}: {raised}"
            if raised.delivery_unknown:
                # Sent twice under the same deduplication ids and still no answer: the batch may be
                # on the queue. It stays dispatching: a run inside the resend window sends it again
                # (SQS drops the copy), a later one lists it unconfirmed; the worker sends what landed.
                report.send_unknown.update({send.task.key: reason for send in batch})
            else:
                failed.update({send.task.key: reason for send in batch})
            failed.update({send.task.key: "not sent: an earlier batch of this run failed"
                           for later in batches[position + 1:] for send in later})
            break
        report.queue_requests += outcome.requests
        if on_batch_sent is not None:
            on_batch_sent([send.task.key for send in batch])
        sent += outcome.sent
        failed.update(outcome.failed)
    marked = write_statuses(ssot, Actor.DISPATCH, [
        StatusChange(by_key[key].task.record_id, Status.QUEUED, {"Last Error": ""}) for key in sent])
    report.dispatched += len(sent)
    report.already_sent_when_marked += sum(1 for key in sent if marked.current.get(by_key[key].task.record_id) == Status.SENT)
    _return_to_eligible(ssot, failed, by_key, before, report)
    if error is not None:
        what = "got no answer; its tasks stay dispatching" if error.delivery_unknown else "refused a batch; its tasks are pending again"
        raise DispatchSendError(f"the queue {what}: {type(error).__name__}: {error}"[:500], report) from error


def _send(queue: QueueClient, messages: list[OutgoingMessage]) -> SendOutcome:
    """One send; when its outcome is unknown, once more at once under the same deduplication ids
    (inside SQS's 5-minute window a copy that did land is dropped, so nothing is queued twice)."""
    try:
        return queue.send_batch(messages)
    except QueueUnavailableError as error:
        if not error.delivery_unknown:
            raise
    return queue.send_batch(messages)


def _return_to_eligible(ssot: SsotClient, failed: dict[str, str], by_key: dict[str, _Send], before: dict[str, str],
                        report: DispatchReport) -> None:
    write_statuses(ssot, Actor.DISPATCH, [
        StatusChange(by_key[key].task.record_id, _eligible_again(by_key[key], before.get(by_key[key].task.record_id)),
                     {"Last Error": f"queue refused the message: {reason}"[:500]})
        for key, reason in failed.items()])
    report.send_failed.update(failed)


__all__ = ["DispatchReport", "DispatchSendError", "Reason", "run_dispatch", "RESEND_WINDOW"]
