"""cfn-lint and checkov live in their own venv, ``<repo>/.venv-infra`` (checkov pins an older
boto3 than the project's). Missing there: the test is skipped on a developer's machine and
fails in CI (``CI=true``), where the venv must have been built."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.infra.cfn_template import REPO

INFRA_VENV = REPO / ".venv-infra"


def infra_tool(name: str) -> Path:
    path = INFRA_VENV / "bin" / name
    if path.is_file() and os.access(path, os.X_OK):
        return path
    message = f"{name} is not installed in {INFRA_VENV} (see deploy/infra-tools.txt)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
