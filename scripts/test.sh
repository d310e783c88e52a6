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

# Lint tools for the deployment files (hadolint, cfn-lint, checkov) live in a venv of their own,
# .venv-infra (git-ignored): checkov pins an older boto3 than dagster-aws needs. The tests find
# them through tests/deploy/tools.py; on CI (CI=true) a missing tool fails its test.
INFRA_PYTHON="${PYTHON:-python3.11}"
command -v "$INFRA_PYTHON" >/dev/null 2>&1 || INFRA_PYTHON=python3
if [ ! -x .venv-infra/bin/python ]; then
  "$INFRA_PYTHON" -m venv .venv-infra
  .venv-infra/bin/python -m pip install --quiet --upgrade pip >/dev/null
fi
.venv-infra/bin/python -m pip install --quiet -r deploy/infra-tools.txt

# Compiled modules are cached (__pycache__, git-ignored) even where the environment says not to
# write bytecode: otherwise every xdist worker and every CLI a test starts compiles the project and
# rewrites each test module's asserts again (3.6 s of each worker's 9.4 s collection).
unset PYTHONDONTWRITEBYTECODE
# Three workers: many tests wait on sockets, servers and rate limits, so two cores run three well;
# worksteal lets a worker that runs out take tests queued on another.
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-3}" --dist worksteal "$@"
