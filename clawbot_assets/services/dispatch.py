"""The dispatch: every dispatchable task through the guardrails, then onto the queue.

Crash safety (a crash anywhere never sends a task twice and never loses one). Each batch of
at most 10 tasks goes through three steps:

1. mark the tasks ``dispatching`` with ``Queued At`` = now (nothing is on the queue yet);
2. send them, ``MessageDeduplicationId`` = Key, ``MessageGroupId`` = playbook slug;
3. mark the accepted ones ``queued`` (a refused one goes back to pending/approved with Last Error).

A run that starts while tasks are ``dispatching`` reconciles them first. A crash before step 2
left them unsent; a crash between 2 and 3 left them sent. The run cannot tell which, so it sends
them again under the same deduplication id: SQS (and the local queue) drops the copy if the
first send happened less than 5 minutes ago. That is safe only inside the window, so a
``dispatching`` task whose ``Queued At`` is older than ``RESEND_WINDOW`` (4 minutes, a minute
of margin) is **not** resent: it is reported as ``dispatch_unconfirmed`` for an operator (the
worker marks it ``sent`` if it did get it; README: *Dispatch unconfirmed*).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Sequence

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.adapters.queue import DEDUP_WINDOW_SECONDS, MAX_BATCH, OutgoingMessage, QueueClient
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE, SsotClient, chunks
from clawbot_assets.domain.guardrails import (
    DISPATCHING,
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
from clawbot_assets.domain.tasks import DO_NOT_CONTACT_REASON
from clawbot_assets.services.task_reads import dispatch_tasks

RESEND_WINDOW = dt.timedelta(seconds=DEDUP_WINDOW_SECONDS - 60)


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
    queue_requests: int = 0

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
    ssot.update(TASKS_TABLE, [(d.record_id, {"Status": "intercepted", "Intercept Reason": d.reason}) for d in intercepts])
    for decision in intercepts:
        report.intercepted[decision.reason] += 1
        slug = decision.task.slug if decision.task else "?"
        report.intercepted_by_playbook[slug] = report.intercepted_by_playbook.get(slug, 0) + 1
    report.held_for_approval = len(plan.of(Outcome.HELD))
    for decision in plan.of(Outcome.NOT_DISPATCHABLE):
        report.not_dispatchable[decision.reason] = report.not_dispatchable.get(decision.reason, 0) + 1
    sends += [_Send(d.task, playbooks[d.task.slug], True) for d in plan.of(Outcome.DISPATCH) if d.task]

    for batch in chunks(sends, MAX_BATCH):
        _dispatch_batch(ssot, queue, list(batch), now, report, on_batch_sent, signing_key)
    return report


def _reconcile(records, playbooks: dict[str, Playbook], now: dt.datetime, report: DispatchReport) -> list[_Send]:
    """``dispatching`` tasks left by an interrupted run: resend those still inside the window."""
    sends = []
    for record in records:
        if str((record.get("fields") or {}).get("Status", "")).strip().lower() != DISPATCHING:
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


def _dispatch_batch(ssot: SsotClient, queue: QueueClient, batch: list[_Send], now: dt.datetime,
                    report: DispatchReport, on_batch_sent: Callable[[list[str]], None] | None,
                    signing_key: str | None) -> None:
    stamp = now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    ssot.update(TASKS_TABLE, [(s.task.record_id, {"Status": DISPATCHING, QUEUED_AT_FIELD: stamp}) for s in batch if s.fresh])
    outcome = queue.send_batch([_message(send, now, signing_key) for send in batch])
    report.queue_requests += outcome.requests
    if on_batch_sent is not None:
        on_batch_sent([send.task.key for send in batch])
    by_key = {send.task.key: send for send in batch}
    updates = [(by_key[key].task.record_id, {"Status": "queued", "Last Error": ""}) for key in outcome.sent]
    for key, reason in outcome.failed.items():
        send = by_key[key]
        back = "approved" if send.playbook.approval == "manual" else "pending"
        updates.append((send.task.record_id, {"Status": back, "Last Error": f"queue refused the message: {reason}"[:500]}))
    ssot.update(TASKS_TABLE, updates)
    report.dispatched += len(outcome.sent)
    report.send_failed.update(outcome.failed)


__all__ = ["DispatchReport", "Reason", "run_dispatch", "RESEND_WINDOW"]
