"""The embedded n8n's first-use fixture: the demo n8n instance as a workflow export with the
executions of its last fires, written as ``n8n_workflows.json`` when the local n8n is first
read and never overwritten afterwards."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path


def _trigger_node(node_id: str, name: str, node_type: str, version: float, parameters: dict) -> dict:
    return {"id": node_id, "name": name, "type": node_type, "typeVersion": version, "position": [0, 0], "parameters": parameters}


def _schedule_node(*rules: dict) -> dict:
    return _trigger_node("schedule", "Schedule Trigger", "n8n-nodes-base.scheduleTrigger", 1.2, {"rule": {"interval": list(rules)}})


def _cron_node(*items: dict) -> dict:
    return _trigger_node("cron", "Cron", "n8n-nodes-base.cron", 1, {"triggerTimes": {"item": list(items)}})


_CALL_WORKER = {
    "id": "worker",
    "name": "Call ClawBot worker",
    "type": "n8n-nodes-base.httpRequest",
    "typeVersion": 4.2,
    "position": [220, 0],
    "parameters": {"method": "POST", "url": "https://clawbot.example.internal/run"},
}


def _workflow(number: int, name: str, active: bool, nodes: list, timezone: str | None, tags=(), active_nodes=None) -> dict:
    workflow = {
        "id": f"wf{number:04d}",
        "name": name,
        "active": active,
        "createdAt": "2025-06-02T09:00:00.000Z",
        "updatedAt": "2026-02-20T09:00:00.000Z",
        "nodes": nodes + [_CALL_WORKER],
        "connections": {},
        "settings": {"executionOrder": "v1", **({"timezone": timezone} if timezone else {})},
        "tags": [{"id": f"tag{index}", "name": tag} for index, tag in enumerate(tags)],
        "activeVersion": None,
    }
    if active_nodes is not None:
        workflow["activeVersion"] = {"versionId": f"v{number}", "nodes": active_nodes + [_CALL_WORKER]}
    return workflow


def n8n_workflows() -> list[dict]:
    """The n8n instance as the public API lists it, seeded with the audit's three mismatches:
    *Renewal Reminder — 90 Days* is scheduled by Dagster and still live in n8n; *Renewal
    Reminder — 30 Days* is enabled and owned by n8n, but its only workflow is inactive;
    *Webinar Attendee Follow-up* is disabled and still live in n8n. Around them, what a real
    instance holds: a legacy cron node with a 6-field cron, a published version that differs
    from the draft, a workflow with no schedule, one matching no playbook at all-default
    interval, and an inactive one."""
    weekdays = {"field": "weeks", "triggerAtDay": [1, 2, 3, 4, 5]}
    return [
        _workflow(1, "Cold Outbound — EU Founders", True, [_schedule_node({**weekdays, "triggerAtHour": 9})], "Europe/Berlin"),
        _workflow(
            2, "ClawBot · cold outbound US", True,
            [_cron_node({"mode": "custom", "cronExpression": "0 30 14 * * 1-5"})], "America/New_York",
            tags=("sales", "playbook:cold_outbound_us_saas"),
        ),
        _workflow(
            3, "Stale Deal Nudge", True,
            [_cron_node({"mode": "everyWeek", "hour": 10})], "Europe/Paris",
            active_nodes=[_cron_node({"mode": "everyWeek", "hour": 8})],
        ),
        _workflow(4, "Renewal Reminder — 90 Days", True, [_schedule_node({"triggerAtHour": 7})], "UTC"),
        _workflow(
            5, "Renewal Reminder — 30 Days (old)", False, [_schedule_node({"triggerAtHour": 7})], "UTC",
            tags=("playbook:renewal_reminder_30_days",),
        ),
        _workflow(6, "Webinar Attendee Follow-up", True, [_schedule_node({"field": "weeks", "triggerAtDay": [4], "triggerAtHour": 18})], "Asia/Singapore"),
        _workflow(7, "LinkedIn Warm Intro", True, [_schedule_node({"field": "weeks", "triggerAtDay": [1, 3, 5], "triggerAtHour": 10, "triggerAtMinute": 45})], "Europe/Madrid"),
        _workflow(8, "Q1 Summit Invite", False, [_schedule_node({"field": "weeks", "triggerAtDay": [2], "triggerAtHour": 11})], "America/New_York"),
        _workflow(
            9, "HubSpot deal sync (webhook)", True,
            [{"id": "hook", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2, "position": [0, 0], "parameters": {"path": "deals"}}],
            None,
        ),
        _workflow(10, "Weekly pipeline digest", True, [_schedule_node({})], None),
    ]


#: How many of its latest fires each live demo workflow has a successful execution for.
DEMO_EXECUTIONS_PER_WORKFLOW = 3


def n8n_executions(workflows: list[dict], now: dt.datetime) -> list[dict]:
    """The demo n8n's execution history as ``GET /api/v1/executions`` lists it: every active
    workflow ran successfully at each of its last fires before ``now`` (when the export is
    written). An export left alone for weeks therefore shows its n8n playbooks as not run lately,
    as a stopped n8n would."""
    from clawbot_assets.domain.n8n_fire_times import fire_times
    from clawbot_assets.domain.n8n_schedule import parse_workflow

    executions = []
    for raw in workflows:
        workflow = parse_workflow(raw)
        if not workflow.active or workflow.activated_at is None:
            continue
        start = max(workflow.activated_at, now - dt.timedelta(days=30))
        fires = sorted(fire for schedule in workflow.firing for fire in fire_times(schedule, start, now))
        for fire in fires[-DEMO_EXECUTIONS_PER_WORKFLOW:]:
            started = fire.astimezone(dt.timezone.utc)
            executions.append(
                {
                    "id": str(len(executions) + 1),
                    "finished": True,
                    "mode": "trigger",
                    "retryOf": None,
                    "retrySuccessId": None,
                    "startedAt": started.isoformat().replace("+00:00", "Z"),
                    "stoppedAt": (started + dt.timedelta(seconds=4)).isoformat().replace("+00:00", "Z"),
                    "workflowId": workflow.id,
                    "waitTill": None,
                    "status": "success",
                }
            )
    return executions


def ensure_n8n_export(path: Path) -> Path:
    """The demo n8n instance as a workflow export with the executions of its last fires (as of
    now); an edited export is never overwritten."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        workflows = n8n_workflows()
        executions = n8n_executions(workflows, dt.datetime.now(dt.timezone.utc))
        path.write_text(json.dumps({"data": workflows, "nextCursor": None, "executions": executions}, indent=2, ensure_ascii=False))
    return path
