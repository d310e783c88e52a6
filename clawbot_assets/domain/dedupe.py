"""The dedupe plan for task_queue_sales (DESIGN §3), computed without touching any system.

Records sharing a derived key form a group. The survivor is the record whose Status is
furthest along (sent > queued > approved > pending > failed > intercepted > cancelled, unknown
last), then the earliest createdTime, then the smallest record id. Blanks in the survivor are
filled from the others in that same order, and every survivor ends up carrying its Key. Rows
no key can be derived from are kept and reported, never deleted.

Grouping and ranking run vectorised in pandas, so half a million records plan in seconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import pandas as pd

from clawbot_assets.domain.keys import derive_key

STATUS_ORDER = ("sent", "queued", "approved", "pending", "failed", "intercepted", "cancelled")
STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
UNKNOWN_STATUS_RANK = len(STATUS_ORDER)
FILLABLE_IGNORED = frozenset({"Key"})


def status_rank(status: Any) -> int:
    return STATUS_RANK.get(str(status or "").strip().lower(), UNKNOWN_STATUS_RANK)


@dataclass
class DedupePlan:
    records: int = 0
    keys: int = 0
    duplicate_groups: int = 0
    #: record ids to delete, each archived whole first (``removed``)
    deletes: list[str] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    #: (record id, fields to write): blanks filled and Key backfilled on survivors
    updates: list[tuple[str, dict]] = field(default_factory=list)
    #: keys whose group holds two or more ``sent`` records: deals already contacted twice
    contacted_twice: list[str] = field(default_factory=list)
    unkeyable: dict[str, str] = field(default_factory=dict)
    unknown_statuses: dict[str, str] = field(default_factory=dict)
    #: survivor record id per key, for the incremental key index
    survivors: dict[str, str] = field(default_factory=dict)
    #: createdTime day of every record that duplicated an earlier one
    duplicates_created_by_day: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {
            "records": self.records,
            "keys": self.keys,
            "duplicate_groups": self.duplicate_groups,
            "removed": len(self.deletes),
            "updated": len(self.updates),
            "deals_contacted_twice": len(self.contacted_twice),
            "unkeyable": len(self.unkeyable),
            "unknown_statuses": len(self.unknown_statuses),
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


def plan_dedupe(records: list[Mapping[str, Any]]) -> DedupePlan:
    plan = DedupePlan(records=len(records))
    if not records:
        return plan
    keys: list[str | None] = []
    ranks: list[int] = []
    for record in records:
        fields = record.get("fields") or {}
        derived = derive_key(fields)
        keys.append(derived.key)
        if derived.problem:
            plan.unkeyable[record["id"]] = derived.problem
        status = fields.get("Status")
        rank = status_rank(status)
        if rank == UNKNOWN_STATUS_RANK:
            plan.unknown_statuses[record["id"]] = str(status or "<blank>")
        ranks.append(rank)

    frame = pd.DataFrame(
        {
            "position": range(len(records)),
            "key": keys,
            "rank": ranks,
            "created": [record.get("createdTime", "") for record in records],
            "id": [record["id"] for record in records],
        }
    )
    frame = frame[frame["key"].notna()].sort_values(["key", "rank", "created", "id"], kind="mergesort")
    is_loser = frame["key"].duplicated(keep="first")
    in_group = frame["key"].duplicated(keep=False)
    plan.keys = int((~is_loser).sum())
    plan.survivors = dict(zip(frame.loc[~is_loser, "key"], frame.loc[~is_loser, "id"]))

    for position, key in zip(frame.loc[~in_group, "position"], frame.loc[~in_group, "key"]):
        if records[position].get("fields", {}).get("Key") != key:
            plan.updates.append((records[position]["id"], {"Key": key}))

    grouped = frame[in_group]
    duplicate_days: Counter[str] = Counter()
    for key, members in grouped.groupby("key", sort=False)["position"]:
        group = [records[position] for position in members]
        survivor, losers = group[0], group[1:]
        plan.duplicate_groups += 1
        plan.deletes += [loser["id"] for loser in losers]
        plan.removed += [dict(loser) for loser in losers]
        changes = _fill_blanks(survivor.get("fields", {}), (loser.get("fields", {}) for loser in losers))
        if survivor.get("fields", {}).get("Key") != key:
            changes["Key"] = key
        if changes:
            plan.updates.append((survivor["id"], changes))
        if sum(str(member.get("fields", {}).get("Status", "")).strip().lower() == "sent" for member in group) >= 2:
            plan.contacted_twice.append(str(key))
        by_creation = sorted(group, key=lambda member: (member.get("createdTime", ""), member["id"]))
        duplicate_days.update(member.get("createdTime", "")[:10] for member in by_creation[1:])
    plan.duplicates_created_by_day = dict(sorted(duplicate_days.items()))
    return plan
