"""Per-playbook schedules built from a cached snapshot of the SSOT's Playbooks table.

Loading the code location never calls the network: ``write_state_to_path`` reads the SSOT only
when the snapshot is refreshed (``dg utils refresh-defs-state``), and ``build_defs_from_state``
builds the schedules from the file it wrote.
"""


import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster.components import (
    DefsStateConfig,
    DefsStateConfigArgs,
    ResolvedDefsStateConfig,
)

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.resources import resource_for
from schedules.playbook_schedules import build_playbook_schedules

SNAPSHOT_KEY = "clawbot_playbooks_snapshot"
logger = logging.getLogger(__name__)


def write_snapshot(state_path: Path, records: list[dict], source: str) -> None:
    snapshot = {"taken_at": dt.datetime.now(dt.timezone.utc).isoformat(), "source": source, "records": records}
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps(snapshot, indent=1, sort_keys=True))


def read_snapshot(state_path: Path) -> dict:
    return json.loads(state_path.read_text())


@dataclass
class PlaybookSchedulesComponent(dg.StateBackedComponent, dg.Resolvable):
    """One ``playbook__<slug>`` schedule per playbook in the snapshot."""

    defs_state: ResolvedDefsStateConfig = field(default_factory=DefsStateConfigArgs.local_filesystem)

    @property
    def defs_state_config(self) -> DefsStateConfig:
        return DefsStateConfig.from_args(self.defs_state, default_key=SNAPSHOT_KEY)

    def write_state_to_path(self, state_path: Path) -> None:
        resource = resource_for("ssot", os.environ, resolve_secrets=True)
        records = resource.client().list_records(PLAYBOOKS_TABLE)
        write_snapshot(state_path, records, resource.describe())

    def build_defs_from_state(self, context: dg.ComponentLoadContext, state_path: Path | None) -> dg.Definitions:
        if state_path is None:
            logger.warning("No playbook snapshot yet: no playbook schedules. Run `dg utils refresh-defs-state`.")
            return dg.Definitions()
        try:
            records = read_snapshot(state_path)["records"]
        except (OSError, ValueError, KeyError) as error:
            logger.error(f"Playbook snapshot {state_path} is unreadable ({error}); no playbook schedules loaded")
            return dg.Definitions()
        return dg.Definitions(schedules=build_playbook_schedules(validate_playbooks(records, DAGSTER_SCHEDULE_RULES)))
