#!/usr/bin/env bash
# Installs what the tests need and runs them all. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# The Postgres rate-limit tests start a throwaway cluster of their own; they need its binaries
# (CI runs as root on a fresh Debian machine). The package's own service is not used.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null 2>&1 \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# The "what's live" page test drives Debian's chromium through playwright (playwright's own
# browser download is not used). Same rules as above: root with apt-get, quiet, idempotent.
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ] \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# Three workers: most tests wait on sockets and rate limits, so even two cores run three well.
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-3}" "$@"
