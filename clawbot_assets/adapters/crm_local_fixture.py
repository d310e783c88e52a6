"""The embedded CRM's first-use fixture: the demo's two deal pipelines and 120 deals, written
as ``hubspot_fixture.json`` when the local CRM is first used and never overwritten afterwards
(the operator may edit it)."""

from __future__ import annotations

import json
import random
from pathlib import Path

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


def ensure_crm_fixture(path: Path) -> Path:
    """The fixture at ``path``, written from the demo unless a file is already there."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(hubspot_fixture(), indent=2))
    return path
