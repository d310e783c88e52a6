"""n8n's executions as evidence that a workflow really ran. Pure.

``GET /api/v1/executions`` answers, newest first, objects with ``id``, ``workflowId``,
``status`` (``success``, ``error``, ``crashed``, ``canceled``, ``running``, ``waiting``, ``new``)
and ``startedAt``. ``ExecutionHistory`` is what the audit keeps of them for one playbook: its
latest execution, its latest success and the failures read, or why they are unknown (no
``execution:read`` scope, an n8n without the endpoint, the request budget spent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from clawbot_assets.domain.n8n_schedule import api_timestamp

#: Statuses that mean the workflow ran and failed.
FAILING = ("error", "crashed")
SUCCESS = "success"


@dataclass(frozen=True)
class N8nExecution:
    id: str
    workflow_id: str
    status: str
    started_at: dt.datetime

    def describe(self) -> str:
        return f"{self.status} at {self.started_at.isoformat(timespec='minutes')} (execution {self.id})"


@dataclass(frozen=True)
class ExecutionHistory:
    last: N8nExecution | None = None
    last_success: N8nExecution | None = None
    failures: tuple[N8nExecution, ...] = ()
    #: Why the executions are unknown; ``None`` when they were read.
    problem: str | None = None

    def describe(self) -> str:
        if self.problem:
            return f"unknown ({self.problem})"
        return self.last.describe() if self.last else "none in n8n"


def parse_execution(raw: Any) -> N8nExecution | None:
    """One execution object, or ``None`` when it lacks an id or a readable ``startedAt``."""
    if not isinstance(raw, Mapping) or raw.get("id") is None:
        return None
    at = api_timestamp(raw.get("startedAt"))
    if at is None:
        return None
    status = raw.get("status") or ("success" if raw.get("finished") else "unknown")
    return N8nExecution(str(raw["id"]), str(raw.get("workflowId") or ""), str(status), at)


def history(executions: Iterable[N8nExecution], problems: Iterable[str] = ()) -> ExecutionHistory:
    """One playbook's executions (of all its workflows) summed up; any problem makes it unknown."""
    problem = "; ".join(problems)
    if problem:
        return ExecutionHistory(problem=problem)
    ordered = sorted(executions, key=lambda execution: execution.started_at, reverse=True)
    return ExecutionHistory(
        last=ordered[0] if ordered else None,
        last_success=next((execution for execution in ordered if execution.status == SUCCESS), None),
        failures=tuple(execution for execution in ordered if execution.status in FAILING),
    )
