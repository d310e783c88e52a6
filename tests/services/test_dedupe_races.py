"""Issue 7, items 6, 7 and 9: restores and dedupes running at once, and a worker sending while
the dedupe deletes. On both backends (the Airtable one is pyairtable against the local Airtable
server), without any Dagster pool."""

import threading
from collections import Counter

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.services.dedupe_runner import restore_run
from tests.services.ledger import Ledger
from tests.services.races import Interleaved, run_threads, state_of


def test_two_restores_of_one_run_at_once_leave_exactly_one_copy_of_each_record(backend, tmp_path):
    client = backend["ssot"].client()
    report = Ledger(tmp_path / "index.json.gz").run(client, run_id="run-1")
    both_planned = threading.Barrier(2, timeout=60)
    restorers = [Interleaved(backend["ssot"].client(), before_create=lambda *_: both_planned.wait()) for _ in range(2)]
    first, second = run_threads(*(lambda r=r: restore_run(r, "run-1") for r in restorers))
    copies = Counter(fields.get("Restored From") for fields in state_of(client).values() if fields.get("Restored From"))
    assert set(copies) == set(report.plan.deletes) and set(copies.values()) == {1}
    assert len(first.restored) + len(second.restored) >= len(report.plan.deletes)
    again = restore_run(client, "run-1")
    assert again.restored == [] and again.extra_copies_removed == []
    victim = report.plan.removed[0]
    left_by_a_killed_restore = client.create(TASKS_TABLE, [{**victim["fields"], "Restored From": victim["id"]}])
    assert restore_run(client, "run-1").extra_copies_removed == [left_by_a_killed_restore[0]["id"]]


def test_a_task_sent_after_the_first_delete_of_its_run_is_not_deleted(backend, tmp_path):
    """The worker sends a planned loser of the second batch right after the first delete
    request: once re-read per 100, it was deleted and archived stale; now its batch is re-read
    after that, so it is kept. Every record deleted is archived exactly as last re-read."""
    client = backend["ssot"].client()
    planned, reread, sent = [], {}, []

    def remember_plan(run_id, records):
        planned.extend(records)

    def remember_reread(table, record_ids):
        reread.update((record["id"], record["fields"]) for record in client.find_by_ids(table, record_ids))

    def worker_sends(table, record_ids):
        if not sent:
            sent.append(planned[15]["id"])
            client.update(TASKS_TABLE, [(sent[0], {"Status": "sent", "Last Error": ""})])

    wrapped = Interleaved(client, before_archive=remember_plan, after_find_by_ids=remember_reread, before_delete=worker_sends)
    report = Ledger(tmp_path / "index.json.gz").run(wrapped, run_id="race")
    assert report.changed_during_run == sent
    assert state_of(client)[sent[0]]["Status"] == "sent"
    assert report.figures()["removed"] == len(report.removed) == len(report.plan.deletes) - 1
    archived = {entry.record["id"]: entry.record["fields"] for entry in client.archived("race")}
    assert all(archived[record_id] == reread[record_id] for record_id in report.removed)


def test_two_dedupes_at_once_each_count_only_what_they_deleted(backend, tmp_path):
    both_read = threading.Barrier(2, timeout=60)
    clients = [Interleaved(backend["ssot"].client(), after_list_records=lambda *_: both_read.wait()) for _ in range(2)]
    reports = run_threads(
        *(lambda c=c, n=n: Ledger(tmp_path / f"index-{n}.json.gz").run(c, run_id=f"run-{n}") for n, c in enumerate(clients))
    )
    first, second = reports
    assert first.plan.deletes == second.plan.deletes
    assert not set(first.removed) & set(second.removed)
    assert set(first.removed) | set(second.removed) == set(first.plan.deletes)
    assert first.figures()["removed"] + second.figures()["removed"] == len(first.plan.deletes)
    assert not first.changed_during_run and not second.changed_during_run
    remaining = state_of(backend["ssot"].client())
    assert not set(first.plan.deletes) & set(remaining)
