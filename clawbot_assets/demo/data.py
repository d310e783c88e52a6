"""Deterministic demo data that looks like the operators' real base.

It includes what the roadmap complains about: the two COLD playbooks with an empty Trigger and
Approval, playbooks still owned by n8n, disabled ones, and a task backlog written by n8n
firing 2-4 times, with loose spellings, no Key, and a few rows no key can be derived from.
"""

from __future__ import annotations

import datetime as dt
import random

from clawbot_assets.domain.keys import compose_key

#: Name, Tier, Trigger, Approval, Cron, Timezone, Enabled, Status, Scheduler, Channel, Daily Cap, Cooldown, Owner
_PLAYBOOKS = [
    ("Cold Outbound — EU Founders", "COLD", "", "", "0 9 * * 1-5", "Europe/Berlin", True, "Live", "n8n", "email", 40, 14, "Lena"),
    ("Cold Outbound — US SaaS", "COLD", "", "", "30 14 * * 1-5", "America/New_York", True, "Live", "n8n", "linkedin", 40, 14, "Marcus"),
    ("Cold Reactivation — Lost Deals", "COLD", "hubspot_stage:default/closedlost", "manual", "0 10 * * 2", "UTC", True, "Live", "dagster", "email", 25, 30, "Lena"),
    ("Warm Demo Follow-up", "WARM", "hubspot_stage:default/presentationscheduled", "auto", "0 8,12,16 * * 1-5", "Europe/London", True, "Live", "dagster", "email", 60, 3, "Priya"),
    ("Warm Proposal Nudge", "WARM", "hubspot_stage:default/contractsent", "auto", "15 11 * * 1-5", "America/Chicago", True, "Live", "dagster", "email", 30, 5, "Priya"),
    ("Stale Deal Nudge", "WARM", "hubspot_stage:default/qualifiedtobuy", "manual", "0 8 * * 1", "Europe/Paris", True, "Live", "n8n", "email", 50, 7, "Marcus"),
    ("Hot Decision-Maker Call", "HOT", "hubspot_stage:default/decisionmakerboughtin", "auto", "0 13 * * 1-5", "America/Los_Angeles", True, "Live", "dagster", "call", 15, 2, "Diego"),
    ("Hot Contract Chaser", "HOT", "hubspot_stage:default/contractsent", "manual", "30 16 * * 1-5", "Europe/London", True, "Live", "dagster", "call", 20, 2, "Diego"),
    ("Renewal Reminder — 90 Days", "WARM", "hubspot_stage:renewals/renewal_90", "auto", "0 7 * * *", "UTC", True, "Live", "dagster", "email", 100, 30, "Aiko"),
    ("Renewal Reminder — 30 Days", "HOT", "hubspot_stage:renewals/renewal_30", "manual", "0 7 * * *", "UTC", True, "Live", "n8n", "email", 100, 14, "Aiko"),
    ("Upsell Expansion", "WARM", "hubspot_stage:renewals/expansion", "manual", "0 15 * * 3", "Australia/Sydney", False, "Paused", "dagster", "linkedin", 20, 21, "Aiko"),
    ("Churn Rescue", "HOT", "hubspot_stage:renewals/at_risk", "manual", "0 9 * * *", "America/Sao_Paulo", True, "Live", "dagster", "call", 10, 7, "Diego"),
    ("Webinar Attendee Follow-up", "WARM", "hubspot_stage:default/appointmentscheduled", "auto", "0 18 * * 4", "Asia/Singapore", False, "Draft", "n8n", "email", 80, 7, "Priya"),
    ("LinkedIn Warm Intro", "WARM", "hubspot_stage:default/appointmentscheduled", "manual", "45 10 * * 1,3,5", "Europe/Madrid", True, "Live", "n8n", "linkedin", 25, 10, "Lena"),
    ("Closed-Won Referral Ask", "HOT", "hubspot_stage:default/closedwon", "auto", "0 12 1 * *", "UTC", False, "Retired", "dagster", "email", 30, 90, "Marcus"),
    ("Q1 Summit Invite", "COLD", "hubspot_stage:default/qualifiedtobuy", "manual", "0 11 * * 2", "America/New_York", False, "Draft", "dagster", "email", 50, 30, "Lena"),
]

_FIELDS = ("Name", "Tier", "Trigger", "Approval", "Cron", "Timezone", "Enabled", "Status", "Scheduler", "Channel", "Daily Cap", "Cooldown Days", "Owner")

PIPELINES = [
    {
        "id": "default",
        "label": "Sales Pipeline",
        "stages": [
            {"id": "appointmentscheduled", "label": "Appointment Scheduled"},
            {"id": "qualifiedtobuy", "label": "Qualified To Buy"},
            {"id": "presentationscheduled", "label": "Presentation Scheduled"},
            {"id": "decisionmakerboughtin", "label": "Decision Maker Bought-In"},
            {"id": "contractsent", "label": "Contract Sent"},
            {"id": "closedwon", "label": "Closed Won"},
            {"id": "closedlost", "label": "Closed Lost"},
        ],
    },
    {
        "id": "renewals",
        "label": "Renewals",
        "stages": [
            {"id": "renewal_90", "label": "Renewal in 90 days"},
            {"id": "renewal_30", "label": "Renewal in 30 days"},
            {"id": "expansion", "label": "Expansion Opportunity"},
            {"id": "at_risk", "label": "At Risk"},
        ],
    },
]

_COMPANIES = [
    "Acme Robotics", "Northwind Logistics", "Globex Health", "Initech Payroll", "Umbrella Biotech",
    "Stark Fabrication", "Wayne Analytics", "Hooli Cloud", "Pied Piper", "Vandelay Imports",
    "Soylent Foods", "Tyrell Systems", "Cyberdyne Security", "Wonka Confectionery", "Gringotts Finance",
    "Oscorp Materials", "Monarch Travel", "Nakatomi Trading", "Duff Beverages", "Bluth Homes",
]


def playbook_records() -> list[dict]:
    base = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    return [
        {
            "id": f"recPlaybook{index:05d}",
            "createdTime": (base + dt.timedelta(days=index)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "fields": dict(zip(_FIELDS, row)),
        }
        for index, row in enumerate(_PLAYBOOKS, start=1)
    ]


def hubspot_fixture() -> dict:
    rng = random.Random(20261125)
    stages = [(pipeline["id"], stage["id"]) for pipeline in PIPELINES for stage in pipeline["stages"]]
    deals = []
    for number in range(1, 121):
        pipeline_id, stage_id = stages[number % len(stages)]
        company = _COMPANIES[number % len(_COMPANIES)]
        deals.append(
            {
                "id": str(9_100_000_000 + number * 37),
                "name": f"{company} — {rng.choice(['Platform', 'Seats', 'Renewal', 'Pilot', 'Expansion'])} {2026 + number % 2}",
                "pipeline": pipeline_id,
                "dealstage": stage_id,
                "do_not_contact": number % 17 == 0,
            }
        )
    return {"pipelines": PIPELINES, "deals": deals}


def _loose_date(day: dt.date, style: int) -> str:
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    return f"{day.isoformat()}T09:00:00.000Z"


def _loose_name(name: str, style: int) -> str:
    return (name, f" {name} ", name.lower(), name.upper())[style % 4]


def backlog_records() -> list[dict]:
    """Tasks n8n wrote: each logical task once, or 2-4 times when the schedule fired repeatedly."""
    rng = random.Random(7)
    fixture = hubspot_fixture()
    records: list[dict] = []
    created = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.timezone.utc)
    statuses = ["pending", "approved", "queued", "sent", "failed", "intercepted", "cancelled"]
    for row in _PLAYBOOKS:
        name, trigger = row[0], row[2]
        if not trigger:
            continue
        pipeline_id, stage_id = trigger.split(":", 1)[1].split("/")
        deals = [deal for deal in fixture["deals"] if deal["pipeline"] == pipeline_id and deal["dealstage"] == stage_id]
        for day_offset in (0, 7):
            day = dt.date(2026, 11, 3) + dt.timedelta(days=day_offset)
            for deal in deals:
                copies = rng.choice([1, 1, 2, 2, 3, 4])
                for copy in range(copies):
                    created += dt.timedelta(seconds=rng.randint(1, 90))
                    deal_id: object = int(deal["id"]) if copy % 2 else deal["id"]
                    fields = {
                        "Playbook": _loose_name(name, rng.randint(0, 3)),
                        "Deal ID": float(deal_id) if copy == 3 else deal_id,
                        "Step": rng.choice(["1", "1", 1, " 1 "]),
                        "Due Date": _loose_date(day, rng.randint(0, 2)),
                        "Status": rng.choice(statuses),
                        "Source": "n8n",
                    }
                    if copy and rng.random() < 0.3:
                        fields["Last Error"] = "n8n: worker timeout, retried insert"
                    if copy == 0 and rng.random() < 0.25:
                        fields["Key"] = compose_key(name, deal["id"], "1", day)
                    records.append(
                        {
                            "id": f"recBacklog{len(records):06d}",
                            "createdTime": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                            "fields": fields,
                        }
                    )
    records += _unkeyable_rows(created)
    return records


def _unkeyable_rows(after: dt.datetime) -> list[dict]:
    """Rows no key can be derived from: dedupe must keep and report them, never delete them."""
    rows = [
        {"Playbook": "Stale Deal Nudge", "Deal ID": "9100000111", "Due Date": "31/02/2026", "Status": "pending", "Source": "n8n"},
        {"Playbook": "Stale Deal Nudge", "Due Date": "11/10/2026", "Status": "pending", "Source": "n8n"},
        {"Deal ID": "9100000222", "Due Date": "2026-11-10", "Status": "bounced", "Source": "n8n"},
    ]
    return [
        {
            "id": f"recLegacyBad{index:04d}",
            "createdTime": (after + dt.timedelta(minutes=index + 1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "fields": fields,
        }
        for index, fields in enumerate(rows)
    ]


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
