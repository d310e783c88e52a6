"""Asset-check results read from the instance. Dagster 1.13 has no public reader for check
evaluations: the two readers used are in ``dagster_internals`` (``latest_check_execution``,
``completed_check_executions``), and this module turns what they return into the project's terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg

from clawbot_assets.instance.dagster_internals import completed_check_executions, latest_check_execution


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
    execution = latest_check_execution(instance, key)
    if execution is None:
        return None
    passed = bool(execution.evaluation and execution.evaluation.passed)
    return execution.status, execution.timestamp, passed


def check_evaluations_after(instance: dg.DagsterInstance, key: dg.AssetCheckKey, after_id: int, limit: int = 50) -> list[CheckEvaluation]:
    """Completed executions of one check with a record id above ``after_id``, oldest first (at
    most ``limit``, the newest ones). Per check, because the default SQLite event log is
    sharded by run and cannot filter every run's events by type."""
    return [
        CheckEvaluation(
            storage_id=execution.storage_id,
            run_id=execution.run_id,
            timestamp=execution.timestamp,
            asset=execution.evaluation.asset_key.to_user_string(),
            check=execution.evaluation.check_name,
            passed=execution.evaluation.passed,
            severity=execution.evaluation.severity.value,
            metadata=_metadata(execution.evaluation.metadata),
        )
        for execution in completed_check_executions(instance, key, limit)
        if execution.storage_id > after_id and execution.evaluation is not None
    ]
