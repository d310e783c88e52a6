"""The embedded SSOT's first-use fixture: deterministic demo data that looks like the operators'
real base, seeded into an empty local SSOT once.

It includes what the roadmap complains about: the two COLD playbooks with an empty Trigger and
Approval, playbooks still owned by n8n, disabled ones, and a task backlog written by n8n
firing 2-4 times (for the deals of the CRM's fixture), with loose spellings, no Key, and a few
rows no key can be derived from. A marker records the seeding, so data an operator changed
afterwards is never overwritten; ``python -m clawbot_assets.demo reset`` starts over.
"""

from __future__ import annotations

import datetime as dt
import random

from clawbot_assets.adapters.crm_local_fixture import hubspot_fixture
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.domain.keys import compose_key

SEEDED_MARKER = "demo_seeded_at"

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


def seed_demo_once(ssot: LocalSsot) -> bool:
    """Seed the demo unless this database was ever seeded; returns whether it seeded now."""
    if ssot.get_meta(SEEDED_MARKER):
        return False
    ssot.insert_raw(PLAYBOOKS_TABLE, playbook_records())
    ssot.insert_raw(TASKS_TABLE, backlog_records())
    ssot.set_meta(SEEDED_MARKER, "demo-v1")
    return True
