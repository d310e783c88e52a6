"""Drill for docs/runbooks/dlq_not_empty.md on the embedded queue: a task message dead-lettered
by a failing worker and a malformed one; the sensor opens the incident; the runbook's commands
triage, redrive and drop; the worker sends the task and the sensor closes the incident."""

import json

import dagster as dg

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.resources import local_resources
from sensors.dlq_depth import build_dlq_depth_sensor
from tests.dagster.helpers import defs_for

RUNBOOK = "dlq_not_empty"


def tasks_by_key(resources) -> dict[str, dict]:
    return {r["fields"]["Key"]: r["fields"] for r in resources["ssot"].client().list_records(TASKS_TABLE) if r["fields"].get("Key")}


def test_the_dlq_runbook_empties_the_dlq_and_the_task_is_sent(operator, caplog):
    resources = local_resources(str(operator.data))
    defs = defs_for(resources)
    sensor = build_dlq_depth_sensor(threshold=0, ui_url="http://ui")
    with operator.instance() as instance:
        for job in ("nightly_dedupe", "dispatch_sales_tasks"):
            assert defs.resolve_job_def(job).execute_in_process(instance=instance).success
        queue, dlq = resources["queue"].queue(), resources["queue"].dead_letter()
        poisoned = queue.receive(1, visibility_timeout=0)[0]  # a worker that keeps failing on this task
        for _ in range(3):
            queue.receive(1, visibility_timeout=0)
        key = json.loads(poisoned.body)["key"]
        dlq.send_batch([OutgoingMessage("poison", "poison", "{not json")])
        assert dlq.depth().total == 2

        sensor_resources = {"queue": resources["queue"], "alerter": resources["alerter"]}
        with dg.build_sensor_context(instance=instance, resources=sensor_resources) as context:  # the alerter nests resources
            opened = sensor(context)
        assert len(opened.run_requests) == 1
        alert = json.loads((operator.data / "alerts.jsonl").read_text().splitlines()[-1])
        assert alert["kind"] == "dlq_incident" and alert["title"].startswith("ClawBot DLQ incident dlq-1-")
        assert alert["route"] == "channel-no-pager" and alert["runbook"] == "docs/runbooks/dlq_not_empty.md"

    assert "DLQ depth 2: 2 visible, 0 in flight" in operator.run(RUNBOOK, "depth").stdout
    operator.run(RUNBOOK, "triage")
    assert tasks_by_key(resources)[key]["Status"] == "failed"
    assert key in operator.run(RUNBOOK, "failed-tasks").stdout
    assert dlq.depth().total == 2, "triage is a dry run"

    operator.run(RUNBOOK, "redrive")
    assert tasks_by_key(resources)[key]["Status"] == "queued"
    assert "DLQ depth 1:" in operator.run(RUNBOOK, "depth").stdout, "the malformed message stays"
    operator.run(RUNBOOK, "drop-malformed")
    assert "DLQ depth 0:" in operator.run(RUNBOOK, "depth").stdout

    with operator.instance() as instance:
        worker = defs.resolve_job_def("reference_worker")
        assert worker.execute_in_process(instance=instance, run_config={"ops": {"consume_queue": {"config": {"visibility_timeout": 0}}}}).success
        assert tasks_by_key(resources)[key]["Status"] == "sent"
        with caplog.at_level("INFO"):
            with dg.build_sensor_context(instance=instance, resources=sensor_resources, cursor=opened.cursor) as context:
                closed = sensor(context)
        assert not closed.run_requests and json.loads(closed.cursor)["open"] is None
        runs = [r for r in instance.get_runs() if r.job_name == "dlq_triage"]
    assert len(runs) == 3 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
