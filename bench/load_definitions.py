"""Time to load the code location beyond ``import dagster``, with 16 and 1,000 playbooks.

The snapshot the schedules are built from is swapped for a synthetic one for the measurement
and put back afterwards. Each load runs in a fresh process.
"""

import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from dagster.components.utils.project_paths import get_local_state_path

from clawbot_assets.demo.data import playbook_records
from schedules.snapshot_component import SNAPSHOT_KEY, write_snapshot

PROJECT = Path(__file__).resolve().parents[1]
_PROBE = """
import time, dagster
started = time.perf_counter()
from clawbot_assets.definitions import defs
repository = defs().get_repository_def()
print(time.perf_counter() - started, len(repository.schedule_defs))
"""


def synthetic_playbooks(count: int) -> list[dict]:
    template = playbook_records()[3]["fields"]
    return [
        {"id": f"recSynthetic{index:05d}", "fields": {**template, "Name": f"Playbook {index:04d}", "Cron": f"{index % 60} {index % 24} * * *"}}
        for index in range(count)
    ]


def load_seconds(records: list[dict], repeats: int = 5) -> tuple[float, int]:
    state = get_local_state_path(SNAPSHOT_KEY, PROJECT)
    backup = state.with_suffix(".bench-backup")
    if state.exists():
        shutil.copy2(state, backup)
    try:
        write_snapshot(state, records, "bench")
        runs = []
        for _ in range(repeats):
            output = subprocess.run([sys.executable, "-c", _PROBE], cwd=PROJECT, check=True, capture_output=True, text=True).stdout
            seconds, schedules = output.split()[-2:]
            runs.append(float(seconds))
        return statistics.median(runs), int(schedules)
    finally:
        if backup.exists():
            shutil.move(backup, state)
        else:
            state.unlink(missing_ok=True)


def main() -> None:
    print("loading the definitions, beyond `import dagster` (median of 5 fresh processes)")
    results = {}
    for count, records in ((16, playbook_records()), (1000, synthetic_playbooks(1000))):
        seconds, schedules = load_seconds(records)
        results[count] = seconds
        print(f"  {count:>5} playbooks: {seconds:.3f} s, {schedules} schedules")
    per_playbook = (results[1000] - results[16]) / (1000 - 16)
    print(f"  growth: {per_playbook * 1000:.2f} ms per extra playbook")


if __name__ == "__main__":
    main()
