"""The scenarios: what each seeds, and what the contract says must be true after the worker ran.

Each one returns the reasons it failed (empty when the worker honoured the contract)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable

from clawbot_assets.domain.queue_message import TaskMessage, task_message
from clawbot_assets.domain.task_lifecycle import SENT_AT_FIELD, Status
from clawbot_assets.worker_conformance.environment import KIT_PASSWORD, ScenarioEnvironment

#: Worker runs per scenario: MAX_RECEIVE_COUNT receives, then one whose receive moves a left message to the DLQ.
ROUNDS = 4
SLUG = "conformance"


def _task_with_message(env: ScenarioEnvironment, deal_id: str, status: str = Status.QUEUED, **fields: str) -> TaskMessage:
    """A task in the table and the message dispatch would send for it (not sent yet)."""
    key = f"{SLUG}|{deal_id}|1|2026-11-25"
    record_id = env.add_task(key, status, **fields)
    return task_message(key, record_id, "Conformance", deal_id, "1", "2026-11-25", "email",
                        dt.datetime(2026, 11, 25, 14, tzinfo=dt.timezone.utc))


def _contacted(env: ScenarioEnvironment, deal_id: str) -> int:
    return sum(1 for delivery in env.deliveries() if delivery.get("deal_id") == deal_id)


def _crashed(exit_codes: list[int]) -> list[str]:
    return [f"the worker exited {code} (crashed) on run {i + 1}" for i, code in enumerate(exit_codes) if code != 0]


@dataclass
class Scenario:
    name: str
    promise: str
    seed: Callable[[ScenarioEnvironment], dict]
    judge: Callable[[ScenarioEnvironment, dict, list[int]], list[str]]
    between_rounds: Callable[[ScenarioEnvironment, dict, int], None] = lambda env, state, round_: None


def _seed_sendable(env):
    message = _task_with_message(env, "9100000001")
    body = message.encode(KIT_PASSWORD)
    env.send(body, message.key)
    return {"record_id": message.record_id, "body": body}


def _sent_once(env, deal_id: str, record_id: str, body: str, what: str) -> list[str]:
    """Why ``what`` (a task and its signed ``body``) was not delivered once, marked sent and deleted."""
    failures = []
    if (count := _contacted(env, deal_id)) != 1:
        failures.append(f"{what} with a signed message was delivered {count} times, not once")
    task = env.task(record_id)
    if task.get("Status") != Status.SENT or not task.get(SENT_AT_FIELD):
        failures.append(f"after the delivery {what} is {task.get('Status')!r} with Sent At {task.get(SENT_AT_FIELD)!r}, not sent with Sent At")
    if body in env.bodies(env.queue) + env.bodies(env.dead_letter):
        failures.append(f"the message of {what} was not deleted")
    return failures


def _judge_sendable(env, state, exit_codes):
    return _crashed(exit_codes) + _sent_once(env, "9100000001", state["record_id"], state["body"], "a queued task")


def _seed_refused(env):
    unsigned = _task_with_message(env, "9100000011")
    forged = _task_with_message(env, "9100000012")
    tampered = _task_with_message(env, "9100000013")
    tampered_body = json.loads(tampered.encode(KIT_PASSWORD))
    tampered_body["deal_id"] = "9100000099"
    env.send(unsigned.encode(), unsigned.key, group_id="unsigned")
    env.send(forged.encode("not-the-clawbot-password"), forged.key, group_id="forged")
    env.send(json.dumps(tampered_body, sort_keys=True, separators=(",", ":")), tampered.key, group_id="tampered")
    return {"cases": {"unsigned": unsigned, "forged (wrong key)": forged, "tampered after signing": tampered},
            "deals": ["9100000011", "9100000012", "9100000013", "9100000099"]}


def _judge_refused(env, state, exit_codes):
    failures = _crashed(exit_codes)
    for deal in state["deals"]:
        if count := _contacted(env, deal):
            failures.append(f"deal {deal} was contacted {count} times from an unsigned or forged message")
    dead = env.bodies(env.dead_letter)
    for name, message in state["cases"].items():
        if env.task(message.record_id).get("Status") != Status.QUEUED:
            failures.append(f"the {name} message changed its task to {env.task(message.record_id).get('Status')!r}")
        if not any(message.key in body for body in dead):
            failures.append(f"the {name} message did not reach the DLQ (deleted or still held)")
    return failures


POISON_BODIES = {
    "not JSON": "{not json",
    "lone surrogate": '{"schema":1,"key":"conformance|9100000021|1|2026-11-25","record_id":"recX","playbook":"\\ud800",'
                      '"deal_id":"9100000021","step":"1","due_date":"2026-11-25","enqueued_at":"2026-11-25T14:00:00+00:00"}',
    "deep nesting": "[" * 5000 + "]" * 5000,
    "wrong schema": json.dumps({"schema": 99, "key": "conformance|9100000022|1|2026-11-25"}),
    "not an object": json.dumps(["conformance|9100000023|1|2026-11-25"]),
    "field of the wrong type": json.dumps({"schema": 1, "key": {"nested": True}, "record_id": 7}),
}


def _seed_poison(env):
    for index, (name, body) in enumerate(POISON_BODIES.items()):
        env.send(body, f"poison-{index}", group_id=f"poison-{index}")
    return {}


def _judge_poison(env, state, exit_codes):
    failures = _crashed(exit_codes)
    if env.deliveries():
        failures.append(f"{len(env.deliveries())} deliveries were made from poison messages")
    dead = env.bodies(env.dead_letter)
    for name, body in POISON_BODIES.items():
        if body not in dead:
            failures.append(f"the {name} message did not reach the DLQ (deleted or still held)")
    return failures


def _seed_redelivery(env):
    message = _task_with_message(env, "9100000031")
    body = message.encode(KIT_PASSWORD)
    env.send(body, message.key)
    env.send(body, f"{message.key}#copy-after-redrive")
    return {"record_id": message.record_id, "body": body, "key": message.key}


def _redeliver(env, state, round_):
    """The same message once more after the first run, as SQS does when a worker crashed before
    DeleteMessage or its visibility timeout ran out while it was sending."""
    if round_ == 1:
        env.send(state["body"], f"{state['key']}#redelivered-after-crash")


def _judge_redelivery(env, state, exit_codes):
    failures = _crashed(exit_codes)
    if (count := _contacted(env, "9100000031")) != 1:
        failures.append(f"one task delivered three times by the queue was contacted {count} times, not once")
    if env.task(state["record_id"]).get("Status") != Status.SENT:
        failures.append(f"the task ended {env.task(state['record_id']).get('Status')!r}, not sent")
    if env.bodies(env.queue) or env.bodies(env.dead_letter):
        failures.append("a copy of an already sent task was not deleted")
    return failures


def _seed_judged_by_the_task(env):
    """A ``dispatching`` task (its run stopped between the send and the ``queued`` mark) and a
    ``queued`` task whose valid signed message carries another Key (a stale message)."""
    dispatching = _task_with_message(env, "9100000051", Status.DISPATCHING)
    stale = _task_with_message(env, "9100000052")
    other_key = task_message(f"{SLUG}|9100000052|1|2026-11-18", stale.record_id, "Conformance", "9100000052", "1",
                             "2026-11-18", "email", dt.datetime(2026, 11, 18, 14, tzinfo=dt.timezone.utc))
    sent_body = dispatching.encode(KIT_PASSWORD)
    env.send(sent_body, dispatching.key, group_id=f"{SLUG}-9100000051")
    env.send(other_key.encode(KIT_PASSWORD), other_key.key, group_id=f"{SLUG}-9100000052")
    return {"dispatching": dispatching.record_id, "stale": stale.record_id, "sent_body": sent_body}


def _judge_judged_by_the_task(env, state, exit_codes):
    failures = _crashed(exit_codes) + _sent_once(env, "9100000051", state["dispatching"], state["sent_body"], "a dispatching task")
    if count := _contacted(env, "9100000052"):
        failures.append(f"a message whose Key is not its task's was sent {count} times")
    if (status := env.task(state["stale"]).get("Status")) != Status.QUEUED:
        failures.append(f"the task a stale message names was changed to {status!r}")
    return failures


NOT_QUEUED = {
    Status.PENDING: "9100000041", Status.APPROVED: "9100000042", Status.FAILED: "9100000043",
    Status.INTERCEPTED: "9100000044", Status.CANCELLED: "9100000045", Status.SENT: "9100000046",
    "queued with Sent At": "9100000047",
}


def _seed_not_queued(env):
    cases = {}
    for label, deal in NOT_QUEUED.items():
        if label == "queued with Sent At":
            message = _task_with_message(env, deal, Status.QUEUED, **{SENT_AT_FIELD: "2026-11-24T10:00:00+00:00"})
        else:
            message = _task_with_message(env, deal, label)
        env.send(message.encode(KIT_PASSWORD), message.key, group_id=f"{SLUG}-{deal}")
        cases[label] = message
    return {"cases": cases, "before": {label: env.task(m.record_id) for label, m in cases.items()}}


def _judge_not_queued(env, state, exit_codes):
    failures = _crashed(exit_codes)
    for label, message in state["cases"].items():
        if count := _contacted(env, message.deal_id):
            failures.append(f"a {label} task was sent {count} times from a valid signed message")
        after = env.task(message.record_id)
        if after.get("Status") != state["before"][label].get("Status"):
            failures.append(f"a {label} task was changed to {after.get('Status')!r}")
    if env.bodies(env.queue) or env.bodies(env.dead_letter):
        # Left, they reach the DLQ and triage marks their tasks failed.
        failures.append("messages of tasks not queued were not deleted")
    return failures


SCENARIOS = [
    Scenario("sends_a_queued_task", "a signed message for a queued task is delivered once, marked sent, deleted",
             _seed_sendable, _judge_sendable),
    Scenario("refuses_unsigned_and_forged", "with a password configured, unsigned, forged and tampered messages "
             "send nothing and reach the DLQ", _seed_refused, _judge_refused),
    Scenario("sends_once_under_redelivery", "the same message delivered three times (a redrive copy, a redelivery "
             "after a crash) contacts the deal once", _seed_redelivery, _judge_redelivery, _redeliver),
    Scenario("leaves_poison_for_the_dlq", "malformed JSON, a lone surrogate, deep nesting, a wrong schema or types "
             "reach the DLQ and the worker does not crash", _seed_poison, _judge_poison),
    Scenario("judges_by_the_task", "a dispatching task is sent like a queued one; a message whose Key is not its "
             "task's is not sent", _seed_judged_by_the_task, _judge_judged_by_the_task),
    Scenario("never_sends_a_task_not_queued", "pending, approved, failed, intercepted, cancelled and sent tasks are "
             "never sent, whatever their message, and their messages are deleted", _seed_not_queued, _judge_not_queued),
]
