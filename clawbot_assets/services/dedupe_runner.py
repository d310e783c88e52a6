"""Carrying out the dedupe plan against the SSOT, safely and within its rate limits.

Order matters for crash safety: announce the run as started (``on_started``, which the asset
records in Dagster's event log), archive every record to be removed, fill the survivors'
blanks, delete the losers 10 a request (each batch re-read immediately before its delete, so
nothing changed since the plan is deleted), write the missing Keys, then save the key index. The run commits when the
asset materialises its report. Each step is idempotent and the plan is recomputed from a
fresh read, so a run killed anywhere and run again ends where one uninterrupted run would have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Sequence

from clawbot_assets.adapters.key_index import KeyIndex, KeyIndexStore
from clawbot_assets.adapters.ssot import (
    MAX_RECORDS_PER_WRITE,
    TASKS_TABLE,
    Record,
    SsotClient,
    chunks,
)
from clawbot_assets.domain.dedupe import RESTORED_FROM_FIELD, DedupePlan, plan_dedupe
from clawbot_assets.domain.dedupe_history import DedupeHistory, DedupeRun
from clawbot_assets.domain.keys import derive_key
from clawbot_assets.names import AIRTABLE_429S

MODES = ("auto", "incremental", "full")
FULL_PASS_EVERY = dt.timedelta(days=7)


class DedupeConfigError(ValueError):
    pass


@dataclass
class DedupeReport:
    run: DedupeRun
    dry_run: bool
    plan: DedupePlan
    records_read: int
    #: records in the table after the run: counted on a full pass, from the key index after an
    #: incremental one (records deleted outside the dedupe are not seen until the next full pass)
    table_records: int
    api_requests: int
    airtable_429s: int = 0
    #: why the mode differs from the one asked for, if it does
    mode_reason: str = ""
    #: every record no key can be derived from: this run's and those carried from earlier runs
    unkeyable: dict[str, str] = field(default_factory=dict)
    #: deals contacted twice, found now or earlier, not yet acknowledged
    contacted_twice_open: list[str] = field(default_factory=list)
    #: planned losers this run kept because they changed after the plan's read
    changed_during_run: list[str] = field(default_factory=list)
    #: the ids this run's own delete requests deleted (a concurrent run's are not counted)
    removed: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return self.run.mode

    def figures(self) -> dict[str, int | str | bool]:
        summary = self.plan.summary()
        if self.dry_run:
            # A dry run writes nothing: its figures are what the real run would do, named so.
            summary["would_remove"] = summary.pop("removed")
            summary["would_update"] = summary.pop("updated")
        else:
            summary["removed"] = len(self.removed)
        summary["unkeyable"] = len(self.unkeyable)
        summary["deals_contacted_twice"] = len(self.contacted_twice_open)
        summary["deals_contacted_twice_found_now"] = len(self.plan.contacted_twice)
        summary.pop("records")
        return {
            "mode": self.mode,
            "records_read": self.records_read,
            "table_records": self.table_records,
            **summary,
            "changed_during_run": len(self.changed_during_run),
            "api_requests": self.api_requests,
            AIRTABLE_429S: self.airtable_429s,
        }


def _trusted_index(history: DedupeHistory, index: KeyIndex | None) -> KeyIndex | None:
    """The saved index only if the last committed run wrote it: anything else may be stale."""
    last = history.last_committed()
    return index if index is not None and last is not None and index.written_by_run == last.run_id else None


def choose_mode(requested: str, history: DedupeHistory, index: KeyIndex | None, now: dt.datetime) -> tuple[str, str]:
    """``(mode, reason)``. ``auto`` is incremental unless there is no trusted key index, the
    last full pass is a week old, or a full pass started and never finished; ``incremental``
    asked for without a trusted index is a full pass too (the index is a cache)."""
    if requested not in MODES:
        raise DedupeConfigError(f"mode {requested!r} is not one of {', '.join(MODES)}")
    if requested == "full":
        return "full", ""
    if _trusted_index(history, index) is None:
        return "full", "no key index written by the last committed run"
    if history.full_pass_pending():
        return "full", "a full pass started and never finished"
    last_full = history.last_full_pass()
    if requested == "auto" and (last_full is None or now - last_full >= FULL_PASS_EVERY):
        return "full", "the last full pass is a week old"
    return "incremental", ""


def _incremental_records(client: SsotClient, index: KeyIndex, since: dt.datetime, day_first: bool | None) -> list[Record]:
    """Records changed since ``since``, plus the indexed survivors their keys collide with."""
    changed = client.list_records(TASKS_TABLE, changed_since=since)
    read_ids = {record["id"] for record in changed}
    keys = {key for record in changed if (key := derive_key(record.get("fields") or {}, day_first=bool(day_first)).key)}
    colliding = [key for key in keys if key in index.keys and index.keys[key] not in read_ids]
    extra = client.find_by_keys(TASKS_TABLE, colliding) if colliding else []
    return changed + [record for record in extra if record["id"] not in read_ids]


def _still_unkeyable(client: SsotClient, carried: dict[str, str], read_ids: set[str]) -> dict[str, str]:
    """Unkeyable records from earlier runs that this run did not read: kept while they exist
    (a record fixed since would have been modified, and so read)."""
    unread = [record_id for record_id in carried if record_id not in read_ids]
    existing = {record["id"] for record in client.find_by_ids(TASKS_TABLE, unread)} if unread else set()
    return {record_id: carried[record_id] for record_id in unread if record_id in existing}


def _delete_unchanged(client: SsotClient, removed: Sequence[Record]) -> tuple[list[str], list[str]]:
    """Delete the planned losers, each batch of 10 re-read immediately before its delete
    request: a record changed since the plan was read (say, the worker sent it) is kept for the
    next run, never deleted on stale facts.

    Airtable has no conditional delete, so a change landing between a batch's re-read and its
    delete (one request round-trip) is still deleted. Only records whose re-read equals their
    archived copy are deleted, so the archive holds each deleted record as it was re-read.

    Returns ``(deleted, changed)``: the ids this run's delete requests deleted (one a
    concurrent dedupe deleted first is in neither list) and the ids kept because they changed.
    """
    deleted: list[str] = []
    changed: list[str] = []
    for batch in chunks(list(removed), MAX_RECORDS_PER_WRITE):
        current = {record["id"]: record.get("fields") for record in client.find_by_ids(TASKS_TABLE, [r["id"] for r in batch])}
        unchanged = [record["id"] for record in batch if current.get(record["id"]) == record.get("fields")]
        changed += [record["id"] for record in batch if record["id"] in current and record["id"] not in unchanged]
        if unchanged:
            deleted += client.delete(TASKS_TABLE, unchanged)
    return deleted, changed


def _write_plan(client: SsotClient, run_id: str, plan: DedupePlan) -> tuple[list[str], list[str]]:
    if plan.removed:
        client.archive(run_id, plan.removed)
    if plan.updates:
        client.update(TASKS_TABLE, plan.updates)
    deleted, changed_during_run = _delete_unchanged(client, plan.removed)
    if plan.key_backfills:
        client.update(TASKS_TABLE, [(record_id, {"Key": key}) for record_id, key in plan.key_backfills])
    return deleted, changed_during_run


def run_dedupe(
    client: SsotClient,
    history: DedupeHistory,
    index_store: KeyIndexStore,
    *,
    run_id: str,
    mode: str = "auto",
    dry_run: bool = False,
    overlap: dt.timedelta = dt.timedelta(hours=1),
    now: dt.datetime | None = None,
    on_started: Callable[[DedupeRun], None] = lambda run: None,
) -> DedupeReport:
    """Plan and, unless ``dry_run``, carry out one dedupe. ``on_started`` is called with the
    run's window and duplicate counts before the first write."""
    started = now or dt.datetime.now(dt.timezone.utc)
    requests_before, rate_limited_before = client.requests_made, client.rate_limited_responses
    saved_index = index_store.load()
    chosen, reason = choose_mode(mode, history, saved_index, started)
    index = _trusted_index(history, saved_index)
    watermark = history.watermark()
    day_first = history.day_first()
    if chosen == "incremental" and index is not None and watermark is not None and day_first is not None:
        audited_from: dt.datetime | None = watermark - overlap
        records = _incremental_records(client, index, audited_from, day_first)
    else:
        chosen, audited_from, index, day_first = "full", None, None, None
        records = client.list_records(TASKS_TABLE)

    plan = plan_dedupe(records, day_first=day_first)
    run = DedupeRun(
        run_id, chosen, audited_from, started, plan.duplicates_created_by_day, date_convention=plan.date_convention
    )
    unkeyable = dict(plan.unkeyable)
    if index is not None:
        unkeyable.update(_still_unkeyable(client, history.unkeyable, {record["id"] for record in records}))
    deleted: list[str] = []
    changed_during_run: list[str] = []
    keys = {**(index.keys if index else {}), **plan.survivors}
    if not dry_run:
        on_started(run)
        deleted, changed_during_run = _write_plan(client, run_id, plan)
        index_store.save(KeyIndex(run_id, keys))
    open_twice = list(dict.fromkeys(history.open_contacted_twice() + plan.contacted_twice))
    return DedupeReport(
        run=run,
        dry_run=dry_run,
        plan=plan,
        records_read=len(records),
        table_records=len(keys) + len(unkeyable) + len(changed_during_run),
        api_requests=client.requests_made - requests_before,
        airtable_429s=client.rate_limited_responses - rate_limited_before,
        mode_reason=reason,
        unkeyable=unkeyable,
        contacted_twice_open=open_twice,
        changed_during_run=changed_during_run,
        removed=deleted,
    )


def committed(history: DedupeHistory, report: DedupeReport) -> DedupeHistory:
    """The history once ``report``'s run has committed: what the event log holds after its
    materialisation, folded the same way (``assets/dedupe_events.py``)."""
    return history.committed(report.run, report.unkeyable, report.contacted_twice_open)


@dataclass
class RestoreReport:
    archived: int
    #: ids of the copies this restore created and kept
    restored: list[str]
    already_present: int
    already_restored: int
    #: extra copies of one original (made by a concurrent restore, or by this one) deleted here
    extra_copies_removed: list[str] = field(default_factory=list)


def _copy_order(record: Record) -> tuple[str, str]:
    return record.get("createdTime", ""), record["id"]


def _keep_one_copy_each(client: SsotClient, original_ids: Sequence[str]) -> list[str]:
    """Re-read every restored copy and delete all but the first (earliest created, then
    smallest id) of each original. Every restore running at once decides the same survivor
    from what it sees, and the one that re-reads last sees every copy, so exactly one survives
    per original; the deleted ids are those this call's requests deleted."""
    copies: dict[str, list[Record]] = {}
    for record in client.find_by_field(TASKS_TABLE, RESTORED_FROM_FIELD, original_ids):
        copies.setdefault(record["fields"][RESTORED_FROM_FIELD], []).append(record)
    extra = [record["id"] for group in copies.values() for record in sorted(group, key=_copy_order)[1:]]
    return client.delete(TASKS_TABLE, extra) if extra else []


def restore_run(client: SsotClient, dedupe_run_id: str) -> RestoreReport:
    """Put back every record the dedupe run removed, with its original fields.

    Airtable cannot recreate a record id, so each restored record gets a new id and names its
    original in ``Restored From``. That field makes a second restore a no-op, and makes
    concurrent restores safe without any lock: each creates the copies it did not see, then
    removes every copy but one per original (``_keep_one_copy_each``), including copies a
    restore killed before its clean-up left behind. It works across processes and containers
    because it needs nothing but the table itself.
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
    extra = _keep_one_copy_each(client, original_ids)
    return RestoreReport(
        archived=len(archived),
        restored=[record["id"] for record in created if record["id"] not in extra],
        already_present=sum(record["id"] in present for record in archived),
        already_restored=sum(record["id"] in restored_before for record in archived),
        extra_copies_removed=extra,
    )
