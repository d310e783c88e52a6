"""The shared rate limiter, through the real ``AirtableSsot.upsert`` (pyairtable underneath),
against ``FakeAirtable`` at Airtable's real limit: 5 requests per sliding 1 s per base, with
0-100 ms of random latency before the server's rate check; the zero-429 tests add 0-300 ms each
way and random client stalls, with two and four processes on one SQLite or Postgres store.

Only the penalty is shortened (1 s on the server), so a test that provokes one fails quickly.
Every test takes a limiter name of its own: a Postgres database outlives the test.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from clawbot_assets.adapters.rate_limit import RateLimiterConfigError, rate_limiter_for
from clawbot_assets.adapters.ssot import KEY_FIELD
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from tests.fakes.airtable_server import FakeAirtable, stall_client

BASE = "appRateLimit001"
TOKEN = "patRateLimitToken"
LATENCY = (0.0, 0.1)
SERVER_PENALTY = 1.0
CLIENT_PENALTY = 2.0
#: Seconds by which the server's and the clients' clocks may disagree in the assertions.
CLOCK_TOLERANCE = 0.05


def limiter_name() -> str:
    return f"airtable:{BASE}:{uuid.uuid4().hex[:8]}"


def rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{KEY_FIELD: f"{prefix}-{index:04d}", "Status": "open"} for index in range(count)]


def busiest_second(server: FakeAirtable) -> int:
    """The most requests the server saw in any sliding 1 s window."""
    times = sorted(entry.time for entry in server.log)
    first, busiest = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def airtable(server: FakeAirtable, url: str, name: str) -> AirtableSsot:
    return AirtableSsot(
        TOKEN, BASE, endpoint_url=server.url, rate_limiter=rate_limiter_for(url, name=name), penalty_seconds=CLIENT_PENALTY
    )


@pytest.fixture
def server() -> Iterator[FakeAirtable]:
    with FakeAirtable(token=TOKEN, penalty_seconds=SERVER_PENALTY, latency=LATENCY) as fake:
        yield fake


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'limits' / 'rate_limit.sqlite'}"


def store_url(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The Postgres fixture is only asked for by the Postgres variants."""
    if store == "memory":
        return "memory://"
    if store == "sqlite":
        return f"sqlite:///{tmp_path / 'limits' / 'rate_limit.sqlite'}"
    return request.getfixturevalue("postgres_url")


# -- one process -------------------------------------------------------------------------------


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_one_process_writes_near_the_ceiling_without_a_429(
    store: str, server: FakeAirtable, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    ssot = airtable(server, store_url(store, request, tmp_path), limiter_name())

    started = time.perf_counter()
    outcome = ssot.upsert("Tasks", rows(150, "one"))
    seconds = time.perf_counter() - started

    assert len(outcome.created) == 150
    assert server.total_requests == 15
    assert server.provoked_429s == 0
    assert busiest_second(server) <= 5
    assert 150 / seconds >= 0.8 * 50


# -- two processes on one base -----------------------------------------------------------------


def _upsert_in_a_process(url: str, name: str, endpoint: str, prefix: str, count: int, barrier: Any, results: Any) -> None:
    ssot = AirtableSsot(
        TOKEN, BASE, endpoint_url=endpoint, rate_limiter=rate_limiter_for(url, name=name), penalty_seconds=CLIENT_PENALTY
    )
    barrier.wait()
    outcome = ssot.upsert("Tasks", rows(count, prefix))
    results.put((prefix, len(outcome.created)))


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_two_processes_on_one_base_share_the_budget(
    store: str, server: FakeAirtable, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each process alone would pace itself to the limit; together they stay under it only if
    they share one budget."""
    url, name = store_url(store, request, tmp_path), limiter_name()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_upsert_in_a_process, args=(url, name, server.url, prefix, 100, barrier, results))
        for prefix in ("first", "second")
    ]
    for worker in workers:
        worker.start()
    created = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0

    spans = {
        prefix: [entry.time for entry in server.log if entry.body and prefix in str(entry.body)]
        for prefix in ("first", "second")
    }
    assert created == {"first": 100, "second": 100}
    assert server.total_requests == 20
    assert server.provoked_429s == 0
    assert busiest_second(server) <= 5
    assert max(map(min, spans.values())) < min(map(max, spans.values())), "the processes did not overlap"


# -- zero 429s by construction, whatever the latency ----------------------------------------------

#: Latency each way at the server, and the clients' own stalls before sending and after the answer.
HARSH_LATENCY = (0.0, 0.3)
CLIENT_STALLS = (0.0, 0.15)
REQUESTS_PER_PROCESS = 8


def _upsert_with_stalls(url: str, name: str, endpoint: str, prefix: str, barrier: Any, results: Any) -> None:
    ssot = AirtableSsot(
        TOKEN, BASE, endpoint_url=endpoint, rate_limiter=rate_limiter_for(url, name=name), penalty_seconds=CLIENT_PENALTY
    )
    stall_client(ssot.session, CLIENT_STALLS)
    barrier.wait()
    outcome = ssot.upsert("Tasks", rows(10 * REQUESTS_PER_PROCESS, prefix))
    results.put((prefix, len(outcome.created), ssot.session.rate_limited))


@pytest.mark.parametrize("processes", [2, 4])
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_no_429_under_any_latency_across_processes(
    store: str, processes: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A slot held from the send until a window after the response: 0-300 ms each way on the
    network and random stalls on the host never put a sixth request in Airtable's second.
    (SQLite: processes of one host; Postgres: as many containers on the deployment's database.)"""
    url, name = store_url(store, request, tmp_path), limiter_name()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    prefixes = [f"p{index}" for index in range(processes)]
    with FakeAirtable(
        token=TOKEN, penalty_seconds=SERVER_PENALTY, latency=HARSH_LATENCY, response_latency=HARSH_LATENCY
    ) as harsh:
        workers = [
            context.Process(target=_upsert_with_stalls, args=(url, name, harsh.url, prefix, barrier, results))
            for prefix in prefixes
        ]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=10)
            assert worker.exitcode == 0

        assert sorted(outcomes) == [(prefix, 10 * REQUESTS_PER_PROCESS, 0) for prefix in prefixes]
        assert harsh.total_requests == processes * REQUESTS_PER_PROCESS
        assert harsh.provoked_429s == 0
        assert busiest_second(harsh) <= 5


def test_a_slot_stays_taken_until_a_window_after_the_response() -> None:
    """The sixth turn waits for the first response plus a window, not for the first send."""
    limiter = rate_limiter_for("memory://", name=limiter_name(), limit=5, window_seconds=0.2)
    turns = [limiter.turn() for _ in range(5)]
    for turn in turns:
        turn.__enter__()
    time.sleep(0.3)  # five requests in flight for longer than a window
    sixth = threading.Thread(target=limiter.acquire)
    sixth.start()
    sixth.join(timeout=0.25)
    assert sixth.is_alive(), "admitted while every slot was still waiting for its response"

    responded = time.monotonic()
    turns[0].__exit__(None, None, None)
    sixth.join(timeout=2)
    admitted_after = time.monotonic() - responded
    for turn in turns[1:]:
        turn.__exit__(None, None, None)
    assert not sixth.is_alive()
    assert 0.18 <= admitted_after <= 0.35


def test_a_slot_whose_process_died_closes_after_the_maximum_hold(sqlite_url: str) -> None:
    name = limiter_name()
    crashed = rate_limiter_for(sqlite_url, name=name, limit=1, window_seconds=0.1)
    crashed.max_hold_seconds = 0.3
    held = crashed.turn()
    held.__enter__()  # never left: its process "died" mid-request

    waited = rate_limiter_for(sqlite_url, name=name, limit=1, window_seconds=0.1).acquire()

    assert 0.25 <= waited <= 0.5
    assert held is not None


def test_requests_are_counted_per_job_and_hour(sqlite_url: str) -> None:
    import datetime as dt

    from clawbot_assets.adapters.rate_limit import attributed_to

    limiter = rate_limiter_for(sqlite_url, name=limiter_name(), limit=100, window_seconds=0.01)
    started = dt.datetime.now(dt.timezone.utc)
    limiter.acquire("sales_dispatch")
    with attributed_to("nightly_dedupe"):
        limiter.acquire()
        limiter.acquire()
    other_process = rate_limiter_for(sqlite_url, name=limiter.name)

    counts = {(row.job, row.requests) for row in other_process.hourly_requests(started)}
    assert counts == {("sales_dispatch", 1), ("nightly_dedupe", 2)} or started.minute == 59


# -- the penalty -------------------------------------------------------------------------------


def _wait_then_upsert(url: str, name: str, endpoint: str, ready: Any, go: Any, results: Any) -> None:
    ssot = AirtableSsot(
        TOKEN, BASE, endpoint_url=endpoint, rate_limiter=rate_limiter_for(url, name=name), penalty_seconds=CLIENT_PENALTY
    )
    ready.set()
    go.wait(timeout=30)
    ssot.upsert("Tasks", rows(10, "later"))
    results.put(ssot.requests_made)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_429_in_one_process_makes_the_other_wait_out_the_penalty(
    store: str, server: FakeAirtable, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url, name = store_url(store, request, tmp_path), limiter_name()
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Event(), context.Event(), context.Queue()
    other = context.Process(target=_wait_then_upsert, args=(url, name, server.url, ready, go, results))
    other.start()
    assert ready.wait(timeout=30)

    server.inject(429, method="PATCH", penalize=True)
    this = threading.Thread(target=airtable(server, url, name).upsert, args=("Tasks", rows(10, "first")))
    this.start()
    while not server.requests(status=429):
        time.sleep(0.01)
    time.sleep(2 * LATENCY[1])  # the 429 has reached this process, which has penalised
    go.set()
    this.join(timeout=30)
    assert results.get(timeout=30) == 1
    other.join(timeout=10)
    assert other.exitcode == 0

    rejected_at = server.requests(status=429)[0].time
    later = [entry.time for entry in server.log if "later" in str(entry.body)]
    assert len(later) == 1
    assert later[0] >= rejected_at + CLIENT_PENALTY - CLOCK_TOLERANCE
    assert server.penalty_rejections == 0
    assert server.rate_violations == 0


# -- the limiter on its own --------------------------------------------------------------------


def test_a_window_admits_its_limit_then_waits_for_the_oldest_to_leave() -> None:
    limiter = rate_limiter_for("memory://", name=limiter_name(), limit=5, window_seconds=0.3)

    waits = [limiter.acquire() for _ in range(6)]

    assert max(waits[:5]) < 0.05
    assert 0.28 <= waits[5] <= 0.4


def test_two_bases_never_share_a_budget(sqlite_url: str) -> None:
    first = rate_limiter_for(sqlite_url, name="airtable:appFirst", limit=2, window_seconds=5)
    second = rate_limiter_for(sqlite_url, name="airtable:appfirst", limit=2, window_seconds=5)

    first.acquire(), first.acquire()

    assert second.acquire() < 0.05
    assert second.acquire() < 0.05


def test_a_penalty_reaches_every_limiter_on_the_store(sqlite_url: str) -> None:
    name = limiter_name()
    penalised, other = rate_limiter_for(sqlite_url, name=name), rate_limiter_for(sqlite_url, name=name)
    bystander = rate_limiter_for(sqlite_url, name=limiter_name())

    penalised.penalise(0.4)

    assert bystander.acquire() < 0.05
    assert 0.35 <= other.acquire() <= 0.6


def test_urls_choose_the_store(tmp_path: Path) -> None:
    three_slashes = rate_limiter_for(f"sqlite://{tmp_path}/a/limits.sqlite?limit=7&window=2", name="airtable:app1")
    four_slashes = rate_limiter_for(f"sqlite:///{tmp_path}/b/limits.sqlite", name="airtable:app1")

    assert (tmp_path / "a" / "limits.sqlite").exists() and (tmp_path / "b" / "limits.sqlite").exists()
    assert (three_slashes.limit, three_slashes.window_seconds) == (7, 2.0)
    assert (four_slashes.limit, four_slashes.window_seconds) == (5, 1.0)
    assert rate_limiter_for(None, name="airtable:app1").store == "memory://"
    with pytest.raises(RateLimiterConfigError, match="redis://\\*\\*\\* is not memory://") as refused:
        rate_limiter_for("redis://user:hunter2@host:6379/0", name="airtable:app1")
    assert "hunter2" not in str(refused.value)


def test_a_postgres_password_is_never_shown(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    secret = parts.password or "s3cret-Pw"
    with_password = postgres_url if parts.password else urlunsplit(parts._replace(netloc=f"{parts.username}:{secret}@{parts.hostname}:{parts.port}"))
    unreachable = urlunsplit(urlsplit(with_password)._replace(netloc=f"{parts.username}:{secret}@127.0.0.1:1"))

    working = rate_limiter_for(with_password, name=limiter_name())
    with pytest.raises(RateLimiterConfigError) as refused:
        rate_limiter_for(unreachable, name=limiter_name())

    assert secret not in repr(working) and "***" in repr(working)
    assert secret not in str(refused.value) and "***" in str(refused.value)
