"""Seeding the embedded backend, and resetting it on demand.

Each local adapter seeds its own store on first use (``adapters/*_local_fixture.py``) and never
overwrites what an operator changed afterwards; ``seed_demo`` does all three at once (before
``dagster dev``), ``reset_demo`` starts over.
"""

from __future__ import annotations

from pathlib import Path

from clawbot_assets.adapters.crm_local_fixture import ensure_crm_fixture
from clawbot_assets.adapters.n8n_local_fixture import ensure_n8n_export
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.adapters.ssot_local_fixture import seed_demo_once
from clawbot_assets.resources.backends import (
    ARCHIVE_FILE,
    KEY_INDEX_FILE,
    LOCAL_ALERTS_FILE,
    LOCAL_CRM_FILE,
    LOCAL_N8N_FILE,
    LOCAL_QUEUE_FILE,
    LOCAL_SSOT_FILE,
)


def seed_demo(data_dir: Path) -> bool:
    """The SSOT, CRM and n8n fixtures under ``data_dir``, each unless already there; returns
    whether the SSOT was seeded now."""
    seeded = seed_demo_once(LocalSsot(data_dir / LOCAL_SSOT_FILE))
    ensure_crm_fixture(data_dir / LOCAL_CRM_FILE)
    ensure_n8n_export(data_dir / LOCAL_N8N_FILE)
    return seeded


#: Everything the embedded backend keeps under the data dir. The queue goes too: its messages name
#: records the reset deletes, and would end in the DLQ as an incident on a fresh demo.
LOCAL_STORES = (LOCAL_SSOT_FILE, ARCHIVE_FILE, KEY_INDEX_FILE, LOCAL_CRM_FILE, LOCAL_N8N_FILE, LOCAL_QUEUE_FILE, LOCAL_ALERTS_FILE)


def reset_demo(data_dir: Path) -> None:
    """Delete the local SSOT, archive, key-index cache, CRM fixture, n8n export, queue and alerts,
    then seed afresh. The dedupe history is in Dagster's storage; a reset SSOT makes the next
    dedupe a full pass."""
    for name in LOCAL_STORES:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"{name}{suffix}").unlink(missing_ok=True)
    seed_demo(data_dir)
