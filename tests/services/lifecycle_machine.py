"""The whole task path on the embedded backend, driven step by step: playbook runs, people,
the dispatch, a worker, a consumer that keeps failing, DLQ triage and redrive, n8n's double
inserts and the dedupe, each with the faults it can meet (a crash is ``Crash``, a
``BaseException`` no handler of the system catches, like a process dying).

Used by the hypothesis state machine (test_lifecycle_stateful.py) and by its regression tests,
which replay fixed sequences of the same steps.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path

from clawbot_assets.adapters.crm import Deal
from clawbot_assets.adapters.queue import QueueUnavailableError
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.domain.task_lifecycle import SENT_AT_FIELD, Actor, Status, effective_status
from clawbot_assets.services.dispatch import DispatchSendError, run_dispatch
from clawbot_assets.services.playbook_run import run_playbook
from clawbot_assets.services.status_writes import StatusChange, write_statuses
from clawbot_assets.services.triage import run_triage
from clawbot_assets.services.worker import run_worker
from tests.services.dispatch_world import playbook
from tests.services.ledger import Ledger

START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
SIGNING_KEY = "machine-password"
DEALS = ("101", "102", "103")
FLAGGED = "103"
SLUGS = ("warm_nudge", "cold_call")


class Crash(BaseException):
    """A process dying mid-step: nothing in the system catches it."""


class Clock:
    def __init__(self) -> None:
        self.seconds = START.timestamp()

    def __call__(self) -> float:
        return self.seconds

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.seconds, dt.timezone.utc)


class Crm:
    requests_made = 0

    def deals_in_stage(self, pipeline_id, stage_id):
        return [Deal(deal, deal, pipeline_id, stage_id, deal == FLAGGED) for deal in DEALS]

    def deal_pipelines(self):
        return []


class FaultyQueue:
    """The local queue, with one planned fault: ``send`` raises ``Crash`` before sending,
    ``outage`` raises ``QueueUnavailableError``, ``lost_response`` raises it after the messages
    reached the queue (a response lost to a timeout), ``delete`` raises ``Crash`` before deleting;
    ``after_send`` runs once a send returns (another process acting in that moment)."""

    def __init__(self, queue: LocalQueue, fault: str | None, after_send=None) -> None:
        self._queue, self.fault, self.after_send = queue, fault, after_send

    def __getattr__(self, name):
        return getattr(self._queue, name)

    def send_batch(self, messages):
        if self.fault == "send":
            raise Crash("died before the send")
        if self.fault == "outage":
            raise QueueUnavailableError("SQS SendMessageBatch on tasks failed: Could not connect to the endpoint URL")
        outcome = self._queue.send_batch(messages)
        if self.fault == "lost_response":
            raise QueueUnavailableError("SQS SendMessageBatch on tasks failed: Read timeout on endpoint URL",
                                        delivery_unknown=True)
        if self.after_send is not None:
            self.after_send()
        return outcome

    def delete(self, receipt_handle):
        if self.fault == "delete":
            raise Crash("died before the delete")
        return self._queue.delete(receipt_handle)


class TaskPath:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.clock = Clock()
        self.ssot = LocalSsot(self.directory / "ssot.sqlite")
        self.ssot.insert_raw(PLAYBOOKS_TABLE, [
            playbook("Warm Nudge", **{"Cooldown Days": 2, "Daily Cap": 5}),
            playbook("Cold Call", Tier="COLD", Approval="manual"),
        ])
        self.dlq = LocalQueue(self.directory / "queue.sqlite", "tasks_dlq", clock=self.clock)
        self.queue = LocalQueue(self.directory / "queue.sqlite", "tasks", dead_letter=self.dlq, max_receive_count=3,
                                clock=self.clock)
        self.ledger = Ledger(self.directory / "index.json.gz")
        self.deliveries: Counter[str] = Counter()
        self.sent_ids: set[str] = set()
        self.unconfirmed: set[str] = set()
        self.runs = 0

    # --- the steps -------------------------------------------------------------------------

    def playbook_run(self, slug: str, day: int) -> None:
        run_playbook(self.ssot, Crm(), slug, START + dt.timedelta(days=day), now=self.clock.now)

    def person(self, target: str, index: int) -> None:
        pending = [r for r in self.tasks() if effective_status(r["fields"]) == Status.PENDING]
        if pending:
            write_statuses(self.ssot, Actor.PERSON, [StatusChange(pending[index % len(pending)]["id"], target)])

    def dispatch(self, fault: str | None = None) -> None:
        """``fault``: ``send`` (die after marking, before the send), ``mark`` (die after the send,
        before marking queued), ``outage`` (the send raises), ``lost_response`` (it raises after
        reaching the queue), ``worker`` (a worker consumes the
        batch between the send and the mark, and dies before its delete)."""
        queue = FaultyQueue(self.queue, fault if fault in ("send", "outage", "lost_response") else None)

        def after_send(keys):
            if fault == "mark":
                raise Crash("died between the send and the mark")
            if fault == "worker":
                self.worker("delete", max_messages=10)

        try:
            report = run_dispatch(self.ssot, Crm(), queue, now=self.clock.now, on_batch_sent=after_send,
                                  signing_key=SIGNING_KEY)
        except (Crash, DispatchSendError):
            return
        self.unconfirmed = set(report.unconfirmed)

    def worker(self, fault: str | None = None, max_messages: int = 10) -> None:
        """``fault``: ``delete`` (die after sending and marking, before deleting the message)."""
        try:
            run_worker(self.ssot, FaultyQueue(self.queue, fault), self.deliver, max_messages=max_messages,
                       signing_key=SIGNING_KEY)
        except Crash:
            return

    def failing_consumer(self) -> None:
        """A consumer that receives one message and never completes it (toward the DLQ)."""
        self.queue.receive(1)

    def triage(self, redrive: bool, fault: str | None = None) -> None:
        """``fault``: ``send`` (die during the redrive, after the tasks were made queued),
        ``delete`` (die after the first redriven send, before its delete from the DLQ),
        ``worker`` (a live worker takes each redriven message as soon as it is sent)."""
        self.runs += 1
        live_worker = (lambda: self.worker(max_messages=10)) if fault == "worker" else None
        queue = FaultyQueue(self.queue, fault if fault == "send" else None, after_send=live_worker)
        dlq = FaultyQueue(self.dlq, fault if fault == "delete" else None)
        try:
            run_triage(self.ssot, dlq, queue, redrive=redrive, run_id=f"triage-{self.runs}")
        except Crash:
            return

    def n8n_double_insert(self, index: int) -> None:
        """n8n fires twice: a second, pending row under a Key that already exists."""
        tasks = [r for r in self.tasks() if r["fields"].get("Key")]
        if tasks:
            fields = tasks[index % len(tasks)]["fields"]
            copy = {name: fields[name] for name in ("Key", "Playbook", "Deal ID", "Step", "Due Date")}
            self.ssot.create(TASKS_TABLE, [{**copy, "Status": "pending", "Source": "n8n"}])

    def dedupe(self) -> None:
        self.runs += 1
        self.ledger.run(self.ssot, run_id=f"dedupe-{self.runs}", mode="full", now=self.clock.now)

    def tick(self, seconds: int) -> None:
        self.clock.seconds += seconds

    def deliver(self, task) -> None:
        self.deliveries[task.key] += 1

    # --- what the checks read ----------------------------------------------------------------

    def tasks(self) -> list[dict]:
        """In an order that does not depend on the random record ids, so a run replays."""
        records = self.ssot.list_records(TASKS_TABLE)
        return sorted(records, key=lambda r: (r["fields"].get("Key", ""), r.get("createdTime", ""), r["fields"].get("Source", "")))

    def has_duplicate_keys(self) -> bool:
        keys = Counter(r["fields"].get("Key") for r in self.tasks())
        return any(count > 1 for count in keys.values())

    def messages(self, queue_name: str) -> list[dict]:
        with sqlite3.connect(self.directory / "queue.sqlite") as connection:
            bodies = [row[0] for row in connection.execute("SELECT body FROM messages WHERE queue = ?", (queue_name,))]
        return [json.loads(body) for body in bodies]

    def settle(self) -> None:
        """What operators and the schedules do over the next hour, with nothing failing."""
        for _ in range(6):
            self.tick(301)
            if not self.has_duplicate_keys():
                self.dispatch()
            self.worker(max_messages=100)
            self.triage(redrive=True)
            self.worker(max_messages=100)
        if self.has_duplicate_keys():
            self.dedupe()
            self.settle()

    # --- the invariants ---------------------------------------------------------------------

    def check_no_key_sent_twice(self) -> None:
        twice = {key: count for key, count in self.deliveries.items() if count > 1}
        assert not twice, f"contacted twice: {twice}"

    def check_sent_is_final(self) -> None:
        by_id = {r["id"]: r["fields"] for r in self.tasks()}
        for record_id in self.sent_ids:
            assert record_id in by_id, f"sent task {record_id} disappeared"
            assert by_id[record_id].get("Status") == Status.SENT and by_id[record_id].get(SENT_AT_FIELD), by_id[record_id]
        self.sent_ids |= {rid for rid, fields in by_id.items() if fields.get("Status") == Status.SENT}
        marked = {fields.get("Key") for fields in by_id.values() if effective_status(fields) == Status.SENT}
        assert set(self.deliveries) <= marked, f"delivered but not sent: {set(self.deliveries) - marked}"

    def check_queue_holds_only_sendable_tasks(self) -> None:
        """A message on the main queue is for a task queued or dispatching (or sent: a copy the
        worker deletes unsent). The one exception is a redriven copy whose DLQ twin (left by a
        redrive that died before its delete) let a later triage mark the task failed: that twin
        is still in the DLQ, so the next redrive sends the task."""
        by_id = {r["id"]: r["fields"] for r in self.tasks()}
        in_dlq = {m["record_id"] for m in self.messages(self.dlq.name)}
        by_key = {r["fields"].get("Key"): r["fields"] for r in self.tasks()}
        for message in self.messages(self.queue.name):
            fields = by_id.get(message["record_id"]) or by_key.get(message["key"])
            assert fields is not None, f"message for a task that does not exist: {message['key']}"
            status = effective_status(fields)
            if status == Status.FAILED:
                assert message["record_id"] in in_dlq, f"{message['key']} is failed with its message only on the queue"
            else:
                assert status in (Status.QUEUED, Status.DISPATCHING, Status.SENT), f"{message['key']} is {status} and on the queue"

    def check_no_task_lost(self) -> None:
        """A queued task has its message on the queue or in the DLQ."""
        on_queues = {m["record_id"] for m in self.messages(self.queue.name) + self.messages(self.dlq.name)}
        for record in self.tasks():
            if effective_status(record["fields"]) == Status.QUEUED:
                assert record["id"] in on_queues, f"{record['fields']['Key']} is queued with no message anywhere"

    def check_every_task_ended(self) -> None:
        """After ``settle``: sent, held for approval, intercepted, cancelled, failed with a reason,
        or dispatching and listed unconfirmed."""
        for record in self.tasks():
            fields, status = record["fields"], effective_status(record["fields"])
            key = fields.get("Key", "")
            if status in (Status.SENT, Status.INTERCEPTED, Status.CANCELLED):
                continue
            if status == Status.FAILED:
                assert fields.get("Last Error"), f"{key} failed without a reason"
            elif status == Status.PENDING:
                assert key.startswith("cold_call|"), f"{key} is pending on an auto playbook"
            elif status == Status.DISPATCHING:
                assert key in self.unconfirmed, f"{key} is dispatching and not listed unconfirmed"
            else:
                raise AssertionError(f"{key} ended {status}")

    def check_all(self) -> None:
        self.check_no_key_sent_twice()
        self.check_sent_is_final()
        self.check_queue_holds_only_sendable_tasks()
        self.check_no_task_lost()
