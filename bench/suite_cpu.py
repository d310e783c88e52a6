"""Where the test suite's time goes: wall time, and the CPU each test used in its own process
and in the processes it started (CLIs, servers, workers), by folder.

    .venv/bin/python -m bench.suite_cpu [pytest arguments]

Runs the suite as ``scripts/test.sh`` does (three xdist workers, worksteal) with this module as
a pytest plugin, then prints the figures. The CPU floor is the suite's CPU divided by the
machine's cores: no scheduling of the same work finishes sooner.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

#: Where each xdist worker appends one line per test (set by ``main`` for the plugin).
RECORDS_DIR = "CLAWBOT_SUITE_CPU_DIR"
REPO = Path(__file__).resolve().parents[1]


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Setup, call and teardown of one test: wall, own CPU, and the CPU of the processes it
    started and waited for."""
    records = os.environ.get(RECORDS_DIR)
    started = (time.monotonic(), _cpu_seconds(resource.RUSAGE_SELF), _cpu_seconds(resource.RUSAGE_CHILDREN))
    yield
    if not records:
        return
    wall, own, children = (time.monotonic() - started[0], _cpu_seconds(resource.RUSAGE_SELF) - started[1],
                           _cpu_seconds(resource.RUSAGE_CHILDREN) - started[2])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(records) / f"{worker}.jsonl", "a") as out:
        out.write(json.dumps({"test": item.nodeid, "wall": wall, "own": own, "children": children}) + "\n")


def folder_of(nodeid: str) -> str:
    return "/".join(nodeid.split("::", 1)[0].split("/")[:2])


def report(rows: list[dict], wall: float, cpu: float, cores: int) -> str:
    lines = [f"{len(rows)} tests, {wall:.0f} s wall; CPU {cpu:.0f} s (all processes, collection included) "
             f"on {cores} cores: floor {cpu / cores:.0f} s",
             f"in tests: {sum(r['own'] for r in rows):.0f} s own CPU, {sum(r['children'] for r in rows):.0f} s "
             "in the processes they started", "", "| folder | tests | CPU s | of which started processes | wall s |",
             "|---|---|---|---|---|"]
    folders: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for row in rows:
        entry = folders[folder_of(row["test"])]
        entry[0] += 1
        entry[1] += row["own"] + row["children"]
        entry[2] += row["children"]
        entry[3] += row["wall"]
    for folder, (count, used, children, spent) in sorted(folders.items(), key=lambda item: -item[1][1]):
        lines.append(f"| {folder} | {count} | {used:.0f} | {children:.0f} | {spent:.0f} |")
    lines += ["", "ten slowest (wall s, CPU s):"]
    for row in sorted(rows, key=lambda r: -r["wall"])[:10]:
        lines.append(f"  {row['wall']:6.1f} {row['own'] + row['children']:6.1f}  {row['test']}")
    return "\n".join(lines)


def main(arguments: list[str]) -> int:
    with tempfile.TemporaryDirectory() as records:
        environment = {**os.environ, RECORDS_DIR: records, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-m", "pytest", "-n", os.environ.get("PYTEST_WORKERS", "3"), "--dist", "worksteal",
                   "-p", "bench.suite_cpu", *arguments]
        before, started = _cpu_seconds(resource.RUSAGE_CHILDREN), time.monotonic()
        code = subprocess.call(command, cwd=REPO, env=environment)
        wall, cpu = time.monotonic() - started, _cpu_seconds(resource.RUSAGE_CHILDREN) - before
        rows = [json.loads(line) for path in Path(records).glob("*.jsonl") for line in path.read_text().splitlines()]
    print(report(rows, wall, cpu, os.cpu_count() or 1))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
