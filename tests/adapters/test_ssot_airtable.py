"""The real ``AirtableSsot`` (pyairtable underneath) against ``FakeAirtable``, a local server
that speaks Airtable's REST protocol and enforces its 5 requests/s limit with a penalty.

Timings are shrunk (server penalty 0.5 s, adapter penalty 0.6 s) but the pace is the real
one: 5 requests per sliding 1.1 s against a limit of 5 per 1 s, so request counts and 429s mean
what they would
mean against api.airtable.com.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import time
import traceback
from pathlib import Path
from typing import Any, Iterator

import pytest
from pyairtable import formulas as F

from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import (
    KEY_FIELD,
    LOOKUP_BATCH,
    TASKS_TABLE,
    SsotError,
    SsotUnavailableError,
    UpsertAmbiguousError,
)
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from clawbot_assets.adapters.ssot_local import LocalSsot
from tests.fakes.airtable_server import (
    AirtableApiError,
    FakeAirtable,
    StoredRecord,
    parse_formula,
    parse_time,
)

BASE = "appTESTBASE0001"
API_KEY = "patSECRET123"
ARCHIVE_TABLE = "task_queue_sales_archive"
SERVER_PENALTY = 0.5
ADAPTER_PENALTY = 0.6


@pytest.fixture
def server() -> Iterator[FakeAirtable]:
    with FakeAirtable(penalty_seconds=SERVER_PENALTY) as fake:
        yield fake


def make_ssot(server: FakeAirtable, api_key: str = API_KEY, **overrides: Any) -> AirtableSsot:
    options: dict[str, Any] = {
        "endpoint_url": server.url,
        "penalty_seconds": ADAPTER_PENALTY,
        "transient_backoff_seconds": 0.01,
    }
    options.update(overrides)
    return AirtableSsot(api_key, BASE, **options)


def task_rows(count: int, prefix: str = "task") -> list[dict[str, Any]]:
    return [{KEY_FIELD: f"{prefix}-{index:04d}", "Status": "open", "Attempts": index % 3} for index in range(count)]


def seed_tasks(server: FakeAirtable, count: int, prefix: str = "seeded") -> list[dict[str, Any]]:
    return server.seed(BASE, TASKS_TABLE, task_rows(count, prefix))


def keys_of(records: list[dict[str, Any]]) -> list[str]:
    return sorted(record["fields"][KEY_FIELD] for record in records)


# -- pacing and exact request counts -----------------------------------------------------------


def test_paced_burst_provokes_no_429(server: FakeAirtable) -> None:
    seed_tasks(server, 1000)
    ssot = make_ssot(server)

    records = ssot.list_records(TASKS_TABLE)
    outcome = ssot.upsert(TASKS_TABLE, task_rows(60, "new"))

    assert len({record["id"] for record in records}) == len(records) == 1000
    assert len(outcome.created) == 60
    assert server.requests_by_method == {"GET": 10, "PATCH": 6}
    assert ssot.requests_made == server.total_requests == 16
    assert server.status_counts[429] == 0
    assert ssot.session.rate_limited == 0


@pytest.mark.parametrize("rows, records", [(1, 0), (11, 101), (25, 250)])
def test_requests_per_call_are_exact(server: FakeAirtable, rows: int, records: int) -> None:
    """An upsert of n rows takes ceil(n/10) requests; a list of N records ceil(N/100), at least 1."""
    seed_tasks(server, records)
    ssot = make_ssot(server)

    assert len(ssot.list_records(TASKS_TABLE)) == records
    ssot.upsert("Playbooks", task_rows(rows, "playbook"))

    assert server.requests_by_method == {"GET": max(1, math.ceil(records / 100)), "PATCH": math.ceil(rows / 10)}
    assert server.status_counts[429] == 0


def test_unpaced_client_is_rate_limited_and_recovers(server: FakeAirtable) -> None:
    seed_tasks(server, 300)
    ssot = make_ssot(server, rate_limiter=rate_limiter_for(None, name=f"airtable:{BASE}", limit=1000, window_seconds=1))

    outcome = ssot.upsert(TASKS_TABLE, task_rows(60, "new"))
    records = ssot.list_records(TASKS_TABLE)

    assert server.rate_violations >= 1
    assert server.injected_failures == 0
    assert ssot.session.rate_limited == server.status_counts[429] >= 1
    assert len(outcome.created) == 60
    assert keys_of(records) == keys_of(server.records(BASE, TASKS_TABLE))
    assert len(records) == 360


# -- injected faults ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_fault_during_list_is_recovered(server: FakeAirtable, status: int) -> None:
    seed_tasks(server, 250)
    server.inject(status, method="GET", skip=1, penalize=status == 429)
    ssot = make_ssot(server)

    records = ssot.list_records(TASKS_TABLE)

    assert len({record["id"] for record in records}) == len(records) == 250
    assert server.requests_by_method == {"GET": 4}
    assert server.injected_failures == 1
    assert server.provoked_429s == 0


@pytest.mark.parametrize("status", [429, 503])
def test_fault_during_upsert_is_recovered(server: FakeAirtable, status: int) -> None:
    server.inject(status, method="PATCH", skip=1, penalize=status == 429)
    ssot = make_ssot(server)

    outcome = ssot.upsert(TASKS_TABLE, task_rows(25))

    assert len(outcome.created) == 25
    assert keys_of(server.records(BASE, TASKS_TABLE)) == [row[KEY_FIELD] for row in task_rows(25)]
    assert server.requests_by_method == {"PATCH": 4}
    assert server.provoked_429s == 0


def test_upsert_resent_after_a_committed_503_creates_no_duplicates(server: FakeAirtable) -> None:
    """The gateway may answer 503 after Airtable wrote the batch; resending an upsert is safe."""
    server.inject(503, method="PATCH", skip=1, after_apply=True)
    ssot = make_ssot(server)

    ssot.upsert(TASKS_TABLE, task_rows(25))

    stored = server.records(BASE, TASKS_TABLE)
    assert len(stored) == 25
    assert keys_of(stored) == [row[KEY_FIELD] for row in task_rows(25)]
    assert server.requests_by_method == {"PATCH": 4}


def test_503_on_create_raises_and_is_not_resent(server: FakeAirtable) -> None:
    server.inject(503, method="POST")
    ssot = make_ssot(server)

    with pytest.raises(SsotUnavailableError):
        ssot.create(TASKS_TABLE, task_rows(3))

    assert server.requests_by_method == {"POST": 1}
    assert server.records(BASE, TASKS_TABLE) == []


def test_429_on_create_is_resent_once_the_penalty_is_over(server: FakeAirtable) -> None:
    """A 429 means Airtable did nothing, so even a create is safe to resend."""
    server.inject(429, method="POST", penalize=True)
    ssot = make_ssot(server)

    started = time.monotonic()
    created = ssot.create(TASKS_TABLE, task_rows(3))

    assert time.monotonic() - started >= ADAPTER_PENALTY
    assert len(created) == len(server.records(BASE, TASKS_TABLE)) == 3
    assert server.requests_by_method == {"POST": 2}
    assert server.provoked_429s == 0


@pytest.mark.parametrize("after_apply", [False, True], ids=["503-nothing-done", "503-after-delete"])
def test_503_during_delete_rereads_and_deletes_each_record_once(server: FakeAirtable, after_apply: bool) -> None:
    record_ids = [record["id"] for record in seed_tasks(server, 25)]
    server.inject(503, method="DELETE", skip=1, after_apply=after_apply)
    ssot = make_ssot(server)

    deleted = ssot.delete(TASKS_TABLE, record_ids)

    assert sorted(deleted) == sorted(record_ids)
    assert server.records(BASE, TASKS_TABLE) == []
    assert server.status_counts[404] == 0
    deletes = server.requests("DELETE")
    sent_ids = [record_id for entry in deletes if entry.status == 200 for record_id in entry.query["records[]"]]
    assert len(sent_ids) == len(set(sent_ids))
    assert len(deletes) == (3 if after_apply else 4)
    assert len(server.requests("GET")) == 1


def test_delete_skips_records_already_gone(server: FakeAirtable) -> None:
    """A rerun after a partial delete: Airtable answers 404 for the whole batch, the adapter
    re-reads and deletes only what is left."""
    record_ids = [record["id"] for record in seed_tasks(server, 5)]
    ssot = make_ssot(server)
    ssot.delete(TASKS_TABLE, record_ids[:2])

    deleted = ssot.delete(TASKS_TABLE, record_ids)

    assert sorted(deleted) == sorted(record_ids[2:])
    assert server.records(BASE, TASKS_TABLE) == []
    assert [(entry.method, entry.status) for entry in server.log] == [
        ("DELETE", 200),
        ("DELETE", 404),
        ("GET", 200),
        ("DELETE", 200),
    ]


# -- listing -----------------------------------------------------------------------------------


def test_listing_restarts_after_an_expired_offset(server: FakeAirtable) -> None:
    seed_tasks(server, 250)
    server.expire_offsets_once()
    ssot = make_ssot(server)

    records = ssot.list_records(TASKS_TABLE)

    assert len(records) == 250
    assert keys_of(records) == keys_of(server.records(BASE, TASKS_TABLE))
    assert ssot.listing_restarts == 1
    assert [entry.status for entry in server.log] == [200, 422, 200, 200, 200]
    assert server.log[1].body is None and "offset" in server.log[1].query


def test_changed_since_returns_records_created_or_modified_at_or_after(server: FakeAirtable) -> None:
    """Same semantics as ``LocalSsot``: at or after ``changed_since``, to the millisecond."""
    server.seed(
        BASE,
        TASKS_TABLE,
        [
            {"fields": {KEY_FIELD: "old"}, "createdTime": "2024-01-01T00:00:00.000Z"},
            {"fields": {KEY_FIELD: "at-second"}, "createdTime": "2024-06-01T00:00:00.000Z"},
            {"fields": {KEY_FIELD: "before-ms"}, "createdTime": "2024-06-01T00:00:00.100Z"},
            {"fields": {KEY_FIELD: "at-ms"}, "createdTime": "2024-06-01T00:00:00.250Z"},
            {
                "fields": {KEY_FIELD: "modified"},
                "createdTime": "2024-01-02T00:00:00.000Z",
                "lastModifiedTime": "2024-06-01T00:00:00.500Z",
            },
            {"fields": {KEY_FIELD: "new"}, "createdTime": "2024-06-02T09:30:00.000Z"},
        ],
    )
    ssot = make_ssot(server)

    at_second = ssot.list_records(TASKS_TABLE, changed_since=parse_time("2024-06-01T00:00:00.000Z"))
    at_ms = ssot.list_records(TASKS_TABLE, changed_since=parse_time("2024-06-01T00:00:00.250Z"))

    assert keys_of(at_second) == ["at-ms", "at-second", "before-ms", "modified", "new"]
    assert keys_of(at_ms) == ["at-ms", "modified", "new"]
    assert server.requests_by_method == {"GET": 2}


def test_find_by_keys_for_120_keys(server: FakeAirtable) -> None:
    odd_key = "O'Brien \\ \"quoted\"\nline"
    seed_tasks(server, 150, "key")
    server.seed(BASE, TASKS_TABLE, [{KEY_FIELD: odd_key}])
    wanted = [f"key-{index:04d}" for index in range(118)] + [odd_key, "missing"]
    ssot = make_ssot(server)

    found = ssot.find_by_keys(TASKS_TABLE, wanted)

    assert keys_of(found) == sorted(wanted[:-1])
    assert server.requests_by_method == {"GET": math.ceil(len(wanted) / LOOKUP_BATCH)} == {"GET": 2}


def test_find_by_long_keys_falls_back_to_post_and_resends_it(server: FakeAirtable) -> None:
    """Past pyairtable's 16k URL limit the listing is a POST to /listRecords: still a read."""
    long_keys = [f"{index:03d}-" + "x" * 400 for index in range(50)]
    server.seed(BASE, TASKS_TABLE, [{KEY_FIELD: key} for key in long_keys])
    server.inject(503, method="POST")
    ssot = make_ssot(server)

    found = ssot.find_by_keys(TASKS_TABLE, long_keys)

    assert keys_of(found) == long_keys
    assert [(entry.method, entry.path.rsplit("/", 1)[-1], entry.status) for entry in server.log] == [
        ("POST", "listRecords", 503),
        ("POST", "listRecords", 200),
    ]


# -- upsert semantics --------------------------------------------------------------------------


def test_upsert_creates_then_updates(server: FakeAirtable) -> None:
    ssot = make_ssot(server)
    rows = task_rows(12)

    first = ssot.upsert(TASKS_TABLE, rows)
    second = ssot.upsert(TASKS_TABLE, rows)
    ssot.upsert(TASKS_TABLE, [{KEY_FIELD: rows[0][KEY_FIELD], "Status": "done"}])

    assert (len(first.created), len(first.updated)) == (12, 0)
    assert (second.created, sorted(second.updated)) == ([], sorted(first.created))
    stored = {record["fields"][KEY_FIELD]: record["fields"] for record in server.records(BASE, TASKS_TABLE)}
    assert len(stored) == 12
    assert stored[rows[0][KEY_FIELD]] == {**rows[0], "Status": "done"}
    assert stored[rows[1][KEY_FIELD]] == rows[1]
    assert server.requests_by_method == {"PATCH": 5}


def test_ambiguous_upsert_names_the_key_and_writes_nothing_from_that_request(server: FakeAirtable) -> None:
    server.seed(BASE, TASKS_TABLE, [{KEY_FIELD: "dup", "Owner": "a"}, {KEY_FIELD: "dup", "Owner": "b"}])
    ssot = make_ssot(server)
    rows = task_rows(11, "new") + [{KEY_FIELD: "dup", "Owner": "c"}]

    with pytest.raises(UpsertAmbiguousError) as raised:
        ssot.upsert(TASKS_TABLE, rows)

    assert raised.value.key == "dup"
    assert "'dup'" in str(raised.value)
    stored = server.records(BASE, TASKS_TABLE)
    assert keys_of(stored) == sorted(["dup", "dup"] + [row[KEY_FIELD] for row in rows[:10]])
    assert sorted(record["fields"]["Owner"] for record in stored if record["fields"][KEY_FIELD] == "dup") == ["a", "b"]
    assert [(entry.method, entry.status) for entry in server.log] == [("PATCH", 200), ("PATCH", 422), ("GET", 200)]


def test_empty_fields_read_back_like_the_local_twin(server: FakeAirtable, tmp_path: Path) -> None:
    """Airtable leaves out empty cells but keeps a number 0; both backends must agree."""
    row = {KEY_FIELD: "zero", "Attempts": 0, "Score": 0.0, "Done": False, "Note": "", "Tags": []}
    local = LocalSsot(tmp_path / "ssot.sqlite")
    ssot = make_ssot(server)

    local.upsert(TASKS_TABLE, [row])
    ssot.upsert(TASKS_TABLE, [row])

    expected = {KEY_FIELD: "zero", "Attempts": 0, "Score": 0.0}
    assert ssot.list_records(TASKS_TABLE)[0]["fields"] == expected
    assert local.list_records(TASKS_TABLE)[0]["fields"] == expected


# -- archive -----------------------------------------------------------------------------------


def test_archive_falls_back_to_local_when_no_table_is_named(server: FakeAirtable, tmp_path: Path) -> None:
    records = seed_tasks(server, 3)
    fallback = LocalSsot(tmp_path / "archive.sqlite")
    ssot = make_ssot(server, fallback_archive=fallback)

    ssot.archive("run-1", records)
    ssot.archive("run-1", records)

    assert [item.record for item in ssot.archived("run-1")] == sorted(records, key=lambda record: record["id"])
    assert len(fallback.archived()) == 3
    assert server.total_requests == 0
    with pytest.raises(SsotError):
        make_ssot(server).archive("run-1", records)


def test_archive_to_an_airtable_table_is_idempotent(server: FakeAirtable) -> None:
    records = seed_tasks(server, 3)
    ssot = make_ssot(server, archive_table=ARCHIVE_TABLE)

    ssot.archive("run-1", records)
    ssot.archive("run-1", records)
    ssot.archive("run-2", records[:1])

    stored = server.records(BASE, ARCHIVE_TABLE)
    assert sorted((row["fields"]["Run ID"], row["fields"]["Record ID"]) for row in stored) == sorted(
        [("run-1", record["id"]) for record in records] + [("run-2", records[0]["id"])]
    )
    assert json.loads(stored[0]["fields"]["Record"]) == records[0]
    archived = ssot.archived("run-1")
    assert sorted((item.run_id, item.record["id"]) for item in archived) == sorted(
        ("run-1", record["id"]) for record in records
    )
    assert {item.record["id"]: item.record for item in archived} == {record["id"]: record for record in records}
    assert len(ssot.archived()) == 4
    assert server.requests_by_method == {"GET": 5, "POST": 2}


# -- secrets -----------------------------------------------------------------------------------


def _assert_secret_absent(error: BaseException) -> None:
    rendered = "".join(traceback.format_exception(error)) + repr(error) + str(error)
    assert API_KEY not in rendered


def test_api_key_never_appears_in_errors() -> None:
    with FakeAirtable(token="patSOMEONEELSE", penalty_seconds=SERVER_PENALTY) as wrong_key_server:
        ssot = make_ssot(wrong_key_server)
        calls = [
            lambda: ssot.list_records(TASKS_TABLE),
            lambda: ssot.find_by_keys(TASKS_TABLE, ["a"]),
            lambda: ssot.upsert(TASKS_TABLE, task_rows(1)),
            lambda: ssot.update(TASKS_TABLE, [("recMISSING000000", {"Status": "x"})]),
            lambda: ssot.create(TASKS_TABLE, task_rows(1)),
            lambda: ssot.delete(TASKS_TABLE, ["recMISSING000000"]),
        ]
        for call in calls:
            with pytest.raises(SsotError) as raised:
                call()
            _assert_secret_absent(raised.value)
        assert wrong_key_server.status_counts == {401: len(calls)}

    with FakeAirtable(token=API_KEY, penalty_seconds=SERVER_PENALTY) as server:
        ssot = make_ssot(server, penalty_seconds=0.05)
        with pytest.raises(SsotError, match="ROW_DOES_NOT_EXIST") as refused:
            ssot.update(TASKS_TABLE, [("recMISSING000000", {"Status": "x"})])
        _assert_secret_absent(refused.value)

        server.inject(429, count=10)
        with pytest.raises(SsotUnavailableError) as exhausted:
            ssot.list_records(TASKS_TABLE)
        _assert_secret_absent(exhausted.value)


# -- the fake itself ---------------------------------------------------------------------------


def test_fake_understands_exactly_the_formulas_the_adapter_renders() -> None:
    created = parse_time("2024-06-01T00:00:00.000Z")
    record = StoredRecord("recAAAAAAAAAAAAAA", created, created, {KEY_FIELD: "it's \\ x"})
    since = "2024-05-31T23:59:59.999Z"
    accepted = {
        F.to_formula_str(F.OR(F.EQ(F.Field(KEY_FIELD), "it's \\ x"))): True,
        F.to_formula_str(F.OR(F.EQ(F.Field(KEY_FIELD), "a"), F.EQ(F.Field(KEY_FIELD), "b"))): False,
        F.to_formula_str(F.OR(F.EQ(F.RECORD_ID(), "recAAAAAAAAAAAAAA"))): True,
        F.to_formula_str(F.EQ(F.Field("Run ID"), "")): True,
        F.to_formula_str(F.OR(F.IS_AFTER(F.CREATED_TIME(), since), F.IS_AFTER(F.LAST_MODIFIED_TIME(), since))): True,
        F.to_formula_str(F.IS_AFTER(F.CREATED_TIME(), "2024-06-01T00:00:00.000Z")): False,
    }
    for formula, matches in accepted.items():
        assert parse_formula(formula)(record) is matches, formula
    for formula in ["1=1", "XOR({Key}='a')", "{Key}!='a'", "OR({Key}='a'", "{Key}='a' junk", "SEARCH('a',{Key})"]:
        with pytest.raises(AirtableApiError, match="INVALID_FILTER_BY_FORMULA"):
            parse_formula(formula)


# -- one rate limiter shared across processes --------------------------------------------------


def _take_turns(url: str, count: int, barrier: Any, results: Any) -> None:
    limiter = rate_limiter_for(url, name=f"airtable:{BASE}")
    barrier.wait()
    stamps = []
    for _ in range(count):
        with limiter.turn():  # a "request" sent and answered inside its slot
            stamps.append(time.time())
    results.put(stamps)


def test_rate_limiter_is_shared_across_processes(tmp_path: Path) -> None:
    """Two processes on one SQLite file: any 11 requests, each inside its slot, span at least
    a window (a slot closes a window after its response)."""
    limit, window, turns, tolerance = 10, 0.5, 15, 0.01
    url = f"sqlite:///{tmp_path / 'limiter' / 'rate.sqlite'}?limit={limit}&window={window}"
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_take_turns, args=(url, turns, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    stamps = sorted(results.get(timeout=30) + results.get(timeout=30))
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0

    assert len(stamps) == 2 * turns
    assert min(later - earlier for earlier, later in zip(stamps, stamps[limit:])) >= window - tolerance
    assert stamps[-1] - stamps[0] >= (2 * turns // limit - 1) * window - tolerance
