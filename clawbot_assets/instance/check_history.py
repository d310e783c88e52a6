"""Asset-check results read from the instance: the one module that reaches past Dagster's
public API (1.13 has no public reader for check evaluations). Both calls are covered by
tests/dagster/test_check_history.py, which breaks first if Dagster changes them.

- ``latest_check_record``: ``DagsterInstance.get_latest_asset_check_evaluation_record``.
- ``check_evaluations_after``: the event log storage's ``get_asset_check_execution_history``
  (the default SQLite storage is sharded by run, so ``get_event_records`` filtered on
  ``ASSET_CHECK_EVALUATION`` fails there, and the instance's own is deprecated).
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


def check_evaluations_after(instance: dg.DagsterInstance, key: dg.AssetCheckKey, after_id: int, limit: int = 50) -> list[CheckEvaluation]:
    """Completed executions of one check with a record id above ``after_id``, oldest first (at
    most ``limit``, the newest ones). Per check, because the default SQLite event log is
    sharded by run and cannot filter every run's events by type."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    records = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=limit, status={AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
    )
    evaluations = []
    for record in sorted(records, key=lambda r: r.id):
        if record.id <= after_id or record.event is None or record.event.dagster_event is None:
            continue
        data = record.event.dagster_event.event_specific_data
        evaluations.append(CheckEvaluation(
            storage_id=record.id,
            run_id=record.run_id,
            timestamp=record.event.timestamp,
            asset=data.asset_key.to_user_string(),
            check=data.check_name,
            passed=data.passed,
            severity=data.severity.value,
            metadata=_metadata(data.metadata),
        ))
    return evaluations
