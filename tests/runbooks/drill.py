"""Runbooks as tests: the commands an operator runs are the fenced blocks of
``docs/runbooks/<name>.md`` whose first line is ``# drill: <step>``. A drill extracts them and
runs them, as an operator would, in a shell at the repository root, pointed at a throwaway
Dagster home and embedded backend; or, where a command needs moto (which lives in the test's
process), executes the python block in process. Editing a command in a runbook changes what
its drill runs, so a runbook cannot rot silently.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from tests.instances import seed_storage

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks"
BLOCK = re.compile(r"^([ \t]*)```(bash|python)\n[ \t]*# drill: ([a-z0-9_-]+)\n(.*?)^[ \t]*```", re.S | re.M)
#: The test's own environment minus everything that could point a drill at a real system.
_DROPPED_PREFIXES = ("CLAWBOT_", "AIRTABLE_", "HUBSPOT_", "N8N_", "AWS_", "DAGSTER_", "OTEL_")
INSTANCE_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


def text(runbook: str) -> str:
    return (RUNBOOKS / f"{runbook}.md").read_text()


def blocks(runbook: str) -> dict[str, tuple[str, str]]:
    """``{step: (language, code)}`` of the runbook's drilled blocks."""
    found: dict[str, tuple[str, str]] = {}
    for indent, language, step, code in BLOCK.findall(text(runbook)):
        assert step not in found, f"{runbook}.md has two blocks named drill: {step}"
        found[step] = (language, textwrap.dedent(code) if indent else code)
    return found


def block(runbook: str, step: str, language: str = "bash") -> str:
    found = blocks(runbook)
    assert step in found, f"{runbook}.md has no ```{language} block starting '# drill: {step}'"
    assert found[step][0] == language, f"drill: {step} in {runbook}.md is {found[step][0]}, not {language}"
    return found[step][1]


def assert_documents(runbook: str, command: str) -> None:
    """For a step the drill performs by the equivalent Python call: the runbook still says it."""
    assert command in text(runbook), f"{runbook}.md no longer contains the command the drill maps: {command}"


@dataclass
class Operator:
    """The shell an operator types into: repository root as working directory, the venv's
    ``dagster`` and ``python`` first on PATH, ``DAGSTER_HOME`` and ``CLAWBOT_DATA_DIR`` throwaway."""

    home: Path
    data: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def under(cls, tmp: Path) -> "Operator":
        home, data = tmp / "dagster_home", tmp / "data"
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text(INSTANCE_YAML)
        return cls(seed_storage(home), data)

    def environ(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k != "PYTHONPATH"}
        return {
            **base,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "DAGSTER_HOME": str(self.home),
            "CLAWBOT_DATA_DIR": str(self.data),
            "NO_COLOR": "1",
            **self.env,
            **extra,
        }

    def run(self, runbook: str, step: str, *, expect_success: bool = True, **extra: str) -> subprocess.CompletedProcess:
        """Runs the block ``step`` of ``runbook`` with ``bash -euo pipefail``."""
        code = block(runbook, step)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=ROOT, env=self.environ(**extra),
                                capture_output=True, text=True, timeout=180)
        if expect_success:
            assert result.returncode == 0, f"{runbook}: drill step {step} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        else:
            assert result.returncode != 0, f"{runbook}: drill step {step} should have failed:\n{result.stdout[-2000:]}"
        return result

    def instance(self):
        import dagster as dg

        return dg.DagsterInstance.from_config(str(self.home))


def exec_python(runbook: str, step: str, monkeypatch, **environ: str) -> dict:
    """Executes the python block ``step`` in this process (so moto's mocks apply), with
    ``environ`` set as the operator's environment; returns its namespace."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    namespace: dict = {"__name__": "__main__"}
    exec(compile(block(runbook, step, "python"), f"{runbook}.md#{step}", "exec"), namespace)
    return namespace
