"""Carrying out the dedupe plan against the SSOT, safely and within its rate limits.

Order matters for crash safety: record the run as started, archive every record to be
removed, fill the survivors' blanks, delete the losers 10 a request (each batch re-read first,
so nothing changed since the plan is deleted), write the missing Keys, then commit the state.
Each step is idempotent and the plan is recomputed from a fresh read, so a run killed anywhere
and run again ends where one uninterrupted run would have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Sequence

from clawbot_assets.adapters.dedupe_state import DedupeRun, DedupeState
from clawbot_assets.adapters.ssot import (
    LOOKUP_BATCH,
    TASKS_TABLE,
    Record,
    SsotClient,
    chunks,
)
from clawbot_assets.domain.dedupe import RESTORED_FROM_FIELD, DedupePlan, plan_dedupe
from clawbot_assets.domain.keys import derive_key

MODES = ("auto", "incremental", "full")
FULL_PASS_EVERY = dt.timedelta(days=7)


class DedupeConfigError(ValueError):
    pass


@dataclass
class DedupeReport:
    run_id: str
    mode: str
    dry_run: bool
    plan: DedupePlan
    records_read: int
    audited_from: dt.datetime | None
    audited_to: dt.datetime
    api_requests: int
    keys_touched: list[str] = field(default_factory=list)
    changed_during_run: list[str] = field(default_factory=list)

    def metadata(self) -> dict:
        summary = self.plan.summary()
        summary["removed"] -= len(self.changed_during_run)
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "records_read": self.records_read,
            **summary,
            "changed_during_run": len(self.changed_during_run),
            "api_requests": self.api_requests,
        }


def choose_mode(requested: str, state: DedupeState, now: dt.datetime) -> str:
    """``auto``: a full pass when there is no index yet, the last one is a week old, or a full
    pass started and never finished."""
    if requested not in MODES:
        raise DedupeConfigError(f"mode {requested!r} is not one of {', '.join(MODES)}")
    if requested != "auto":
        return requested
    last_full = state.last_full_pass()
    if last_full is None or state.watermark() is None or state.full_pass_pending() or now - last_full >= FULL_PASS_EVERY:
        return "full"
    return "incremental"


def _incremental_records(client: SsotClient, state: DedupeState, since: dt.datetime) -> list[Record]:
    """Records changed since ``since``, plus the indexed survivors their keys collide with."""
    changed = client.list_records(TASKS_TABLE, changed_since=since)
    read_ids = {record["id"] for record in changed}
    keys = [key for record in changed if (key := derive_key(record.get("fields") or {}).key)]
    colliding = [key for key, record_id in state.lookup(keys).items() if record_id not in read_ids]
    extra = client.find_by_keys(TASKS_TABLE, colliding) if colliding else []
    return changed + [record for record in extra if record["id"] not in read_ids]


def _delete_unchanged(client: SsotClient, removed: Sequence[Record]) -> list[str]:
    """Delete the planned losers, re-reading each batch first: a record changed since the plan
    was read (say, the worker sent it) is kept for the next run, never deleted on stale facts.
    Returns the ids kept that way."""
    changed: list[str] = []
    for batch in chunks(list(removed), LOOKUP_BATCH):
        current = {record["id"]: record.get("fields") for record in client.find_by_ids(TASKS_TABLE, [r["id"] for r in batch])}
        unchanged = [record["id"] for record in batch if current.get(record["id"]) == record.get("fields")]
        changed += [record["id"] for record in batch if record["id"] in current and record["id"] not in unchanged]
        if unchanged:
            client.delete(TASKS_TABLE, unchanged)
    return changed


def run_dedupe(
    client: SsotClient,
    state: DedupeState,
    *,
    run_id: str,
    mode: str = "auto",
    dry_run: bool = False,
    overlap: dt.timedelta = dt.timedelta(hours=1),
    now: dt.datetime | None = None,
) -> DedupeReport:
    started = now or dt.datetime.now(dt.timezone.utc)
    requests_before = client.requests_made
    chosen = choose_mode(mode, state, started)
    watermark = state.watermark()
    if chosen == "incremental" and watermark is not None:
        audited_from: dt.datetime | None = watermark - overlap
        records = _incremental_records(client, state, audited_from)
    else:
        chosen, audited_from = "full", None
        records = client.list_records(TASKS_TABLE)

    plan = plan_dedupe(records)
    changed_during_run: list[str] = []
    run = DedupeRun(
        run_id=run_id,
        finished_at=started,
        mode=chosen,
        audited_from=audited_from,
        audited_to=started,
        summary=plan.summary(),
        duplicates_created_by_day=plan.duplicates_created_by_day,
    )
    if not dry_run:
        state.begin_run(run)
        if plan.removed:
            client.archive(run_id, plan.removed)
        if plan.updates:
            client.update(TASKS_TABLE, plan.updates)
        changed_during_run = _delete_unchanged(client, plan.removed)
        if plan.key_backfills:
            client.update(TASKS_TABLE, [(record_id, {"Key": key}) for record_id, key in plan.key_backfills])
    report = DedupeReport(
        run_id=run_id,
        mode=chosen,
        dry_run=dry_run,
        plan=plan,
        records_read=len(records),
        audited_from=audited_from,
        audited_to=started,
        api_requests=client.requests_made - requests_before,
        keys_touched=sorted(plan.survivors),
        changed_during_run=changed_during_run,
    )
    if not dry_run:
        state.commit_run(
            replace(run, finished_at=dt.datetime.now(dt.timezone.utc), summary=report.metadata()),
            plan.survivors,
            replace_index=chosen == "full",
            watermark=started,
        )
    return report


@dataclass
class RestoreReport:
    archived: int
    restored: list[str]
    already_present: int
    already_restored: int


def restore_run(client: SsotClient, dedupe_run_id: str) -> RestoreReport:
    """Put back every record the dedupe run removed, with its original fields.

    Airtable cannot recreate a record id, so each restored record gets a new id and names its
    original in ``Restored From``; that field also makes a second restore a no-op.
    """
    archived = [entry.record for entry in client.archived(dedupe_run_id)]
    original_ids = [record["id"] for record in archived]
    present = {record["id"] for record in client.find_by_ids(TASKS_TABLE, original_ids)}
    restored_before = {
        record["fields"].get(RESTORED_FROM_FIELD)
        for record in client.find_by_field(TASKS_TABLE, RESTORED_FROM_FIELD, original_ids)
    }
    to_restore = [
        record for record in archived if record["id"] not in present and record["id"] not in restored_before
    ]
    created = client.create(
        TASKS_TABLE,
        [{**record["fields"], RESTORED_FROM_FIELD: record["id"]} for record in to_restore],
    ) if to_restore else []
    return RestoreReport(
        archived=len(archived),
        restored=[record["id"] for record in created],
        already_present=sum(record["id"] in present for record in archived),
        already_restored=sum(record["id"] in restored_before for record in archived),
    )
