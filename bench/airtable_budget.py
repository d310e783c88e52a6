"""A production day's Airtable requests, per job per hour, at 10,000, 100,000 and 500,000 records.

Against the local Airtable server (requests counted by the server), with the real code of every
recurring job on one weekday (a Tuesday):
- the 16 demo playbooks, all Enabled and owned by Dagster, on their own crons and timezones
  (the two broken COLD ones are refused after reading Playbooks), each run finding 50 deals in its HubSpot stage (a stub CRM: HubSpot requests are not
  Airtable's budget);
- ``sales_dispatch`` every 10 minutes, the reference worker every minute;
- ``ssot_audit`` (15 past each hour) and ``playbooks_refresh`` with its checks (5 past), which
  read the Playbooks table;
- ``playbooks_change_sensor`` every 120 s; ``ops_metrics`` every 5 minutes;
- the nightly dedupe at 02:30 (incremental, after a full pass that built its key index), and
  its verification check.

Each job's cost per run is measured once against the table (an idle run, and a run with work
where that differs) and multiplied by its firings in each UTC hour. Running 24 real hours is
not possible here, so the day is composed from measured runs, not replayed. The dispatch's and
the worker's writes follow the tasks each playbook run creates (manual-approval tasks are held,
as nobody approves them in the simulation).

The nightly dedupe's window is its requests at the rate the limiter allows,
5/(1 + round trip), for an assumed 250 ms round trip to Airtable (4 requests/s).

Usage, from the project root: .venv/bin/python -m bench.airtable_budget [sizes...]
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from croniter import croniter

from clawbot_assets.adapters.crm import Deal
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.checks.queue_checks import verification_records
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.airtable_budget import HOURLY_BUDGET
from clawbot_assets.domain.keys import compose_key
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.ssot_query import ChangedSince, all_of, field_in
from clawbot_assets.services.dispatch import run_dispatch
from clawbot_assets.services.playbook_run import PlaybookRefused, run_playbook
from clawbot_assets.services.worker import run_worker
from tests.fakes.airtable_server import FakeAirtable
from tests.services.ledger import Ledger

BASE, TOKEN = "appBudgetBench", "patBudgetBench"
DAY = dt.date(2026, 12, 8)  # a Tuesday
DEALS_PER_RUN = 50
ROUND_TRIP_SECONDS = 0.25
SETTLED = ("sent", "sent", "sent", "queued", "intercepted", "cancelled", "failed")
NIGHTLY = "nightly_dedupe"
#: The ClawBot password of the simulated production: the dispatch signs, the worker checks (issue 15).
PASSWORD = "bench-clawbot-password"


class StageCrm:
    """Fresh deals in every stage on every run, so each playbook run creates its tasks."""

    requests_made = 0

    def __init__(self) -> None:
        self.calls = 0

    def deals_in_stage(self, pipeline_id: str, stage_id: str) -> list[Deal]:
        self.calls += 1
        return [Deal(f"d{self.calls}x{index}", "", pipeline_id, stage_id, False) for index in range(DEALS_PER_RUN)]

    def deal_pipelines(self):
        return []


def bench_playbooks() -> list[dict]:
    """The demo's 16 playbooks after the cut-over: every one Enabled and Dagster's."""
    records = playbook_records()
    for record in records:
        record["fields"].update(Enabled=True, Scheduler="dagster")
    return records


def settled_tasks(count: int, slugs: list[str], seed: int = 17) -> list[dict]:
    chooser = random.Random(seed)
    records = []
    for index in range(count):
        # Settled before the real clock's yesterday: the jobs run now, so a history dated after
        # it would count as dispatched today and fill the playbooks' daily caps.
        due = min(DAY, dt.date.today()) - dt.timedelta(days=chooser.randrange(2, 366))
        status = chooser.choice(SETTLED)
        slug = chooser.choice(slugs)
        fields = {"Key": compose_key(slug, f"h{index}", "1", due.isoformat()), "Playbook": slug, "Deal ID": f"h{index}",
                  "Step": "1", "Due Date": due.isoformat(), "Status": status, "Source": "dagster"}
        if status in ("sent", "queued"):
            fields["Queued At"] = dt.datetime.combine(due, dt.time(9), dt.timezone.utc).isoformat(timespec="seconds")
        created = dt.datetime.combine(due, dt.time(8), dt.timezone.utc).isoformat()
        records.append({"fields": fields, "createdTime": created, "lastModifiedTime": created})
    return records


def firings_by_utc_hour(cron: str, zone: str) -> Counter[int]:
    """The UTC hours of DAY in which ``cron`` (in ``zone``) fires, with their counts."""
    start = dt.datetime.combine(DAY, dt.time(0), dt.timezone.utc)
    iterator = croniter(cron, start.astimezone(ZoneInfo(zone)) - dt.timedelta(microseconds=1))
    hours: Counter[int] = Counter()
    while (moment := iterator.get_next(dt.datetime).astimezone(dt.timezone.utc)) < start + dt.timedelta(days=1):
        hours[moment.hour] += 1
    return hours


def run_or_refuse(ssot, crm, slug: str, scheduled: dt.datetime) -> int:
    """Tasks created; the two broken COLD playbooks are refused after reading the Playbooks
    table, as in production."""
    try:
        return run_playbook(ssot, crm, slug, scheduled).created
    except PlaybookRefused:
        return 0


class Meter:
    def __init__(self, server: FakeAirtable) -> None:
        self.server = server

    def cost(self, action) -> tuple[int, object]:
        before = self.server.total_requests
        result = action()
        return self.server.total_requests - before, result


def simulate(size: int, workdir: Path) -> dict:
    playbooks = bench_playbooks()
    validations = [v for v in validate_playbooks(playbooks) if v.playbook is not None]
    slugs = [v.playbook.slug for v in validations]
    started = time.perf_counter()
    with FakeAirtable(token=TOKEN, rate_limit=10**9) as server:
        server.seed(BASE, PLAYBOOKS_TABLE, playbooks)
        server.seed(BASE, TASKS_TABLE, settled_tasks(size, slugs))
        limiter = rate_limiter_for("memory://?limit=100000&window=1", name=f"airtable:{BASE}:{size}")
        ssot = AirtableSsot(TOKEN, BASE, endpoint_url=server.url, rate_limiter=limiter,
                            fallback_archive=LocalSsot(workdir / "archive.sqlite"))
        meter, ledger = Meter(server), Ledger(workdir / "index.json.gz")
        full_requests, _ = meter.cost(lambda: ledger.run(ssot, run_id="first-full", now=dt.datetime.now(dt.timezone.utc)))
        queue = LocalQueue(workdir / "queue.sqlite", "tasks")
        crm = StageCrm()
        per_run: dict[str, float] = {}
        server.clear_log()
        hourly: dict[str, Counter[int]] = defaultdict(Counter)

        idle_dispatch, _ = meter.cost(lambda: run_dispatch(ssot, crm, queue, now=dt.datetime.now(dt.timezone.utc), signing_key=PASSWORD))
        per_run["sales_dispatch (idle)"] = idle_dispatch
        per_run["reference_worker (idle)"] = 0  # an empty queue: no Airtable request
        for name, read in (("ssot_audit_refresh", lambda: ssot.list_records(PLAYBOOKS_TABLE)),
                           ("playbooks_refresh", lambda: (ssot.list_records(PLAYBOOKS_TABLE), ssot.list_records(PLAYBOOKS_TABLE))),
                           ("playbooks_change_sensor", lambda: ssot.list_records(PLAYBOOKS_TABLE, changed_since=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=4))),
                           ("publish_ops_metrics", lambda: ssot.select(TASKS_TABLE, all_of(ChangedSince(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)), field_in("Status", ["sent"])), ["Status", "Playbook"]))):
            per_run[name], _ = meter.cost(read)
        for hour in range(24):
            hourly["ssot_audit_refresh"][hour] += per_run["ssot_audit_refresh"]
            hourly["playbooks_refresh"][hour] += per_run["playbooks_refresh"]
            hourly["playbooks_change_sensor"][hour] += 30 * per_run["playbooks_change_sensor"]

        created_today = 0
        sent_by_hour: Counter[int] = Counter()
        # The day's playbook runs, each followed by the dispatch and the worker that move its tasks.
        for validation in validations:
            playbook = validation.playbook
            for hour, count in firings_by_utc_hour(playbook.cron, playbook.timezone).items():
                for _ in range(count):
                    scheduled = dt.datetime.combine(DAY, dt.time(hour), dt.timezone.utc)
                    run_cost, created = meter.cost(lambda: run_or_refuse(ssot, crm, playbook.slug, scheduled))
                    created_today += created
                    hourly["playbook_run"][hour] += run_cost
                    dispatch_cost, report = meter.cost(lambda: run_dispatch(ssot, crm, queue, now=dt.datetime.now(dt.timezone.utc), signing_key=PASSWORD))
                    hourly["dispatch_sales_tasks"][hour] += dispatch_cost - idle_dispatch
                    worker_cost, worked = meter.cost(lambda: run_worker(ssot, queue, lambda task: None, max_messages=10_000, signing_key=PASSWORD))
                    hourly["reference_worker"][hour] += worker_cost
                    sent_by_hour[hour] += len(worked.sent)
                    per_run[f"playbook_run {playbook.slug}"] = run_cost
        # An idle dispatch at the end of the day still reads the held manual-approval tasks and
        # their deals' history: that cost, the higher, is charged to every run of the day.
        held_dispatch, _ = meter.cost(lambda: run_dispatch(ssot, crm, queue, now=dt.datetime.now(dt.timezone.utc), signing_key=PASSWORD))
        per_run["sales_dispatch (idle, held manual tasks)"] = held_dispatch
        for hour in range(24):
            hourly["dispatch_sales_tasks"][hour] += 6 * max(idle_dispatch, held_dispatch)
        # ops_metrics reads the last hour's sent tasks, a page per 100 (at least one): the day is
        # compressed here, so each hour's read is derived from the sends counted in that hour.
        for hour in range(24):
            pages = max(per_run["publish_ops_metrics"], math.ceil(max(sent_by_hour[hour], sent_by_hour[(hour - 1) % 24]) / 100))
            hourly["publish_ops_metrics"][hour] += 12 * pages

        dedupe_cost, report = meter.cost(lambda: ledger.run(ssot, run_id="nightly", overlap=dt.timedelta(minutes=1)))
        metadata = {"mode": report.mode, "audited_from": report.run.audited_from.isoformat() if report.run.audited_from else None}
        check_cost, _ = meter.cost(lambda: verification_records(ssot, metadata))
        hourly[NIGHTLY][2] += dedupe_cost + check_cost
        per_run["nightly_dedupe (incremental) + check"] = dedupe_cost + check_cost
    return {"size": size, "hourly": hourly, "per_run": per_run, "full_pass": full_requests, "dedupe_mode": report.mode,
            "seconds": time.perf_counter() - started, "created": created_today}


def report(result: dict) -> dict:
    hourly = result["hourly"]
    totals = {hour: sum(jobs[hour] for jobs in hourly.values()) for hour in range(24)}
    steady = {hour: sum(jobs[hour] for job, jobs in hourly.items() if job != NIGHTLY) for hour in range(24)}
    busiest = max(steady, key=lambda hour: steady[hour])
    quiet = min(steady.values())
    dedupe = hourly[NIGHTLY][2]
    window_minutes = dedupe / (5 / (1 + ROUND_TRIP_SECONDS)) / 60
    print(f"\n{result['size']:,} records ({result['seconds']:.0f} s to simulate; first full dedupe pass "
          f"{result['full_pass']:,} requests; {result['created']:,} tasks created in the day)")
    print("  requests per job per UTC hour (hours 00-23):")
    for job in sorted(hourly):
        row = " ".join(f"{int(hourly[job][hour]):>4}" for hour in range(24))
        print(f"   {job:<24} {row}   day {int(sum(hourly[job].values())):>6}")
    print(f"   {'total':<24} " + " ".join(f"{int(totals[hour]):>4}" for hour in range(24)) + f"   day {int(sum(totals.values())):>6}")
    print(f"  steady state (without the nightly dedupe): busiest hour {busiest:02d}:00 UTC {int(steady[busiest])} requests = "
          f"{steady[busiest] / HOURLY_BUDGET:.2%} of {HOURLY_BUDGET:,}; quietest hour {int(quiet)} = {quiet / HOURLY_BUDGET:.2%}")
    print(f"  nightly dedupe ({result['dedupe_mode']}) + its check: {int(dedupe)} requests, a window of {window_minutes:.1f} min "
          f"at 5/(1 + {ROUND_TRIP_SECONDS} s) requests/s")
    print("  cost per run: " + "; ".join(f"{name} {value:g}" for name, value in sorted(result["per_run"].items()) if not name.startswith("playbook_run ")))
    runs = [value for name, value in result["per_run"].items() if name.startswith("playbook_run ")]
    print(f"  playbook run: {min(runs):g}-{max(runs):g} requests each ({DEALS_PER_RUN} deals: ceil(50/100) lookup + ceil(new/10) upserts + 1 Playbooks read)")
    return {"busiest": steady[busiest], "share": steady[busiest] / HOURLY_BUDGET, "dedupe": dedupe, "window": window_minutes}


def main(sizes: list[int]) -> None:
    print(f"Airtable budget of a production day ({DAY.isoformat()}, a Tuesday), real job code against the local Airtable server")
    summary = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as directory:
            summary[size] = report(simulate(size, Path(directory)))
    print("\nsummary: records -> steady-state busiest hour (share of 18,000) | nightly dedupe requests, window")
    for size, figures in summary.items():
        print(f"  {size:>9,} -> {int(figures['busiest']):>5} ({figures['share']:.2%}) | {int(figures['dedupe']):>5}, {figures['window']:.1f} min")
    if len(summary) > 1:
        first, last = summary[sizes[0]], summary[sizes[-1]]
        print(f"  steady state from {sizes[0]:,} to {sizes[-1]:,} records: {last['busiest'] / max(first['busiest'], 1):.2f}x")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000, 500_000])
