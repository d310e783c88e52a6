"""Checks on ``task_queue_sales``: one record per Key, every record keyed, no new duplicates."""

import datetime as dt
from collections import defaultdict
from typing import Iterable

import dagster as dg

from clawbot_assets.adapters.ssot import KEY_FIELD, TASKS_TABLE, Record
from clawbot_assets.assets.task_queue_sales import LISTED, task_queue_sales
from clawbot_assets.domain.duplicate_audit import seven_day_verdict
from clawbot_assets.domain.keys import derive_key
from clawbot_assets.names import AIRTABLE_POOL, Checks
from clawbot_assets.resources.ssot_resource import SsotResource
from clawbot_assets.services.dedupe_runner import DedupeReport


def duplicate_keys(records: Iterable[Record]) -> dict[str, list[str]]:
    """``{key: record ids}`` for every key, stored or derived, held by more than one record."""
    holders: dict[str, set[str]] = defaultdict(set)
    for record in records:
        fields = record.get("fields") or {}
        for key in {fields.get(KEY_FIELD), derive_key(fields).key} - {None, ""}:
            holders[key].add(record["id"])
    return {key: sorted(ids) for key, ids in holders.items() if len(ids) > 1}


def verification_records(report: DedupeReport, ssot: SsotResource) -> list[Record]:
    """Re-read what the run could have left duplicated: the whole table after a full pass,
    the keys it touched after an incremental one (records it found no key for are added from
    its plan, since no key lookup can return them)."""
    client = ssot.client()
    if report.mode == "full":
        return client.list_records(TASKS_TABLE)
    return client.find_by_keys(TASKS_TABLE, report.keys_touched)


@dg.multi_asset_check(
    pool=AIRTABLE_POOL,
    specs=[
        dg.AssetCheckSpec(Checks.UNIQUE_COMPOSITE_KEY, asset=task_queue_sales, blocking=True,
                          description="No two records share a Key. Blocking: a failure stops everything downstream."),
        dg.AssetCheckSpec(Checks.EVERY_RECORD_HAS_KEY, asset=task_queue_sales,
                          description="Every record carries its Key; rows no key can be derived from are listed."),
    ]
)
def key_integrity(task_queue_sales: DedupeReport, ssot: SsotResource) -> Iterable[dg.AssetCheckResult]:
    if task_queue_sales.dry_run:
        plan = task_queue_sales.plan
        groups = plan.duplicate_groups
        missing_key = len(plan.key_backfills) + sum("Key" in changes for _record_id, changes in plan.updates)
        yield dg.AssetCheckResult(
            check_name=Checks.UNIQUE_COMPOSITE_KEY,
            passed=groups == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"duplicate_keys": groups, "dry_run": True, "planned_deletes": len(plan.deletes)},
        )
        yield dg.AssetCheckResult(
            check_name=Checks.EVERY_RECORD_HAS_KEY,
            passed=not plan.unkeyable and not missing_key,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"unkeyable": len(plan.unkeyable), "missing_key": missing_key, "dry_run": True},
        )
        return
    records = verification_records(task_queue_sales, ssot)
    duplicates = duplicate_keys(records)
    yield dg.AssetCheckResult(
        check_name=Checks.UNIQUE_COMPOSITE_KEY,
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "duplicate_keys": len(duplicates),
            "offenders": dg.MetadataValue.json(dict(list(duplicates.items())[:LISTED])),
            "records_verified": len(records),
        },
    )
    missing = {
        record["id"]: derive_key(record.get("fields") or {}).problem or "Key not written"
        for record in records
        if not (record.get("fields") or {}).get(KEY_FIELD)
    }
    missing.update(task_queue_sales.plan.unkeyable)
    yield dg.AssetCheckResult(
        check_name=Checks.EVERY_RECORD_HAS_KEY,
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"missing_key": len(missing), "offenders": dg.MetadataValue.json(dict(list(missing.items())[:LISTED]))},
    )


@dg.asset_check(asset=task_queue_sales, name=Checks.NO_NEW_DUPLICATES_7D)
def no_new_duplicates_7d(ssot: SsotResource) -> dg.AssetCheckResult:
    """No duplicate was created in the last 7 whole days, by the dedupe history. A day no
    dedupe run covered is listed as unaudited and fails the check too, as a warning."""
    today = dt.datetime.now(dt.timezone.utc).date()
    runs = ssot.dedupe_state().runs_since(dt.datetime.combine(today - dt.timedelta(days=30), dt.time(), dt.timezone.utc))
    verdict = seven_day_verdict(runs, today)
    return dg.AssetCheckResult(
        passed=verdict.clean,
        severity=dg.AssetCheckSeverity.ERROR if verdict.duplicates else dg.AssetCheckSeverity.WARN,
        metadata={
            "duplicates_created": verdict.duplicates,
            "duplicates_by_day": dg.MetadataValue.json(verdict.duplicates_by_day),
            "unaudited_days": dg.MetadataValue.json(list(verdict.unaudited_days)),
            "days": dg.MetadataValue.json(list(verdict.days)),
        },
    )
