#!/usr/bin/env bash
# Creates .venv with the project and its test tools, and a DAGSTER_HOME inside the project.
# Safe to run again: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".[test]"

export DAGSTER_HOME="$PWD/.dagster_home"
mkdir -p "$DAGSTER_HOME"
# The instance config follows the repository's: an older copy is kept beside it as dagster.yaml.bak.
if ! cmp -s deploy/dagster.local.yaml "$DAGSTER_HOME/dagster.yaml"; then
  [ -f "$DAGSTER_HOME/dagster.yaml" ] && cp "$DAGSTER_HOME/dagster.yaml" "$DAGSTER_HOME/dagster.yaml.bak"
  cp deploy/dagster.local.yaml "$DAGSTER_HOME/dagster.yaml"
fi
