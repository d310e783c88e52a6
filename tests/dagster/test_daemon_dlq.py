"""The real dagster-daemon ticks dlq_depth_sensor and launches dlq_triage for a poison message."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.resources.queue import LocalQueueResource

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 55


def test_the_daemon_sees_the_dlq_and_launches_triage(tmp_path, monkeypatch):
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (tmp_path / "workspace.yaml").write_text(
        "load_from:\n  - python_module:\n      module_name: clawbot_assets.definitions\n      attribute: defs\n"
        f"      location_name: clawbot\n      working_directory: {ROOT}\n"
    )
    LocalQueueResource(data_dir=str(data)).dead_letter().send_batch([OutgoingMessage("poison", "poison", "{not json")])
    env = {**os.environ, "DAGSTER_HOME": str(home), "CLAWBOT_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    daemon = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", str(tmp_path / "workspace.yaml")],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        triage_runs = []
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.get() as instance:
            started = time.monotonic()
            while time.monotonic() - started < DEADLINE_SECONDS and not triage_runs:
                time.sleep(1)
                triage_runs = [r for r in instance.get_runs() if r.job_name == "dlq_triage"]
            assert triage_runs, "no dlq_triage run launched within the deadline"
            assert triage_runs[0].tags.get("clawbot/dlq_incident", "").startswith("dlq-1-")
            observed = instance.fetch_observations(dg.AssetKey("sales_dlq"), limit=1).records
            assert observed and observed[0].asset_observation.metadata["depth"].value == 1
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=5)
    assert (data / "alerts.jsonl").read_text().count("dlq_incident") == 1
