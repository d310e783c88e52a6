"""What tracing and metrics add to a playbook run (goal: under 5%).

Runs every demo playbook against the local Airtable server (pyairtable, limiter raised so the
network is not the bottleneck) with tracing off (no exporter), then on (every span exported
through a batch processor), plus the ops_metrics gathering; prints the medians.

Usage, from the project root: .venv/bin/python -m bench.observability_overhead [rounds]
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from clawbot_assets.adapters.crm_local import LocalCrm
from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from clawbot_assets.demo.data import hubspot_fixture, playbook_records
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.observability import tracing
from clawbot_assets.observability.gather import activity_points, intercepts_by_reason, sent_by_playbook
from clawbot_assets.services.playbook_run import PlaybookRefused, run_playbook
from tests.fakes.airtable_server import FakeAirtable

TOKEN, BASE = "patBENCH", "appBench"
TICK = dt.datetime(2026, 11, 25, 14, tzinfo=dt.timezone.utc)


def one_round(crm_path: Path, day: int) -> float:
    with FakeAirtable(token=TOKEN, rate_limit=100000) as server:
        server.seed(BASE, PLAYBOOKS_TABLE, playbook_records())
        ssot = AirtableSsot(TOKEN, BASE, endpoint_url=server.url, rate_limiter=rate_limiter_for("memory://?limit=100000&window=1", name="bench"))
        crm = LocalCrm(crm_path)
        started = time.perf_counter()
        for validation in validate_playbooks(playbook_records()):
            try:
                run_playbook(ssot, crm, validation.playbook.slug, TICK + dt.timedelta(days=day))
            except PlaybookRefused:
                pass
        activity_points(sent_by_playbook(ssot.list_records(TASKS_TABLE)), intercepts_by_reason([], 0), {}, 0)
        return time.perf_counter() - started


def main(rounds: int = 7) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        crm_path = Path(workdir) / "crm.json"
        import json

        crm_path.write_text(json.dumps(hubspot_fixture()))
        results = {}
        for label, exporter in (("tracing off", None), ("tracing on", InMemorySpanExporter())):
            tracing.configure(exporter, processor_factory=BatchSpanProcessor)
            one_round(crm_path, 0)
            results[label] = statistics.median(one_round(crm_path, day) for day in range(1, rounds + 1))
        tracing.configure()
    off, on = results["tracing off"], results["tracing on"]
    print(f"playbook runs of all 16 demo playbooks + the ops figures, median of {rounds}")
    print(f"  tracing off: {off * 1000:.1f} ms   tracing on (batch export): {on * 1000:.1f} ms")
    print(f"  overhead: {(on - off) / off * 100:+.1f}% (goal: under 5%)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
