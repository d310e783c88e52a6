"""The daemon's ECS health check (``python -m clawbot_assets.instance.healthcheck daemon``): Dagster's own
``dagster-daemon liveness-check`` decides, and only a live daemon publishes the DaemonHeartbeat
datapoint that the alarm clawbot-daemon-heartbeat-stopped waits for. moto's CloudWatch; the
local instance (SQLite) holds the heartbeats, as Postgres does in production."""

from __future__ import annotations

import datetime
import os
import shutil
import sys
import time

import dagster as dg
import pytest
from dagster._daemon.types import DaemonHeartbeat

from clawbot_assets.instance import healthcheck
from clawbot_assets.observability.dashboards import HEARTBEAT
from tests.deploy.tools import REPO
from tests.infra.test_run_role_and_environment import container


@pytest.fixture
def daemon_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # the local config logs to a relative .dagster_home/
    (tmp_path / ".dagster_home").mkdir()
    # The health check runs dagster-daemon from the venv, as the image has it on PATH.
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    return home


@pytest.fixture
def cloudwatch(monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "CLAWBOT_METRICS": "cloudwatch"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        import boto3

        yield boto3.client("cloudwatch", region_name="eu-west-1")


def heartbeats(cloudwatch) -> int:
    """How many DaemonHeartbeat datapoints CloudWatch holds (their sum: each is 1)."""
    namespace, name = HEARTBEAT
    now = datetime.datetime.now(datetime.timezone.utc)
    points = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName=name, StartTime=now - datetime.timedelta(hours=1),
                                              EndTime=now + datetime.timedelta(minutes=1), Period=3600, Statistics=["Sum"])["Datapoints"]
    return int(sum(point["Sum"] for point in points))


def beat(home, seconds_ago: float) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for daemon_type in instance.get_required_daemon_types():
            instance.add_daemon_heartbeat(DaemonHeartbeat(time.time() - seconds_ago, daemon_type, "daemon-1", errors=[]))


def test_the_task_definition_runs_the_daemon_health_check():
    assert container("DaemonTaskDefinition")["HealthCheck"]["Command"] == ["CMD", "python", "-m", "clawbot_assets.instance.healthcheck", "daemon"]
    assert (HEARTBEAT[0], HEARTBEAT[1]) == (healthcheck.HEARTBEAT_NAMESPACE, healthcheck.HEARTBEAT_METRIC)


def test_no_daemon_no_heartbeat(daemon_home, cloudwatch, capsys):
    assert healthcheck.main(["daemon"]) == 1
    assert "liveness-check" in capsys.readouterr().out
    assert heartbeats(cloudwatch) == 0


def test_a_live_daemon_is_healthy_and_beats_a_stale_one_is_not(daemon_home, cloudwatch, capsys):
    beat(daemon_home, seconds_ago=5)
    assert healthcheck.main(["daemon"]) == 0, capsys.readouterr().out
    assert heartbeats(cloudwatch) == 1
    assert healthcheck.main(["daemon"]) == 0 and heartbeats(cloudwatch) == 2
    beat(daemon_home, seconds_ago=3600)
    assert healthcheck.main(["daemon"]) == 1
    assert heartbeats(cloudwatch) == 2, "a stale daemon publishes nothing, so the alarm fires"


def test_a_cloudwatch_that_never_answers_costs_the_heartbeat_seconds_not_the_health_check(monkeypatch):
    """The heartbeat gets one attempt with short timeouts: against an endpoint that accepts and
    never answers it gives up well inside the task's 25 s check (boto3's defaults wait 60 s, then retry)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    monkeypatch.setenv("CLAWBOT_METRICS", "cloudwatch")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    started = time.monotonic()
    try:
        with pytest.raises(Exception, match="(?i)read timeout"):
            healthcheck.publish_heartbeat()
    finally:
        listener.close()
    assert time.monotonic() - started < 25 - healthcheck.LIVENESS_TIMEOUT_SECONDS
