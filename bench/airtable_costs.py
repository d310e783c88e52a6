"""Airtable API cost and throughput, measured against the local Airtable HTTP server.

1. Requests to upsert n tasks, against the minimum ceil(n/10).
2. A dedupe at Airtable's real limit (5 requests/s per base, 30 s penalty): requests against
   ceil(read/100) + ceil(deleted/10) + ceil(updated/10), 429s provoked, and records written per
   second against the ceiling of 50 (5 requests/s x 10 records).
3. An incremental nightly run on a 100,000-record table with 1,000 new records.

Requests are counted by the server, not by the client.
"""

import datetime as dt
import math
import tempfile
import time
from pathlib import Path

from bench.synthetic import synthetic_tasks
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.adapters.rate_limit import DEFAULT_LIMIT, rate_limiter_for
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.domain.keys import compose_key
from tests.fakes.airtable_server import FakeAirtable
from tests.services.ledger import Ledger

BASE, TOKEN = "appBench", "patBenchToken"
WRITES = ("POST", "PATCH", "DELETE")


def client_for(server: FakeAirtable, workdir: Path, limit: int = DEFAULT_LIMIT) -> AirtableSsot:
    """A client paced by the SQLite limiter production uses on one host; ``limit`` per 1.1 s."""
    limiter = rate_limiter_for(f"sqlite:///{workdir.resolve() / 'rate_limit.sqlite'}", name=f"airtable:{BASE}", limit=limit)
    return AirtableSsot(
        TOKEN, BASE, endpoint_url=server.url, fallback_archive=LocalSsot(workdir / "archive.sqlite"), rate_limiter=limiter,
    )


def upsert_costs(workdir: Path) -> None:
    print("1. upsert of n tasks (real 5 requests/s limit)")
    for count in (10, 95, 1000):
        with FakeAirtable(token=TOKEN) as server:
            client = client_for(server, workdir / f"upsert{count}")
            rows = [{"Key": compose_key("Churn Rescue", str(1000 + i), "1", "2026-11-25"), "Deal ID": str(1000 + i)} for i in range(count)]
            started = time.perf_counter()
            client.upsert(TASKS_TABLE, rows)
            seconds = time.perf_counter() - started
            print(
                f"   n={count:>5}: {server.total_requests} requests, minimum ceil(n/10) = {math.ceil(count / 10)}; "
                f"{server.provoked_429s} 429s; {server.total_requests / seconds:.2f} requests/s"
            )


def dedupe_at_the_real_limit(workdir: Path, records: int = 2000) -> None:
    print(f"2. dedupe of {records:,} records at the real limit (5 requests/s, 30 s penalty)")
    with FakeAirtable(token=TOKEN) as server:
        server.seed(BASE, TASKS_TABLE, synthetic_tasks(records, duplicate_share=0.2))
        server.clear_log()
        client = client_for(server, workdir / "dedupe")
        started = time.perf_counter()
        report = Ledger(workdir / "dedupe" / "index.json.gz").run(client, run_id="bench")
        seconds = time.perf_counter() - started
        summary = report.plan.summary()
        minimum = math.ceil(report.records_read / 100) + math.ceil(summary["removed"] / 10) + math.ceil(summary["updated"] / 10)
        writes = [request for request in server.log if request.method in WRITES]
        written = summary["removed"] + summary["updated"]
        span = writes[-1].time - writes[0].time + 1 / 5
        print(f"   read {report.records_read:,}, deleted {summary['removed']:,}, updated {summary['updated']:,} in {seconds:.1f} s")
        print(f"   requests: {server.total_requests} against the minimum {minimum} ({(server.total_requests / minimum - 1) * 100:+.1f}%); 429s provoked: {server.provoked_429s}")
        print(f"   request rate: {server.total_requests / seconds:.2f}/s of the 5/s ceiling ({server.total_requests / seconds / 5:.0%})")
        print(f"   write throughput: {written / span:.1f} records/s of the 50/s ceiling ({written / span / 50:.0%})")
        print("   (the archive went to the local archive file; an Airtable archive table adds ceil(deleted/10) creates)")


def incremental_cost(workdir: Path, table: int = 100_000, new: int = 1_000) -> None:
    print(f"3. incremental nightly run: {table:,}-record table, {new:,} new records (10% of them duplicates)")
    with FakeAirtable(token=TOKEN, rate_limit=100_000) as server:
        clean = synthetic_tasks(table, duplicate_share=0.0, start=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
        for record in clean:
            fields = record["fields"]
            fields["Key"] = compose_key(fields["Playbook"], fields["Deal ID"], fields["Step"], fields["Due Date"])
        server.seed(BASE, TASKS_TABLE, clean)
        client = client_for(server, workdir / "incremental", limit=10_000)
        state = Ledger(workdir / "incremental" / "index.json.gz")
        full = state.run(client, run_id="full", now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))
        print(f"   full pass first (builds the key index): {full.api_requests} requests for {full.records_read:,} records")
        duplicates = [dict(record["fields"], Status="pending") for record in clean[: new // 10]]
        fresh = [record["fields"] for record in synthetic_tasks(new - len(duplicates), duplicate_share=0.0, seed=9, start=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))]
        for fields in duplicates:
            fields.pop("Key")
        server.seed(BASE, TASKS_TABLE, duplicates + fresh)
        server.clear_log()
        report = state.run(client, run_id="nightly", overlap=dt.timedelta(minutes=1))
        by_kind = {"list": 0, "lookup": 0, "write": 0}
        for request in server.log:
            if request.method in WRITES and not request.path.endswith("listRecords"):
                by_kind["write"] += 1
            elif "{Key}" in str(request.query) + str(request.body):
                by_kind["lookup"] += 1
            else:
                by_kind["list"] += 1
        print(
            f"   mode {report.mode}: read {report.records_read:,} records with {by_kind['list']} list requests, "
            f"{by_kind['lookup']} key lookups, {by_kind['write']} writes; {report.plan.duplicate_groups} duplicate groups removed"
        )
        print(f"   a full pass would list {math.ceil((table + new) / 100):,} pages")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        upsert_costs(workdir)
        dedupe_at_the_real_limit(workdir)
        incremental_cost(workdir)


if __name__ == "__main__":
    main()
