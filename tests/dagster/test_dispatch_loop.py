"""The queue loop as Dagster runs it on the embedded backend: dedupe, dispatch, the reference
worker, a poison message to the DLQ, the DLQ sensor, triage and redrive."""

import json
from collections import Counter

import dagster as dg

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.names import DLQ_INCIDENT_TAG, SALES_DLQ
from sensors.dlq_depth import build_dlq_depth_sensor
from tests.dagster.helpers import defs_for


def run(defs, name, instance, config=None, tags=None):
    return defs.resolve_job_def(name).execute_in_process(instance=instance, raise_on_error=False, run_config=config or {}, tags=tags)


def metadata(result):
    events = result.get_asset_materialization_events()
    if events:
        return {k: v.value for k, v in events[0].materialization.metadata.items()}
    return {k: v.value for e in result.all_events if e.is_successful_output for k, v in e.event_specific_data.metadata.items()}


def statuses(resources):
    return Counter(r["fields"].get("Status") for r in resources["ssot"].client().list_records(TASKS_TABLE))


def worker(defs, instance, visibility=0):
    return run(defs, "reference_worker", instance, {"ops": {"consume_queue": {"config": {"visibility_timeout": visibility}}}})


def test_the_local_loop_closes_and_a_poison_message_is_triaged(local_resources, instance):
    defs = defs_for(local_resources)
    refused = run(defs, "dispatch_sales_tasks", instance)
    assert not refused.success and "unique_composite_key has never been evaluated" in str(refused.all_events)
    assert run(defs, "nightly_dedupe", instance).success

    dispatched = run(defs, "dispatch_sales_tasks", instance)
    assert dispatched.success
    figures = metadata(dispatched)
    assert figures["dispatched"] > 0 and figures["held_for_approval"] > 0
    assert {f"intercepted_{r}" for r in ("playbook_incomplete", "do_not_contact", "cooldown", "daily_cap_reached")} <= set(figures)
    queued = statuses(local_resources)["queued"]
    assert local_resources["queue"].queue().depth().total == figures["dispatched"]

    local_resources["queue"].queue().send_batch([OutgoingMessage("poison", "poison", "{not json")])
    for _ in range(4):
        worker(defs, instance)
    after = statuses(local_resources)
    assert after["sent"] >= figures["dispatched"] and after["queued"] == queued - figures["dispatched"]
    assert local_resources["queue"].dead_letter().depth().total == 1

    sensor = build_dlq_depth_sensor(threshold=0, ui_url="http://ui")
    resources = {"queue": local_resources["queue"], "alerter": local_resources["alerter"]}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:  # the alerter nests resources
        first = sensor(context)
    assert [r.run_key for r in first.run_requests] and first.asset_events[0].asset_key == dg.AssetKey(SALES_DLQ)
    with dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor) as context:
        second = sensor(context)
    assert not second.run_requests and second.asset_events[0].metadata["depth"].value == 1
    channel = local_resources["alerter"].channel
    alerts = [json.loads(line) for line in open(f"{channel.data_dir}/alerts.jsonl").read().splitlines()]
    assert [a["route"] for a in alerts if a["kind"] == "dlq_incident"] == ["channel-no-pager"]

    incident = first.run_requests[0].tags[DLQ_INCIDENT_TAG]
    triage = run(defs, "dlq_triage", instance, tags={DLQ_INCIDENT_TAG: incident})
    assert triage.success and metadata(triage)["malformed"] == 1 and metadata(triage)["dry_run"] is True
    assert local_resources["queue"].dead_letter().depth().total == 1


def test_triage_marks_the_task_failed_and_a_redrive_puts_it_back(local_resources, instance):
    defs = defs_for(local_resources)
    assert run(defs, "nightly_dedupe", instance).success
    assert run(defs, "dispatch_sales_tasks", instance).success
    queue = local_resources["queue"].queue()
    first = queue.receive(1, visibility_timeout=0)[0]  # a worker that keeps failing on this task
    for _ in range(3):
        queue.receive(10, visibility_timeout=0)
    dlq = local_resources["queue"].dead_letter()
    assert dlq.depth().total >= 1
    key = json.loads(first.body)["key"]
    run(defs, "dlq_triage", instance)
    records = {r["fields"]["Key"]: r["fields"] for r in local_resources["ssot"].client().list_records(TASKS_TABLE) if r["fields"].get("Key")}
    assert records[key]["Status"] == "failed" and "dead-lettered" in records[key]["Last Error"]
    dead = dlq.depth().total
    redrive = run(defs, "dlq_triage", instance, {"ops": {"triage_dead_letters": {"config": {"redrive": True}}}})
    assert redrive.success and metadata(redrive)["redriven"] == dead
    assert dlq.depth().total == 0
    records = {r["fields"]["Key"]: r["fields"] for r in local_resources["ssot"].client().list_records(TASKS_TABLE) if r["fields"].get("Key")}
    assert records[key]["Status"] == "queued"


def test_dispatch_refuses_when_the_queue_changed_after_the_check_passed(local_resources, instance):
    defs = defs_for(local_resources)
    assert run(defs, "nightly_dedupe", instance).success
    instance.report_runless_asset_event(dg.AssetMaterialization("task_queue_sales"))
    refused = run(defs, "dispatch_sales_tasks", instance)
    assert not refused.success and "materialised after" in str(refused.all_events)


def test_with_a_clawbot_password_messages_are_signed_and_a_forged_one_reaches_the_dlq(local_resources, instance):
    from tests.fakes.secrets import FixedSecretsResource

    resources = {**local_resources, "secrets": FixedSecretsResource(values={"CLAWBOT_PASSWORD": "clawbot-pw-1"})}
    defs = defs_for(resources)
    assert run(defs, "nightly_dedupe", instance).success
    dispatched = metadata(run(defs, "dispatch_sales_tasks", instance))["dispatched"]
    queued = local_resources["queue"].queue().receive(1, visibility_timeout=0)[0]
    assert "signature" in json.loads(queued.body)
    forged = json.loads(queued.body)
    forged.pop("signature")
    local_resources["queue"].queue().send_batch([OutgoingMessage("forged", forged["key"].split("|")[0], json.dumps(forged))])
    for _ in range(4):
        worker(defs, instance)
    assert statuses(local_resources)["sent"] >= dispatched
    assert local_resources["queue"].dead_letter().depth().total == 1
