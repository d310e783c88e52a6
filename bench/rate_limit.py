"""Throughput of the shared rate limiter, and its 429s, under harsh latency.

The local Airtable server allows 5 requests per sliding 1 s per base, answers 429 with a 30 s
penalty beyond it, and holds each request 0-300 ms on its way in (before the rate check) and
0-300 ms on its way out; each client also stalls 0-150 ms after taking its slot and after its
answer (a loaded host). The real ``AirtableSsot.upsert`` writes 10 records a request.

The limiter holds a request's slot from its send until 1 s after its response, so its ceiling
is 5/(1 + round trip) requests/s, the round trip measured here as the time each request held
its slot before its window. Reported: requests/s at the server against that ceiling and
against 5/s, and the 429s the server counted, for one, two and four processes on one base,
with the SQLite store (processes of one host) and the Postgres store (containers), when a URL
is given (``--postgres-url`` or ``CLAWBOT_BENCH_POSTGRES_URL``) or a throwaway cluster can be
started.

Usage, from the project root: .venv/bin/python -m bench.rate_limit [--requests 40] [--runs 1]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from tests.fakes.airtable_server import FakeAirtable, stall_client

BASE, TOKEN, TABLE = "appBenchLimit", "patBenchToken", "Tasks"
LATENCY = (0.0, 0.3)
CLIENT_STALLS = (0.0, 0.15)
LIMIT = 5


def _rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{"Key": f"{prefix}-{index:05d}", "Status": "open"} for index in range(count)]


def _upsert(url: str, name: str, endpoint: str, prefix: str, requests: int, barrier: Any, results: Any) -> None:
    limiter = rate_limiter_for(url, name=name)
    ssot = AirtableSsot(TOKEN, BASE, endpoint_url=endpoint, rate_limiter=limiter)
    stall_client(ssot.session, CLIENT_STALLS)
    held: list[float] = []
    turn = limiter.turn

    @contextlib.contextmanager
    def timed_turn(job: str | None = None) -> Iterator[float]:
        with turn(job) as waited:
            started = time.monotonic()
            try:
                yield waited
            finally:
                held.append(time.monotonic() - started)

    limiter.turn = timed_turn  # type: ignore[method-assign]
    barrier.wait()
    ssot.upsert(TABLE, _rows(10 * requests, prefix))
    results.put(held)


def run(url: str, processes: int, requests: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    name = f"airtable:{BASE}:{uuid.uuid4().hex[:8]}"
    with FakeAirtable(token=TOKEN, latency=LATENCY, response_latency=LATENCY) as server:
        workers = [
            context.Process(target=_upsert, args=(url, name, server.url, f"p{index}", requests, barrier, results))
            for index in range(processes)
        ]
        for worker in workers:
            worker.start()
        held = [seconds for _ in workers for seconds in results.get(timeout=900)]
        for worker in workers:
            worker.join()
        arrivals = sorted(entry.time for entry in server.log)
        rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        round_trip = statistics.mean(held)
        ceiling = LIMIT / (1 + round_trip)
        print(
            f"   {processes} process{'es' if processes > 1 else '  '}: {server.total_requests} requests, "
            f"{server.provoked_429s} 429s; {rate:.2f} requests/s at the server = {rate / ceiling:.0%} of "
            f"5/(1 + {round_trip * 1000:.0f} ms round trip) = {ceiling:.2f}, {rate / LIMIT:.0%} of 5/s",
            flush=True,
        )
        return {"rate": rate, "ceiling": ceiling, "429s": server.provoked_429s}


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str | None]:
    if url:
        yield url
        return
    from tests.fakes.postgres import PostgresUnavailable, throwaway_postgres

    try:
        with throwaway_postgres() as started:
            yield started
    except PostgresUnavailable as error:
        print(f"   (no Postgres: {error})")
        yield None


def main(requests: int = 40, runs: int = 1, postgres_url: str | None = None) -> None:
    print(
        f"rate limiter: {requests} requests per process, 5 per sliding 1 s at the server, 30 s penalty, "
        f"0-300 ms latency each way, 0-150 ms client stalls each way"
    )
    with tempfile.TemporaryDirectory() as directory, postgres(postgres_url or os.environ.get("CLAWBOT_BENCH_POSTGRES_URL")) as pg_url:
        stores = {"SQLite": f"sqlite:///{Path(directory) / 'rate_limit.sqlite'}", "Postgres": pg_url}
        for store, url in stores.items():
            if url is None:
                continue
            print(f" {store} store")
            for _ in range(runs):
                for processes in (1, 2, 4):
                    run(url, processes, requests)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--postgres-url")
    arguments = parser.parse_args()
    main(arguments.requests, arguments.runs, arguments.postgres_url)
