"""A small SSOT, CRM and queue for dispatch tests, rebuilt identically in a child process."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from clawbot_assets.adapters.crm import Deal
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot

NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.timezone.utc)


class Crm:
    requests_made = 0

    def __init__(self, flagged=()):
        self.flagged = set(flagged)

    def deals_in_stage(self, pipeline_id, stage_id):
        return [Deal(d, d, pipeline_id, stage_id, True) for d in self.flagged]

    def deal_pipelines(self):
        return []


def playbook(name, **fields):
    base = {"Name": name, "Tier": "WARM", "Trigger": "hubspot_stage:default/s1", "Approval": "auto", "Cron": "0 9 * * *",
            "Enabled": True, "Status": "Live", "Scheduler": "dagster", "Channel": "email", "Daily Cap": 100, "Cooldown Days": 7}
    return {"id": "recPb" + name.replace(" ", ""), "createdTime": "2026-01-01T00:00:00.000Z", "fields": {**base, **fields}}


def task(slug, deal, status="pending", due="2026-11-25"):
    return {"id": f"recT{slug[:4]}{deal}", "createdTime": "2026-11-20T00:00:00.000Z",
            "fields": {"Key": f"{slug}|{deal}|1|{due}", "Playbook": slug, "Deal ID": deal, "Step": "1", "Due Date": due,
                       "Status": status, "Source": "dagster"}}


def world(data_dir: Path, tasks: int = 25):
    ssot = LocalSsot(Path(data_dir) / "ssot.sqlite")
    if not ssot.list_records(PLAYBOOKS_TABLE):
        ssot.insert_raw(PLAYBOOKS_TABLE, [playbook("Warm Nudge"),
                                          playbook("Cold Broken", Tier="COLD", Trigger="", Approval="", Scheduler="n8n")])
        ssot.insert_raw(TASKS_TABLE, [task("warm_nudge", str(1000 + n)) for n in range(tasks)]
                        + [task("cold_broken", str(2000 + n)) for n in range(3)])
    dlq = LocalQueue(Path(data_dir) / "queue.sqlite", "tasks_dlq")
    return ssot, LocalQueue(Path(data_dir) / "queue.sqlite", "tasks", dead_letter=dlq), dlq


def crash_after_first_send(data_dir: str) -> None:
    """Run a dispatch and die (no cleanup, like SIGKILL) right after the first batch was sent."""
    from clawbot_assets.services.dispatch import run_dispatch

    ssot, queue, _ = world(Path(data_dir))
    run_dispatch(ssot, Crm(), queue, now=NOW, on_batch_sent=lambda keys: os._exit(9))


if __name__ == "__main__":
    crash_after_first_send(sys.argv[1])
