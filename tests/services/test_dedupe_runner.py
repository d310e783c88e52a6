"""The nightly dedupe against each backend: nothing lost, reversible, crash-safe, incremental."""

import datetime as dt

import pytest

from clawbot_assets.adapters.ssot import TASKS_TABLE, SsotError, chunks
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.adapters.ssot_local_fixture import backlog_records, seed_demo_once
from clawbot_assets.services.dedupe_runner import restore_run
from tests.services.ledger import Ledger


class SimulatedCrash(RuntimeError):
    pass


class CrashingClient:
    """Passes every call through, but dies after ``batches`` write batches of ``method``.

    On the demo backlog the survivor fills take 18 update batches and the Key backfills 8 more
    (after the deletes), so update batch 20 dies halfway through the backfill."""

    def __init__(self, client, method: str, batches: int):
        self._client, self._method, self._left = client, method, batches

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _batched(self, name, items):
        for batch in chunks(list(items), 10):
            if self._left == 0:
                raise SimulatedCrash(f"killed during {name}")
            self._left -= 1
            getattr(self._client, name)(TASKS_TABLE, batch)

    def update(self, table, updates):
        if self._method != "update":
            return self._client.update(table, updates)
        self._batched("update", updates)

    def delete(self, table, record_ids):
        if self._method != "delete":
            return self._client.delete(table, record_ids)
        self._batched("delete", record_ids)
        return list(record_ids)


def state_of(client):
    return {record["id"]: record["fields"] for record in client.list_records(TASKS_TABLE)}


@pytest.fixture
def reference_end_state(tmp_path):
    """What one uninterrupted run leaves, computed on a separate embedded backend."""
    local = LocalSsot(tmp_path / "reference.sqlite")
    seed_demo_once(local)
    Ledger(tmp_path / "reference_index.json.gz").run(local, run_id="reference")
    return state_of(local)


def assert_nothing_lost(client, original_ids, reference):
    kept = state_of(client)
    archived = {entry.record["id"] for entry in client.archived()}
    assert set(kept) | archived == original_ids
    assert not set(kept) & archived
    assert kept == reference


def test_one_run_leaves_no_duplicate_and_kept_plus_archived_is_the_original(backend, tmp_path, reference_end_state):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    original = state_of(client)
    report = state.run(client, run_id="run-1")
    assert report.plan.duplicate_groups > 50 and report.plan.contacted_twice
    assert_nothing_lost(client, set(original), reference_end_state)
    assert state.run(client, run_id="run-2", mode="full").plan.duplicate_groups == 0
    for entry in client.archived("run-1"):
        assert entry.record["fields"] == original[entry.record["id"]]


@pytest.mark.parametrize(
    "method, batches",
    [("update", 0), ("update", 7), ("delete", 0), ("delete", 3), ("delete", 20), ("update", 20)],
    ids=["after-archive", "mid-survivor-fill", "before-first-delete", "between-delete-batches", "late-deletes", "mid-key-backfill"],
)
def test_a_run_killed_anywhere_then_rerun_ends_like_an_uninterrupted_one(backend, tmp_path, reference_end_state, method, batches):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    original_ids = set(state_of(client))
    with pytest.raises(SimulatedCrash):
        state.run(CrashingClient(client, method, batches), run_id="killed")
    assert state.history.watermark() is None, "a crashed run must not move the watermark"
    state.run(client, run_id="rerun")
    assert_nothing_lost(client, original_ids, reference_end_state)


def test_restore_puts_every_removed_record_back_once(backend, tmp_path):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    original = state_of(client)
    report = state.run(client, run_id="run-1")
    restored = restore_run(client, "run-1")
    assert len(restored.restored) == len(report.plan.deletes) == restored.archived
    again = restore_run(client, "run-1")
    assert again.restored == [] and again.already_restored == restored.archived
    after = state_of(client)
    back = {fields["Restored From"]: {k: v for k, v in fields.items() if k != "Restored From"} for fields in after.values() if "Restored From" in fields}
    assert back == {record_id: original[record_id] for record_id in report.plan.deletes}
    assert len(after) == len(original)


def test_dry_run_writes_nothing(backend, tmp_path):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    before = state_of(client)
    report = state.run(client, run_id="dry", dry_run=True)
    assert report.plan.deletes and state_of(client) == before and not client.archived() and state.history.watermark() is None


def test_empty_table(tmp_path):
    client = LocalSsot(tmp_path / "empty.sqlite")
    report = Ledger(tmp_path / "index.json.gz").run(client, run_id="empty")
    assert report.plan.summary()["records"] == 0 and report.api_requests == 1


def test_incremental_run_reads_only_new_records_and_catches_their_duplicates(backend, tmp_path):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    first = state.run(client, run_id="full")
    assert first.mode == "full"
    settle = state.run(client, run_id="rereads-its-own-key-backfill", overlap=dt.timedelta(0))
    assert settle.mode == "incremental" and settle.plan.duplicate_groups == 0 and not settle.plan.updates
    survivor_id, survivor_key = next(iter(first.plan.survivors.items()))[::-1]
    duplicate = {**state_of(client)[survivor_id]}
    duplicate.pop("Key")
    duplicate["Status"] = "cancelled"  # ranks last: the stored survivor must win
    client.create(TASKS_TABLE, [duplicate, {"Playbook": "Churn Rescue", "Deal ID": "777", "Due Date": "2026-11-30"}])
    report = state.run(client, run_id="nightly", overlap=dt.timedelta(0))
    assert report.mode == "incremental"
    assert report.records_read == 3
    assert report.plan.duplicate_groups == 1 and len(report.plan.deletes) == 1
    assert survivor_id in state_of(client)


def test_a_run_that_dies_after_deleting_keeps_its_duplicates_in_the_history(backend, tmp_path):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    with pytest.raises(SimulatedCrash):
        state.run(CrashingClient(client, "update", 20), run_id="killed-after-deletes")
    rerun = state.run(client, run_id="rerun")
    assert rerun.plan.duplicate_groups == 0
    history = {run.run_id: run for run in state.history.runs}
    assert sum(history["killed-after-deletes"].duplicates_created_by_day.values()) == 364


def test_a_record_changed_after_the_read_is_not_deleted_on_stale_facts(tmp_path):
    client = LocalSsot(tmp_path / "ssot.sqlite")
    seed_demo_once(client)

    class WorkerSendsMidRun(CrashingClient):
        """Between the plan and the deletes, the worker marks one planned loser as sent."""

        def __init__(self, inner):
            super().__init__(inner, "none", 0)
            self.victim = None

        def archive(self, run_id, records):
            self._client.archive(run_id, records)
            self.victim = records[0]["id"]
            self._client.update(TASKS_TABLE, [(self.victim, {"Status": "sent", "Last Error": "sent by worker"})])

    wrapped = WorkerSendsMidRun(client)
    report = Ledger(tmp_path / "index.json.gz").run(wrapped, run_id="race")
    assert report.changed_during_run == [wrapped.victim]
    assert state_of(client)[wrapped.victim]["Status"] == "sent"
    assert report.figures()["removed"] == len(report.plan.deletes) - 1


def test_an_unfinished_forced_full_pass_makes_the_next_auto_run_full(backend, tmp_path):
    client, state = backend["ssot"].client(), Ledger(tmp_path / "index.json.gz")
    state.run(client, run_id="first")
    client.create(TASKS_TABLE, [dict(state_of(client)[next(iter(state_of(client)))], Status="cancelled")])
    with pytest.raises(SimulatedCrash):
        state.run(CrashingClient(client, "delete", 0), run_id="forced", mode="full")
    assert state.run(client, run_id="next").mode == "full"
    assert state.run(client, run_id="after").mode == "incremental"


def test_restore_marks_are_never_copied_onto_survivors_nor_counted_as_new_duplicates(tmp_path):
    client = LocalSsot(tmp_path / "ssot.sqlite")
    seed_demo_once(client)
    state = Ledger(tmp_path / "index.json.gz")
    state.run(client, run_id="r1")
    restore_run(client, "r1")
    again = state.run(client, run_id="r2", mode="full")
    assert len(again.plan.deletes) == 364 and again.plan.duplicates_created_by_day == {}
    assert not any("Restored From" in fields for fields in state_of(client).values())
    assert len(restore_run(client, "r2").restored) == 364


def test_airtable_without_a_durable_archive_refuses_before_deleting(monkeypatch, tmp_path):
    from clawbot_assets.resources import resource_for
    from tests.conftest import BASE_ID, TOKEN
    from tests.fakes.airtable_server import FakeAirtable

    with FakeAirtable(token=TOKEN, rate_limit=50) as server:
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("AIRTABLE_API_KEY", TOKEN)
        environ = {"CLAWBOT_SSOT": "airtable", "AIRTABLE_BASE_ID": BASE_ID, "AIRTABLE_ENDPOINT_URL": server.url}
        resource = resource_for("ssot", environ, resolve_secrets=True).model_copy(update={"rate_limiter_url": "memory://?limit=400&window=1"})
        with pytest.raises(SsotError, match="No durable dedupe archive"):
            Ledger(tmp_path / "index.json.gz").run(resource.client(), run_id="nowhere-to-archive")
        assert len(server.records(BASE_ID, TASKS_TABLE)) == len(backlog_records())
