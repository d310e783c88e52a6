"""Seeding the embedded backend once, and resetting it on demand.

The first use of an empty local SSOT seeds the demo. A marker records that, so data an
operator changed afterwards is never overwritten; ``python -m clawbot_assets.demo reset``
starts over.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.demo.data import backlog_records, hubspot_fixture, n8n_executions, n8n_workflows, playbook_records
from clawbot_assets.resources.backends import ARCHIVE_FILE, KEY_INDEX_FILE, LOCAL_CRM_FILE, LOCAL_N8N_FILE, LOCAL_SSOT_FILE

SEEDED_MARKER = "demo_seeded_at"


def seed_demo_once(ssot: LocalSsot) -> bool:
    """Seed the demo unless this database was ever seeded; returns whether it seeded now."""
    if ssot.get_meta(SEEDED_MARKER):
        return False
    ssot.insert_raw(PLAYBOOKS_TABLE, playbook_records())
    ssot.insert_raw(TASKS_TABLE, backlog_records())
    ssot.set_meta(SEEDED_MARKER, "demo-v1")
    return True


def ensure_crm_fixture(path: Path) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(hubspot_fixture(), indent=2))
    return path


def ensure_n8n_export(path: Path) -> Path:
    """The demo n8n instance as a workflow export with the executions of its last fires (as of
    now); an edited export is never overwritten."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        workflows = n8n_workflows()
        executions = n8n_executions(workflows, dt.datetime.now(dt.timezone.utc))
        path.write_text(json.dumps({"data": workflows, "nextCursor": None, "executions": executions}, indent=2, ensure_ascii=False))
    return path


def reset_demo(data_dir: Path) -> None:
    """Delete the local SSOT, archive, key-index cache and CRM fixture, then seed afresh.
    The dedupe history is in Dagster's storage; a reset SSOT makes the next dedupe a full pass."""
    for name in (LOCAL_SSOT_FILE, ARCHIVE_FILE, KEY_INDEX_FILE, LOCAL_CRM_FILE, LOCAL_N8N_FILE):
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"{name}{suffix}").unlink(missing_ok=True)
    seed_demo_once(LocalSsot(data_dir / LOCAL_SSOT_FILE))
    ensure_crm_fixture(data_dir / LOCAL_CRM_FILE)
    ensure_n8n_export(data_dir / LOCAL_N8N_FILE)
