"""The shared rate limiter, through the real ``AirtableSsot.upsert`` (pyairtable underneath),
against ``FakeAirtable`` at Airtable's real limit: 5 requests per sliding 1 s per base, with
0-100 ms of random latency before the server's rate check.

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
from tests.fakes.airtable_server import FakeAirtable

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
    assert (four_slashes.limit, four_slashes.window_seconds) == (5, 1.1)
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
