"""Asset-check results read from the instance: the one module that reaches past Dagster's
public API (1.13 has no public reader for check evaluations). Both calls are covered by
tests/dagster/test_check_history.py, which breaks first if Dagster changes them.

- ``latest_check_record``: ``DagsterInstance.get_latest_asset_check_evaluation_record``.
- ``check_evaluations_after``: the event log storage's ``get_event_records`` (the instance's
  own ``get_event_records`` is deprecated) filtered on ``ASSET_CHECK_EVALUATION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg


@dataclass(frozen=True)
class CheckEvaluation:
    storage_id: int
    run_id: str
    timestamp: float
    asset: str
    check: str
    passed: bool
    severity: str
    metadata: dict[str, Any]

    @property
    def check_key(self) -> str:
        return f"{self.asset}:{self.check}"


def _metadata(values) -> dict[str, Any]:
    return {name: getattr(value, "value", value) for name, value in (values or {}).items()}


def latest_check_record(instance: dg.DagsterInstance, key: dg.AssetCheckKey) -> tuple[str, float, bool] | None:
    """``(status, timestamp, passed)`` of the latest execution of the check, or ``None``.
    ``status`` is ``PLANNED`` while it has not finished (or its step failed)."""
    record = instance.get_latest_asset_check_evaluation_record(key)
    if record is None:
        return None
    evaluation = record.event.dagster_event.event_specific_data if record.event and record.event.dagster_event else None
    passed = bool(getattr(evaluation, "passed", False))
    timestamp = record.event.timestamp if record.event else record.create_timestamp
    return record.status.value, timestamp, passed


def check_evaluations_after(instance: dg.DagsterInstance, storage_id: int, limit: int = 200) -> list[CheckEvaluation]:
    """Check evaluations stored after ``storage_id``, oldest first."""
    records = instance.event_log_storage.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=storage_id),
        limit=limit,
        ascending=True,
    )
    evaluations = []
    for record in records:
        data = record.event_log_entry.dagster_event.event_specific_data
        evaluations.append(CheckEvaluation(
            storage_id=record.storage_id,
            run_id=record.run_id,
            timestamp=record.timestamp,
            asset=data.asset_key.to_user_string(),
            check=data.check_name,
            passed=data.passed,
            severity=data.severity.value,
            metadata=_metadata(data.metadata),
        ))
    return evaluations


def latest_event_storage_id(instance: dg.DagsterInstance) -> int:
    """Where a new cursor starts: the newest check evaluation stored so far (0 without any)."""
    records = instance.event_log_storage.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), limit=1, ascending=False
    )
    return records[0].storage_id if records else 0
