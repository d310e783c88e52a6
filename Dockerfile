# The ClawBot code location (location "clawbot", module clawbot_assets.definitions).
# ECS runs it as the code server; the EcsRunLauncher starts every run from this same image with
# its own command, which is why there is no ENTRYPOINT. See docs/deploying.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home

WORKDIR /opt/dagster/app

# Pinned dependencies first: this layer is rebuilt only when the lock changes.
COPY deploy/requirements.lock deploy/requirements.lock
RUN pip install --no-cache-dir --requirement deploy/requirements.lock

# Then the project itself, without dependencies (all pinned above). Editable, so the code
# stays beside pyproject.toml, where Dagster's component tree looks for the project root and
# the playbook snapshot (clawbot_assets/defs/.local_defs_state/, copied when CI refreshed it
# before the build; without it the location loads with no playbook schedules).
COPY pyproject.toml workspace.yaml ./
COPY schedules schedules
COPY sensors sensors
COPY clawbot_assets clawbot_assets
RUN pip install --no-cache-dir --no-deps --editable .

# The run configs the runbooks pass with -c, run from a shell in the code server's task (ECS
# Exec, docs/runbooks/README.md).
COPY deploy/run_config deploy/run_config

# The production instance: run workers launched from this image read it.
COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml

# A numeric user, so the orchestrator can tell it is not root without reading /etc/passwd.
RUN groupadd --gid 10001 clawbot \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin clawbot \
    && mkdir -p /opt/dagster/app/.local_data \
    && chown -R 10001:10001 /opt/dagster/dagster_home /opt/dagster/app/.local_data
USER 10001:10001

EXPOSE 4000
# Healthy only if the location loads over gRPC and the instance database answers: Dagster's
# grpc-health-check passes even when every list_repositories fails (clawbot_assets/instance/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["python", "-m", "clawbot_assets.instance.healthcheck", "code-server", "--port", "4000"]
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "clawbot_assets.definitions"]
