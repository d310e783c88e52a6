"""Where the deployment lint tools live: ``<repo>/.venv-infra/bin``, a venv of their own that
scripts/test.sh creates from deploy/infra-tools.txt (checkov pins an older boto3 than
dagster-aws needs, so they cannot share the project's venv).

A missing tool skips its test on a workstation and fails it on CI (``CI=true``), which must
never pass a lint silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA_BIN = REPO / ".venv-infra" / "bin"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def infra_tool(name: str) -> Path:
    """The path of ``name`` in .venv-infra; skips (locally) or fails (on CI) when it is missing."""
    path = INFRA_BIN / name
    if path.is_file() and os.access(path, os.X_OK):
        return path
    message = f"{name} is not installed in {INFRA_BIN}: run scripts/test.sh, which installs deploy/infra-tools.txt there"
    if on_ci():
        pytest.fail(message)
    pytest.skip(message)
