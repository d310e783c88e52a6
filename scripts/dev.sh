#!/usr/bin/env bash
# Sets everything up and runs ClawBot on the embedded local backend: the Dagster UI on
# http://127.0.0.1:3000, with the daemon running the schedules. No account, no configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

export DAGSTER_HOME="$PWD/.dagster_home"
# Seeds the demo on first use only, then snapshots the playbooks for their schedules.
.venv/bin/python -m clawbot_assets.demo seed
.venv/bin/dg utils refresh-defs-state
exec .venv/bin/dagster dev -w workspace.yaml -h "${DAGSTER_HOST:-127.0.0.1}" -p "${DAGSTER_PORT:-3000}"
