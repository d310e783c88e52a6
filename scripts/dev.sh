#!/usr/bin/env bash
# Sets everything up and runs ClawBot on the embedded local backend: the Dagster UI on
# http://127.0.0.1:3000, with the daemon running the schedules. No account, no configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

export DAGSTER_HOME="$PWD/.dagster_home"
# The demo has no ClawBot password: say explicitly that its queue messages go unsigned.
export CLAWBOT_ALLOW_UNSIGNED="${CLAWBOT_ALLOW_UNSIGNED:-true}"
# Seeds the demo on first use only, then snapshots the playbooks for their schedules.
.venv/bin/python -m clawbot_assets.demo seed
.venv/bin/dg utils refresh-defs-state
# Validate the playbooks once now, so their checks show at once (the schedule does it hourly).
# On the demo, two checks fail on purpose: the broken COLD playbooks.
.venv/bin/dg launch --job playbooks_refresh >/dev/null 2>&1 \
  || echo "playbooks_refresh failed: open the Runs page in the UI to see why"
# The webserver and the daemon, on the code location pyproject.toml names ([tool.dg.project]:
# location clawbot, as in workspace.yaml, which deployments and `dagster` commands still use).
exec .venv/bin/dg dev -h "${DAGSTER_HOST:-127.0.0.1}" -p "${DAGSTER_PORT:-3000}"
