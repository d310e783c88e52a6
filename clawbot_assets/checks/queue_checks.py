"""Checks on ``task_queue_sales``. They read what they need from the asset's last
materialisation and the dedupe history in the event log, and re-read the SSOT: nothing comes
from a pickled output, so a check re-executed in another container sees the same facts."""

import datetime as dt
from collections import defaultdict
from typing import Iterable

import dagster as dg

from clawbot_assets.adapters.ssot import KEY_FIELD, TASKS_TABLE, Record
from clawbot_assets.assets.dedupe_events import ASSET_KEY, read_history
from clawbot_assets.assets.task_queue_sales import LISTED, listed, task_queue_sales
from clawbot_assets.checks.selection import selected_check_names
from clawbot_assets.domain.duplicate_audit import seven_day_verdict
from clawbot_assets.domain.keys import derive_key, key_disagrees_with_fields
from clawbot_assets.names import AIRTABLE_POOL, Checks
from clawbot_assets.resources.ssot import SsotResource


def duplicate_keys(records: Iterable[Record], day_first: bool) -> dict[str, list[str]]:
    """``{key: record ids}`` for every key, stored or derived, held by more than one record."""
    holders: dict[str, set[str]] = defaultdict(set)
    for record in records:
        fields = record.get("fields") or {}
        for key in {fields.get(KEY_FIELD), derive_key(fields, day_first=day_first).key} - {None, ""}:
            holders[key].add(record["id"])
    return {key: sorted(ids) for key, ids in holders.items() if len(ids) > 1}


def _latest_metadata(instance: dg.DagsterInstance) -> dict:
    event = instance.get_latest_materialization_event(ASSET_KEY)
    materialization = event.asset_materialization if event else None
    return {name: value.value for name, value in (materialization.metadata if materialization else {}).items()}


def day_first(metadata: dict) -> bool:
    """The slash-date convention the last run used (month-first before any run)."""
    return metadata.get("date_convention") == "day-first"


def verification_records(client, metadata: dict) -> list[Record]:
    """Re-read what the last run could have left duplicated: the whole table after a full pass;
    after an incremental one, the records changed since its window opened and every record
    holding one of their keys."""
    if metadata.get("mode") != "incremental" or not metadata.get("audited_from"):
        return client.list_records(TASKS_TABLE)
    changed = client.list_records(TASKS_TABLE, changed_since=dt.datetime.fromisoformat(metadata["audited_from"]))
    keys = {key for record in changed if (key := derive_key(record.get("fields") or {}, day_first=day_first(metadata)).key)}
    seen = {record["id"] for record in changed}
    return changed + [record for record in client.find_by_keys(TASKS_TABLE, sorted(keys)) if record["id"] not in seen]


@dg.multi_asset_check(
    pool=AIRTABLE_POOL,
    can_subset=True,
    specs=[
        dg.AssetCheckSpec(Checks.UNIQUE_COMPOSITE_KEY, asset=task_queue_sales, blocking=True,
                          description="No two records share a Key. Blocking: a failure stops everything downstream."),
        dg.AssetCheckSpec(Checks.EVERY_RECORD_HAS_KEY, asset=task_queue_sales,
                          description="Every record carries its Key; rows no key can be derived from are listed."),
        dg.AssetCheckSpec(Checks.KEYS_MATCH_FIELDS, asset=task_queue_sales,
                          description="No stored Key names another task than its record's own fields. Playbook runs "
                                      "never write to such a record; a person decides which is right."),
    ],
)
def key_integrity(context: dg.AssetCheckExecutionContext, ssot: SsotResource) -> Iterable[dg.AssetCheckResult]:
    """One re-read of the table serves the three checks (those the run selected)."""
    selected = selected_check_names(context)
    yield from (result for result in _key_integrity_results(context, ssot) if result.check_name in selected)


def _key_integrity_results(context: dg.AssetCheckExecutionContext, ssot: SsotResource) -> Iterable[dg.AssetCheckResult]:
    metadata = _latest_metadata(context.instance)
    records = verification_records(ssot.client(), metadata)
    duplicates = duplicate_keys(records, day_first(metadata))
    yield dg.AssetCheckResult(
        check_name=Checks.UNIQUE_COMPOSITE_KEY,
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"duplicate_keys": len(duplicates), "offenders": listed(duplicates), "records_verified": len(records)},
    )
    missing = {
        record["id"]: derive_key(record.get("fields") or {}, day_first=day_first(metadata)).problem or "Key not written"
        for record in records
        if not (record.get("fields") or {}).get(KEY_FIELD)
    }
    missing.update(metadata.get("unkeyable_records") or {})
    yield dg.AssetCheckResult(
        check_name=Checks.EVERY_RECORD_HAS_KEY,
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"missing_key": len(missing), "offenders": listed(missing)},
    )
    mismatched = mismatched_keys(records)
    yield dg.AssetCheckResult(
        check_name=Checks.KEYS_MATCH_FIELDS,
        passed=not mismatched,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"key_mismatch": len(mismatched), "offenders": listed(mismatched)},
    )


def mismatched_keys(records: Iterable[Record]) -> dict[str, dict[str, str]]:
    """``{record id: {"Key": stored, "fields": what they say}}`` for each record whose stored
    Key no reading of its own fields gives (``keys.key_disagrees_with_fields``)."""
    found = {}
    for record in records:
        fields = record.get("fields") or {}
        if key_disagrees_with_fields(fields):
            said = derive_key({name: value for name, value in fields.items() if name != KEY_FIELD})
            found[record["id"]] = {"Key": fields[KEY_FIELD], "fields": said.key or ""}
    return found


@dg.asset_check(asset=task_queue_sales, name=Checks.NO_NEW_DUPLICATES_7D)
def no_new_duplicates_7d(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """No duplicate was created in the last 7 whole days, by the dedupe history. A day no
    dedupe run covered is listed as unaudited and fails the check too, as a warning."""
    today = dt.datetime.now(dt.timezone.utc).date()
    verdict = seven_day_verdict(read_history(context.instance).runs, today)
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


@dg.asset_check(asset=task_queue_sales, name=Checks.NO_DEAL_CONTACTED_TWICE)
def no_deal_contacted_twice(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """No deal contacted twice is waiting for follow-up. Damage already done stays listed here
    until someone acknowledges it with the acknowledge_contacted_twice job."""
    open_keys = read_history(context.instance).open_contacted_twice()
    return dg.AssetCheckResult(
        passed=not open_keys,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"deals_contacted_twice": len(open_keys), "keys": dg.MetadataValue.json(open_keys[:LISTED])},
    )
