"""The dedupe plan for task_queue_sales (DESIGN §3), computed without touching any system.

Records sharing a derived key form a group. The survivor is the record whose Status is
furthest along (sent > queued > dispatching > approved > pending > failed > intercepted >
cancelled, unknown last; a record carrying the worker's ``Sent At`` is sent whatever its Status
says, as the task lifecycle reads it), then the earliest createdTime, then the smallest record id. Blanks in the survivor are
filled from the others in that same order, and every survivor ends up carrying its Key,
except one whose stored Key names another task (``keys.key_disagrees_with_fields``): that is
left for a person and listed by the ``keys_match_fields`` check, never rewritten. Rows
no key can be derived from are kept and reported, never deleted.

Slash dates are read by one convention for the whole table, inferred first from the dates that
can only be read one way (``dates.infer_date_convention``); the plan reports the convention, why
it was chosen, and the records whose date the other convention would read differently.

Status is read like any field (``fields``): a one-element list is its element. A Status of any
other unclear shape (several values, an object) is reported in ``unknown_statuses``, and the
record is kept out of every group and listed in ``unkeyable``: it is never deleted, nor ranked,
on a Status nobody can read (it might say ``sent``).

Keys are grouped as integer codes (pandas ``factorize``), and only records that really share
a key are ranked and merged, so half a million records plan in about a second.
"""

from __future__ import annotations

import gc
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from clawbot_assets.domain.dates import infer_date_convention
from clawbot_assets.domain.fields import FieldShapeError, shape_of, shown, unwrap
from clawbot_assets.domain.task_lifecycle import SENT_AT_FIELD, Status
from clawbot_assets.domain.keys import (
    KeyFieldError,
    derive_key,
    key_disagrees_with_fields,
    normalise_due_date,
    normalise_playbook,
    normalise_step,
)

#: ``dispatching`` (a task handed to the queue, not yet confirmed) ranks with the handed-over
#: statuses: a pending copy of it must never survive it and be dispatched a second time.
STATUS_ORDER = ("sent", "queued", "dispatching", "approved", "pending", "failed", "intercepted", "cancelled")
STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
UNKNOWN_STATUS_RANK = len(STATUS_ORDER)
RESTORED_FROM_FIELD = "Restored From"
#: Never copied from a removed record onto its survivor.
FILLABLE_IGNORED = frozenset({"Key", RESTORED_FROM_FIELD})


def status_rank(status: Any) -> int:
    try:
        status = unwrap(status, "Status")
    except FieldShapeError:
        return UNKNOWN_STATUS_RANK
    if not isinstance(status, str):
        return UNKNOWN_STATUS_RANK
    return STATUS_RANK.get(status.strip().lower(), UNKNOWN_STATUS_RANK)


def read_status(status: Any) -> tuple[int, str | None, bool]:
    """``(rank, reported as, readable)``: an unknown value is ranked last and reported; an unclear
    shape is also not readable (see the module docstring)."""
    if type(status) is str:
        rank = STATUS_RANK.get(status)
        if rank is not None:
            return rank, None, True
    try:
        value = unwrap(status, "Status")
    except FieldShapeError as error:
        return UNKNOWN_STATUS_RANK, str(error), False
    if value is not None and not isinstance(value, str):
        return UNKNOWN_STATUS_RANK, f"Status is {shape_of(value)} ({shown(value)}), not text", False
    rank = status_rank(value)
    if rank == UNKNOWN_STATUS_RANK:
        return rank, value or "<blank>", True
    return rank, None, True


@dataclass
class DedupePlan:
    records: int = 0
    keys: int = 0
    duplicate_groups: int = 0
    #: record ids to delete, each archived whole first (``removed``, the records as read)
    deletes: list[str] = field(default_factory=list)
    removed: list[Mapping[str, Any]] = field(default_factory=list)
    #: the key each deleted record's group shares, by record id
    delete_keys: dict[str, str] = field(default_factory=dict)
    #: (record id, fields to write) for survivors of duplicate groups: blanks filled, Key set
    updates: list[tuple[str, dict]] = field(default_factory=list)
    #: (record id, key) for records alone under their key that do not carry it yet
    key_backfills: list[tuple[str, str]] = field(default_factory=list)
    #: keys whose group holds two or more ``sent`` records: deals already contacted twice
    contacted_twice: list[str] = field(default_factory=list)
    unkeyable: dict[str, str] = field(default_factory=dict)
    unknown_statuses: dict[str, str] = field(default_factory=dict)
    #: survivor record id per key, for the incremental key index
    survivors: dict[str, str] = field(default_factory=dict)
    #: createdTime day of every record that duplicated an earlier one
    duplicates_created_by_day: dict[str, int] = field(default_factory=dict)
    #: how slash dates were read for the whole table: ``month-first`` or ``day-first``
    date_convention: str = "month-first"
    date_convention_reason: str = ""
    #: record ids whose slash date the other convention would read as another date
    ambiguous_dates: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int | str]:
        return {
            "records": self.records,
            "keys": self.keys,
            "duplicate_groups": self.duplicate_groups,
            "removed": len(self.deletes),
            "updated": len(self.updates) + len(self.key_backfills),
            "deals_contacted_twice": len(self.contacted_twice),
            "unkeyable": len(self.unkeyable),
            "unknown_statuses": len(self.unknown_statuses),
            "date_convention": self.date_convention,
            "ambiguous_dates": len(self.ambiguous_dates),
        }


def _fill_blanks(survivor: Mapping[str, Any], others: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    for other in others:
        for name, value in other.items():
            if name in FILLABLE_IGNORED or value in (None, "", []):
                continue
            if survivor.get(name) in (None, "", []) and name not in filled:
                filled[name] = value
    return filled


class _KeyDeriver:
    """``derive_key`` for a whole table, fast: playbook names, steps and dates repeat, so their
    normalised forms are memoised by raw value; anything unusual goes through ``derive_key``
    itself, which stays the one definition of the key."""

    def __init__(self, day_first: bool) -> None:
        self._day_first = day_first
        self._slugs: dict[Any, str | None] = {}
        self._dates: dict[Any, str | None] = {}
        self._steps: dict[Any, str | None] = {}

    @staticmethod
    def _memo(cache: dict, raw: Any, normalise) -> str | None:
        try:
            return cache[raw]
        except KeyError:
            try:
                value = normalise(raw)
            except (KeyFieldError, TypeError, ValueError):
                value = None
            cache[raw] = value
            return value
        except TypeError:
            return None

    def __call__(self, fields: Mapping[str, Any]) -> tuple[str | None, str | None]:
        deal = fields.get("Deal ID")
        if type(deal) is str:
            deal = deal.strip()
        elif type(deal) is int:
            deal = str(deal)
        else:
            deal = None
        slug = self._memo(self._slugs, fields.get("Playbook"), normalise_playbook)
        step = self._memo(self._steps, fields.get("Step"), normalise_step)
        due = self._memo(
            self._dates, fields.get("Due Date"), lambda raw: normalise_due_date(raw, day_first=self._day_first).isoformat()
        )
        if deal and deal.isdigit() and slug and step and due:
            return f"{slug}|{deal}|{step}|{due}", None
        derived = derive_key(fields, day_first=self._day_first)
        return derived.key, derived.problem


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Planning allocates a million small objects that all live on; CPython's cyclic collector
    would rescan them over and over (about a fifth of the time at 500,000 records). Nothing
    made here forms a cycle, so it is paused for the duration."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_dedupe(records: list[Mapping[str, Any]], *, day_first: bool | None = None) -> DedupePlan:
    """Group by derived key with integer codes; rank and merge only inside real groups.

    ``day_first`` imposes the slash-date convention; by default it is inferred from ``records``.
    A caller planning only part of a table (an incremental pass) should pass the convention of
    the whole table, or the same date may be read two ways in two runs.
    """
    with _collector_paused():
        return _plan(records, day_first)


def _plan(records: list[Mapping[str, Any]], day_first: bool | None) -> DedupePlan:
    # Imported here: pandas costs 0.3 s, and the code location must load in well under a second.
    import numpy as np
    import pandas as pd

    plan = DedupePlan(records=len(records))
    convention = infer_date_convention(
        ((record["id"], (record.get("fields") or {}).get("Due Date")) for record in records), day_first
    )
    plan.date_convention = convention.name
    plan.date_convention_reason = convention.reason
    plan.ambiguous_dates = list(convention.ambiguous)
    if not records:
        return plan
    derive = _KeyDeriver(convention.day_first)
    keys: list[str | None] = []
    stored_keys: list[Any] = []
    ranks: list[int] = []
    for record in records:
        fields = record.get("fields") or {}
        key, problem = derive(fields)
        rank, reported, readable = read_status(Status.SENT if fields.get(SENT_AT_FIELD) else fields.get("Status"))
        if reported is not None:
            plan.unknown_statuses[record["id"]] = reported
        if not readable:
            key, problem = None, f"{reported}: kept, and not deduplicated until it holds one status"
        keys.append(key)
        stored = fields.get("Key")
        stored_keys.append(stored if isinstance(stored, str) else None)
        if problem:
            plan.unkeyable[record["id"]] = problem
        ranks.append(rank)

    key_array = np.array(keys, dtype=object)
    codes, uniques = pd.factorize(key_array, use_na_sentinel=True)
    plan.keys = len(uniques)
    if not len(uniques):
        return plan
    sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
    in_group = (codes >= 0) & (sizes[np.maximum(codes, 0)] > 1)
    single = (codes >= 0) & ~in_group

    ids = np.array([record["id"] for record in records], dtype=object)
    plan.survivors = dict(zip(key_array[single].tolist(), ids[single].tolist()))
    needs_key = single & (np.array(stored_keys, dtype=object) != key_array)
    plan.key_backfills = [
        (record_id, key)
        for position, record_id, key in zip(np.flatnonzero(needs_key).tolist(), ids[needs_key].tolist(), key_array[needs_key].tolist())
        if not key_disagrees_with_fields(records[position].get("fields") or {})
    ]

    groups: dict[int, list[int]] = {}
    for position, code in zip(np.flatnonzero(in_group).tolist(), codes[in_group].tolist()):
        groups.setdefault(code, []).append(position)
    duplicate_days: Counter[str] = Counter()
    for positions in groups.values():
        positions.sort(key=lambda position: (ranks[position], records[position].get("createdTime", ""), records[position]["id"]))
        group = [records[position] for position in positions]
        key = keys[positions[0]]
        survivor, losers = group[0], group[1:]
        survivor_fields = survivor.get("fields") or {}
        plan.duplicate_groups += 1
        plan.survivors[key] = survivor["id"]
        plan.deletes += [loser["id"] for loser in losers]
        plan.delete_keys.update((loser["id"], key) for loser in losers)
        plan.removed += losers
        changes = _fill_blanks(survivor_fields, (loser.get("fields") or {} for loser in losers))
        if survivor_fields.get("Key") != key and not key_disagrees_with_fields(survivor_fields):
            changes["Key"] = key
        if changes:
            plan.updates.append((survivor["id"], changes))
        if sum(ranks[position] == STATUS_RANK["sent"] for position in positions) >= 2:
            plan.contacted_twice.append(key)
        first = min(group, key=lambda member: (member.get("createdTime", ""), member["id"]))
        duplicate_days.update(
            member.get("createdTime", "")[:10]
            for member in group
            if member is not first and not (member.get("fields") or {}).get(RESTORED_FROM_FIELD)
        )
    plan.duplicates_created_by_day = dict(sorted(duplicate_days.items()))
    return plan
