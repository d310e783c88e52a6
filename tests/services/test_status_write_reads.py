"""A Status write re-reads its records only when the caller has not just read them: the triage
marks what it looked up by Key, and a dispatch round marks what it re-read once, each without a
second lookup (counted against the local Airtable server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from clawbot_assets.domain.queue_message import task_message
from clawbot_assets.services.dispatch import run_dispatch
from clawbot_assets.services.triage import run_triage
from tests.fakes.airtable_server import FakeAirtable
from tests.services.dispatch_world import NOW, Crm, playbook, task

BASE, TOKEN = "appStatusWriteReads", "patStatusWriteReads"


def airtable(server: FakeAirtable) -> AirtableSsot:
    return AirtableSsot(TOKEN, BASE, endpoint_url=server.url, rate_limiter=rate_limiter_for(None, name=f"airtable:{BASE}"))


def lookups_by_id(server: FakeAirtable) -> int:
    """Task reads by record id (``find_by_ids``), whether listed by GET or by POST."""
    return sum(TASKS_TABLE in entry.path and "RECORD_ID()" in f"{entry.query}{entry.body}" for entry in server.log)


def statuses(server: FakeAirtable) -> dict[str, str]:
    return {record["id"]: record["fields"].get("Status") for record in server.records(BASE, TASKS_TABLE)}


def test_triage_marks_the_tasks_it_looked_up_without_reading_them_again(tmp_path: Path) -> None:
    queued = [task("warm_nudge", str(1000 + n), status="queued") for n in range(11)]
    already_sent = task("warm_nudge", "1100", status="sent")
    dlq = LocalQueue(tmp_path / "queue.sqlite", "tasks_dlq")  # a group per deal: FIFO hands out all 12 at once
    dlq.send_batch([
        OutgoingMessage(record["fields"]["Key"], record["fields"]["Deal ID"], task_message(
            record["fields"]["Key"], record["id"], "Warm Nudge", record["fields"]["Deal ID"], "1", "2026-11-25", "email", NOW).encode())
        for record in [*queued, already_sent]])
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE, TASKS_TABLE, [*queued, already_sent])
        server.clear_log()

        report = run_triage(airtable(server), dlq, LocalQueue(tmp_path / "queue.sqlite", "tasks", dead_letter=dlq))

        assert sorted(report.marked_failed) == sorted(record["fields"]["Key"] for record in queued)
        assert statuses(server) == {**{record["id"]: "failed" for record in queued}, already_sent["id"]: "sent"}
        # one lookup by Key, two writes of 10 and 1; the old code re-read the 12 tasks by id first
        assert lookups_by_id(server) == 0
        assert server.total_requests == 3, server.requests_by_method


def test_a_dispatch_round_of_resent_and_fresh_tasks_reads_them_once_before_marking(tmp_path: Path) -> None:
    """5 tasks left ``dispatching`` a minute ago by an interrupted run and 20 pending make one
    round: one lookup by id before the send and one before the ``queued`` mark (the old code made
    a third, for the resent tasks alone)."""
    interrupted = [task("warm_nudge", str(1000 + n), status="dispatching") for n in range(5)]
    for record in interrupted:
        record["fields"]["Queued At"] = (NOW - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
    fresh = [task("warm_nudge", str(2000 + n)) for n in range(20)]
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE, PLAYBOOKS_TABLE, [playbook("Warm Nudge")])
        server.seed(BASE, TASKS_TABLE, [*interrupted, *fresh])
        server.clear_log()

        report = run_dispatch(airtable(server), Crm(), LocalQueue(tmp_path / "queue.sqlite", "tasks"), now=NOW)

        assert report.resent_after_interruption == 5 and report.dispatched == 25
        assert set(statuses(server).values()) == {"queued"}
        assert lookups_by_id(server) == 2, [(entry.method, str(entry.query)[:300]) for entry in server.log]
