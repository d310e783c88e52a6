"""What shadow mode costs: the hourly comparison of settled shadow ticks with n8n's writes.

1. Airtable requests of one ``cutover_readiness`` comparison, counted by the local Airtable
   server at the real limit (5 requests/s, 30 s penalty): 16 playbooks in shadow, one daily
   tick each, n8n having written 200 tasks per playbook (every third task twice), on a table
   with 20,000 older records. Minimum: ceil(records changed since a day before the oldest tick
   / 100) + 1 (the Playbooks table, read to know who is in shadow).
2. Compute of ``diff_shadow`` at scale: 16 plans of 2,000 tasks against 100,000 records changed
   since the ticks, in a fresh process for its peak memory.

Usage: .venv/bin/python -m bench.shadow_diff
"""

import datetime as dt
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.airtable_costs import BASE, TOKEN, client_for
from bench.synthetic import synthetic_tasks
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.keys import compose_key
from clawbot_assets.domain.shadow import READ_BACK, SETTLE, ShadowHistory, ShadowPlan, diff_shadows
from clawbot_assets.services.cutover import compare_settled_plans, playbooks_in_shadow
from tests.fakes.airtable_server import FakeAirtable

TICK = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.timezone.utc)
NOW = TICK + SETTLE + dt.timedelta(minutes=50)
PLAYBOOKS = [f"Shadow Playbook {n:02d}" for n in range(16)]


def n8n_writes(per_playbook: int) -> tuple[list[dict], dict[str, ShadowPlan]]:
    """n8n's tasks for one tick of every playbook (padded names, US dates, some fired twice),
    and Dagster's matching plans."""
    records, plans = [], {}
    for name in PLAYBOOKS:
        keys = {}
        for deal in range(per_playbook):
            fields = {"Playbook": f" {name} ", "Deal ID": str(9_000_000 + deal), "Step": "1", "Due Date": "11/25/2026", "Source": "n8n", "Status": "pending"}
            copies = 2 if deal % 3 == 0 else 1
            records += [{"id": f"rec{len(records) + c:012d}", "createdTime": TICK.isoformat(), "fields": fields} for c in range(copies)]
            keys[compose_key(name, str(9_000_000 + deal), "1", TICK.date())] = "pending"
        slug = next(iter(keys)).split("|")[0]
        plans[slug] = ShadowPlan(slug, TICK, TICK.date(), keys)
    return records, plans


def shadow_playbook_rows() -> list[dict]:
    template = playbook_records()[9]  # a daily playbook with a valid trigger
    return [{**template, "id": f"recShadow{n:05d}", "fields": {**template["fields"], "Name": name, "Scheduler": "shadow"}} for n, name in enumerate(PLAYBOOKS)]


def requests_of_one_comparison(workdir: Path) -> None:
    print("1. one cutover_readiness comparison, 16 playbooks in shadow (real 5 requests/s limit)")
    records, plans = n8n_writes(200)
    table = synthetic_tasks(20_000) + records
    since = TICK - READ_BACK
    changed = sum(1 for record in table if dt.datetime.fromisoformat(record["createdTime"].replace("Z", "+00:00")) >= since)
    with FakeAirtable(token=TOKEN) as server:
        server.seed(BASE, PLAYBOOKS_TABLE, shadow_playbook_rows())
        server.seed(BASE, TASKS_TABLE, table)
        server.clear_log()
        client = client_for(server, workdir)
        history = ShadowHistory(plans={(slug, plan.tick): plan for slug, plan in plans.items()})
        started = time.perf_counter()
        diffs = compare_settled_plans(history, client, NOW)
        shadow = playbooks_in_shadow(client)
        seconds = time.perf_counter() - started
    minimum = math.ceil(changed / 100) + 1
    print(
        f"   {len(diffs)} diffs ({sum(d.empty for d in diffs)} empty, {sum(len(d.n8n_duplicates) for d in diffs)} keys n8n wrote twice), "
        f"{len(shadow)} playbooks in shadow; {changed:,} records changed since a day before the tick; {server.total_requests} requests against the minimum {minimum}; "
        f"{server.provoked_429s} 429s; {seconds:.1f} s, {server.total_requests / seconds:.2f} requests/s of the 5/s ceiling"
    )


def measure_compute() -> dict:
    records, plans = n8n_writes(2_000)
    records += synthetic_tasks(100_000 - len(records))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    diffs = diff_shadows(plans.values(), records)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"records": len(records), "plans": len(diffs), "empty": sum(d.empty for d in diffs), "seconds": round(seconds, 2),
            "data_rss_mib": round(baseline / 1024), "peak_rss_mib": round(peak / 1024)}


def compute_at_scale() -> None:
    print("2. diff_shadow compute: 16 plans of 2,000 tasks against 100,000 changed records (fresh process)")
    output = subprocess.run([sys.executable, "-m", "bench.shadow_diff", "--compute"], capture_output=True, text=True, check=True)
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    print(
        f"   {figures['plans']} diffs ({figures['empty']} empty) over {figures['records']:,} records in {figures['seconds']} s; "
        f"peak RSS {figures['peak_rss_mib']} MiB ({figures['data_rss_mib']} MiB holding the records)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        requests_of_one_comparison(Path(workdir))
    compute_at_scale()


if __name__ == "__main__":
    if sys.argv[1:] == ["--compute"]:
        print(json.dumps(measure_compute()))
    else:
        main()
