"""Runs every scenario against one worker and says, for each, pass or fail and why."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Mapping, Sequence

from clawbot_assets.worker_conformance.environment import Backend, local_backend
from clawbot_assets.worker_conformance.scenarios import ROUNDS, SCENARIOS, Scenario

#: Runs the worker once with these variables (added to the kit's environment); returns its exit code.
Worker = Callable[[Mapping[str, str]], int]

#: The project's reference worker, run as any other worker would be.
REFERENCE_WORKER_COMMAND = f"{shlex.quote(sys.executable)} -m clawbot_assets.worker_conformance.reference_worker"


def _aws_airtable_backend() -> ContextManager[Backend]:
    from clawbot_assets.worker_conformance.environment_aws import aws_airtable_backend

    return aws_airtable_backend()


#: ``--backend``: where the queue, its DLQ and the task table live.
BACKENDS: dict[str, Callable[[], ContextManager[Backend]]] = {"local": local_backend, "aws-airtable": _aws_airtable_backend}


def command_worker(command: str, timeout: float = 120.0) -> Worker:
    """A worker given as a shell command that drains the queue once and exits."""
    def run(variables: Mapping[str, str]) -> int:
        try:
            return subprocess.run(command, shell=True, env={**os.environ, **variables}, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return -1
    return run


@dataclass
class ScenarioResult:
    name: str
    promise: str
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def run_scenario(scenario: Scenario, worker: Worker, workdir: Path, backend: Backend) -> ScenarioResult:
    started = time.monotonic()
    env = backend.environment(workdir / scenario.name)
    state = scenario.seed(env)
    exit_codes = []
    for round_ in range(1, ROUNDS + 1):
        exit_codes.append(worker(env.variables()))
        scenario.between_rounds(env, state, round_)
        env.expire_visibility()
    failures = scenario.judge(env, state, exit_codes)
    return ScenarioResult(scenario.name, scenario.promise, failures, time.monotonic() - started)


def run_kit(worker: Worker, scenarios: Sequence[Scenario] = SCENARIOS, backend: str = "local") -> list[ScenarioResult]:
    with tempfile.TemporaryDirectory(prefix="worker-conformance-") as workdir, BACKENDS[backend]() as opened:
        return [run_scenario(scenario, worker, Path(workdir), opened) for scenario in scenarios]


def render(results: Sequence[ScenarioResult]) -> str:
    lines = []
    for result in results:
        verdict = "PASS" if result.passed else "FAIL"
        lines.append(f"{verdict} {result.name} ({result.seconds:.1f} s): {result.promise}")
        lines.extend(f"     - {failure}" for failure in result.failures)
    failed = sum(not result.passed for result in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)
