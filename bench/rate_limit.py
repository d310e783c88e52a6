"""Write throughput through the shared rate limiter at Airtable's real limit.

The local Airtable server allows 5 requests per sliding 1 s per base, answers 429 with a 30 s
penalty beyond it, and holds each request 0-100 ms on its way in (before the rate check) and
0-100 ms on its way out. The real ``AirtableSsot.upsert`` writes 10 records a request, so the
ceiling is 50 records/s. Measured:

- one process upserting n records, three runs;
- two processes upserting n/2 records each into one base at once, three runs;

for the SQLite bucket, and the Postgres bucket when a URL is given (``--postgres-url`` or
``CLAWBOT_BENCH_POSTGRES_URL``) or a throwaway cluster can be started. Requests and 429s are
counted by the server.

Usage, from the project root: .venv/bin/python -m bench.rate_limit [--records 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from tests.fakes.airtable_server import FakeAirtable

BASE, TOKEN, TABLE = "appBenchLimit", "patBenchToken", "Tasks"
LATENCY = (0.0, 0.1)
CEILING = 50.0


def _rows(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{"Key": f"{prefix}-{index:05d}", "Status": "open"} for index in range(count)]


def _upsert(url: str, name: str, endpoint: str, prefix: str, count: int, barrier: Any = None, results: Any = None) -> tuple[float, float]:
    ssot = AirtableSsot(TOKEN, BASE, endpoint_url=endpoint, rate_limiter=rate_limiter_for(url, name=name))
    if barrier is not None:
        barrier.wait()
    started = time.time()
    ssot.upsert(TABLE, _rows(count, prefix))
    span = (started, time.time())
    if results is not None:
        results.put(span)
    return span


def _report(label: str, server: FakeAirtable, records: int, spans: list[tuple[float, float]]) -> float:
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    throughput = records / seconds
    arrivals = sorted(entry.time for entry in server.log)
    sustained = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    print(
        f"   {label}: {throughput:5.1f} records/s ({throughput / CEILING:.1%} of {CEILING:.0f}); "
        f"{server.total_requests} requests, minimum ceil(n/10) = {math.ceil(records / 10)}; "
        f"{server.provoked_429s} 429s; {seconds:.1f} s; {sustained:.2f} requests/s at the server",
        flush=True,
    )
    return throughput


def one_process(url: str, records: int) -> float:
    with FakeAirtable(token=TOKEN, latency=LATENCY, response_latency=LATENCY) as server:
        span = _upsert(url, f"airtable:{BASE}:{uuid.uuid4().hex[:8]}", server.url, "one", records)
        return _report("one process  ", server, records, [span])


def two_processes(url: str, records: int) -> float:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    name = f"airtable:{BASE}:{uuid.uuid4().hex[:8]}"
    with FakeAirtable(token=TOKEN, latency=LATENCY, response_latency=LATENCY) as server:
        workers = [
            context.Process(target=_upsert, args=(url, name, server.url, prefix, records // 2, barrier, results))
            for prefix in ("left", "right")
        ]
        for worker in workers:
            worker.start()
        spans = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join()
        return _report("two processes", server, records // 2 * 2, spans)


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


def main(records: int = 1000, runs: int = 3, postgres_url: str | None = None) -> None:
    print(f"rate limiter: {records:,} records, {runs} runs, 5 requests/1 s sliding window, 30 s penalty, 0-100 ms latency each way")
    with tempfile.TemporaryDirectory() as directory, postgres(postgres_url or os.environ.get("CLAWBOT_BENCH_POSTGRES_URL")) as pg_url:
        stores = {"SQLite": f"sqlite:///{Path(directory) / 'rate_limit.sqlite'}", "Postgres": pg_url}
        for store, url in stores.items():
            if url is None:
                continue
            print(f" {store} bucket")
            for _ in range(runs):
                one_process(url, records)
            for _ in range(runs):
                two_processes(url, records)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url")
    arguments = parser.parse_args()
    main(arguments.records, arguments.runs, arguments.postgres_url)
