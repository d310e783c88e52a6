"""Container health checks for ECS that fail when the container cannot do its job, not only when
its process is gone.

    python -m clawbot_assets.instance.healthcheck code-server [--port 4000]
    python -m clawbot_assets.instance.healthcheck daemon

**code-server.** ``dagster api grpc-health-check`` only asks the gRPC server whether it
answers. A code server that started while its Postgres was unreachable (an RDS failover) answers
every call with the instance error it cached at start, and ``list_repositories`` fails for
ever: the webserver and daemon cannot load the location, yet the gRPC check passes. This check
passes only if ``list_repositories`` returns repositories and the instance database answers
now; otherwise ECS replaces the task, and a task started after the database is back is whole.

**daemon.** Dagster's own ``dagster-daemon liveness-check`` (every daemon's heartbeat in the
instance database is recent). When it passes, and only then, one datapoint ``DaemonHeartbeat``
= 1 goes to CloudWatch (namespace ``ClawBot/Dagster``, every health-check interval, 30 s). The
alarm ``clawbot-daemon-heartbeat-stopped`` fires when none arrived for 15 minutes: a daemon that
is stuck, crashed, cannot reach its database, or whose task cannot even be placed.

Exit status 0 healthy, 1 not; one line on stdout says why (never a credential).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

HEARTBEAT_NAMESPACE = "ClawBot/Dagster"
HEARTBEAT_METRIC = "DaemonHeartbeat"
LIVENESS_TIMEOUT_SECONDS = 20
#: The heartbeat's share of the task's 25 s health check, beside the liveness check's 20 s: one
#: attempt, 2 s to connect and 2 s to read. boto3's defaults (60 s each, retried) would outlast
#: the check, and ECS would replace a live daemon because CloudWatch was slow.
HEARTBEAT_CLIENT_CONFIG = {"connect_timeout": 2, "read_timeout": 2, "retries": {"total_max_attempts": 1}}


def code_server_problem(port: int, host: str = "127.0.0.1") -> str | None:
    """Why the code server on ``port`` cannot serve its location, or None."""
    from clawbot_assets.instance.dagster_internals import code_server_load_error

    try:
        load_error = code_server_load_error(port, host)
    except Exception as error:  # noqa: BLE001 - any failure to answer is unhealthy
        return f"the code server on port {port} does not answer: {type(error).__name__}"
    if load_error is not None:
        return f"the code server cannot load its location: {load_error.strip().splitlines()[0]}"
    return instance_database_problem()


def instance_database_problem() -> str | None:
    """Whether the instance (``DAGSTER_HOME``) reaches its run storage now."""
    import dagster as dg

    try:
        with dg.DagsterInstance.get() as instance:
            instance.get_run_records(limit=1)
    except Exception as error:  # noqa: BLE001 - the reason is shown, not raised
        return f"the instance database is unreachable: {type(error).__name__}"
    return None


def daemon_problem() -> str | None:
    """Dagster's own liveness check of every daemon's heartbeat."""
    try:
        result = subprocess.run(
            ["dagster-daemon", "liveness-check"], capture_output=True, text=True, timeout=LIVENESS_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return "dagster-daemon liveness-check did not answer"
    if result.returncode != 0:
        lines = (result.stdout or result.stderr).strip().splitlines()
        return f"dagster-daemon liveness-check: {lines[-1] if lines else result.returncode}"
    return None


def publish_heartbeat() -> None:
    """One ``DaemonHeartbeat`` datapoint, when the stack asks for CloudWatch metrics."""
    if os.environ.get("CLAWBOT_METRICS") != "cloudwatch":
        return
    import boto3
    from botocore.config import Config

    boto3.client("cloudwatch", config=Config(**HEARTBEAT_CLIENT_CONFIG)).put_metric_data(
        Namespace=HEARTBEAT_NAMESPACE, MetricData=[{"MetricName": HEARTBEAT_METRIC, "Value": 1.0, "Unit": "Count"}]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clawbot_assets.instance.healthcheck", description=__doc__.split("\n\n")[0])
    which = parser.add_subparsers(dest="which", required=True)
    code_server = which.add_parser("code-server")
    code_server.add_argument("--port", type=int, default=4000)
    which.add_parser("daemon")
    arguments = parser.parse_args(argv)
    if arguments.which == "code-server":
        problem = code_server_problem(arguments.port)
    else:
        problem = daemon_problem()
        if problem is None:
            try:
                publish_heartbeat()
            except Exception as error:  # noqa: BLE001 - the daemon is healthy; the alarm will tell
                print(f"daemon live; heartbeat metric not published: {type(error).__name__}")
                return 0
    print(problem or f"{arguments.which} healthy")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main())
