"""Acting on the demo's n8n: activating or deactivating workflows in the export the local n8n
adapter reads (``demo/seed.py``, ``ensure_n8n_export``), as an operator does in n8n's UI or with
``POST /api/v1/workflows/<id>/(de)activate``. Like n8n, a change of ``active`` stamps
``updatedAt``, which is where n8n starts counting a schedule's intervals again.

The n8n adapters themselves stay read-only: only the demo's rehearsal changes n8n.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable

from clawbot_assets.domain.n8n_schedule import N8nWorkflow, parse_workflow


def _read(path: Path) -> tuple[Any, list[dict]]:
    body = json.loads(path.read_text())
    return body, body["data"] if isinstance(body, dict) else body


def workflows(path: Path) -> list[dict]:
    return _read(path)[1]


def set_active(path: Path, workflow_ids: Iterable[str], active: bool, now: dt.datetime | None = None) -> list[str]:
    """Sets ``active`` on the given workflows; returns the names of those it changed."""
    wanted = set(workflow_ids)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).isoformat().replace("+00:00", "Z")
    body, listed = _read(path)
    changed = []
    for workflow in listed:
        if str(workflow.get("id")) in wanted and bool(workflow.get("active")) != active:
            workflow["active"] = active
            workflow["updatedAt"] = stamp
            changed.append(str(workflow.get("name")))
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False))
    return changed


def playbook_workflow_ids(path: Path, slug: str) -> list[str]:
    """The workflows that fire ``slug`` as the audit matches them (its tag, else its name)."""
    return [str(raw["id"]) for raw in workflows(path) if parse_workflow(raw).owner_slug == slug]


def live_workflows(path: Path) -> list[N8nWorkflow]:
    """Active workflows holding a schedule n8n accepts."""
    return [workflow for workflow in map(parse_workflow, workflows(path)) if workflow.live]
