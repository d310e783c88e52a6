"""Every log line of a run is one JSON object, with the run, the playbook and the task key
where they apply, through the handler the instance's dagster.yaml installs."""

import json
from pathlib import Path

import yaml

from clawbot_assets.names import SCHEDULED_FOR_TAG
from tests.dagster.helpers import TICK, defs_for, materialize_playbooks
from tests.instances import instance_for_test

LOCAL_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "dagster.local.yaml"


def test_a_playbook_run_logs_json_lines_with_run_playbook_and_task(local_resources, tmp_path, monkeypatch, capsys):
    config = yaml.safe_load(LOCAL_CONFIG.read_text())["python_logs"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".dagster_home").mkdir()
    with instance_for_test(overrides={"python_logs": config}) as instance:
        defs = defs_for(local_resources)
        materialize_playbooks(defs, instance)
        result = defs.resolve_job_def("playbook_run").execute_in_process(
            instance=instance, partition_key="warm_demo_follow_up", tags={SCHEDULED_FOR_TAG: TICK.isoformat()}
        )
    events = [json.loads(line) for line in (tmp_path / ".dagster_home" / "clawbot.jsonl").read_text().splitlines()]
    run = [event for event in events if event["run_id"] == result.run_id]
    assert run and {event["playbook"] for event in run} == {"warm_demo_follow_up"} and {event["job"] for event in run} == {"playbook_run"}
    assert {"STEP_SUCCESS", "ASSET_MATERIALIZATION"} <= {event["event"] for event in run}, "lines of events with metadata are kept"
    assert "Logging error" not in capsys.readouterr().err
    intercepted = [event for event in run if event["task_key"]]
    assert intercepted and all(event["task_key"].startswith("warm_demo_follow_up|") for event in intercepted)
    assert all("[task " not in event["message"] and {"time", "level"} <= set(event) for event in run)
