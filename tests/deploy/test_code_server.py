"""The image's own command and health check, run here as ECS would run them. Loading the code
location calls no API and needs no credential, but the code server opens its instance (the
production dagster.yaml, Postgres) at start: started while that database is unreachable it
answers every ``list_repositories`` with the cached error, while Dagster's gRPC health check
still passes. The image's health check (clawbot_assets/instance/healthcheck.py) fails then, and
whenever the database stops answering, so ECS replaces the task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
from dockerfile_parse import DockerfileParser
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.deploy.production_home import closed_port, drop_database, fresh_database, postgres_environment, production_home
from tests.deploy.test_dockerfile import DOCKERFILE, healthcheck_command
from tests.deploy.tools import REPO
from tests.infra.test_run_role_and_environment import container

STARTUP_SECONDS = 60
GRPC_HEALTH_CHECK = ["dagster", "api", "grpc-health-check", "-p", "4000"]


def image_commands() -> tuple[list[str], list[str]]:
    found = {item["instruction"]: item["value"] for item in DockerfileParser(path=str(DOCKERFILE)).structure}
    return json.loads(found["CMD"]), healthcheck_command(found["HEALTHCHECK"])


def on_port(command: list[str], port: int, host: str | None = None) -> list[str]:
    """``command`` with its ``-p``/``--port`` (and ``-h``) values replaced, the executable from this venv."""
    replaced = list(command)
    flag = "-p" if "-p" in replaced else "--port"
    replaced[replaced.index(flag) + 1] = str(port)
    if host and "-h" in replaced:
        replaced[replaced.index("-h") + 1] = host
    replaced[0] = str(Path(sys.executable).parent / replaced[0])
    return replaced


def server_environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("CLAWBOT_", "AIRTABLE_", "HUBSPOT_", "N8N_", "DAGSTER_"))
    }
    environment.update(
        postgres_environment(database_url, password="s3cret"),
        DAGSTER_HOME=str(production_home(tmp_path / "dagster_home", without=["run_launcher"])),
        PYTHONPATH=str(REPO),
        # No route anywhere: any attempt to reach a proxy or AWS fails rather than waits.
        HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", AWS_EC2_METADATA_DISABLED="true",
    )
    return environment


class CodeServer:
    """The image's CMD on a free port, and the two health checks against it."""

    def __init__(self, environment: dict[str, str]):
        serve, self.healthcheck = image_commands()
        self.port, self.environment = closed_port(), environment
        self.process = subprocess.Popen(on_port(serve, self.port, host="127.0.0.1"), cwd=REPO, env=environment,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def check(self, command: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(on_port(command, self.port), cwd=REPO, env=self.environment, capture_output=True, text=True, timeout=60)

    def answers_grpc_health(self) -> bool:
        """The question ``dagster api grpc-health-check`` asks, asked from this process: polling
        with the CLI would start a Python with Dagster every half second on the cores the
        starting server needs."""
        with grpc.insecure_channel(f"localhost:{self.port}") as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="DagsterApi"), timeout=2)
            except grpc.RpcError:
                return False
        return answer.status == health_pb2.HealthCheckResponse.SERVING

    def wait_until_serving(self) -> None:
        """Until the server answers; then Dagster's own check (the CLI) must pass too."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.answers_grpc_health():
            assert self.process.poll() is None, f"the code server exited: {self.process.stdout.read()}"
            assert time.monotonic() < deadline, f"no gRPC answer after {STARTUP_SECONDS} s"
            time.sleep(0.2)
        grpc_check = self.check(GRPC_HEALTH_CHECK)
        assert grpc_check.returncode == 0, grpc_check.stdout + grpc_check.stderr

    def stop(self) -> str:
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


def test_the_image_and_the_task_definition_run_the_same_health_check():
    _, healthcheck = image_commands()
    assert healthcheck == ["python", "-m", "clawbot_assets.instance.healthcheck", "code-server", "--port", "4000"]
    assert container("CodeServerTaskDefinition")["HealthCheck"]["Command"] == ["CMD", *healthcheck]


def test_a_code_server_started_without_its_database_is_unhealthy(tmp_path):
    """Postgres unreachable at start: gRPC answers (Dagster's check passes), the location does
    not load, and the image's check fails naming why, without the password."""
    server = CodeServer(server_environment(tmp_path, f"postgresql://clawbot@127.0.0.1:{closed_port()}/dagster"))
    try:
        server.wait_until_serving()
        check = server.check(server.healthcheck)
    finally:
        output = server.stop()
    assert "Started Dagster code server for module clawbot_assets.definitions" in output, output
    assert check.returncode == 1, check.stdout + check.stderr
    assert "cannot load its location" in check.stdout and "too many retries for DB connection" in check.stdout
    assert "s3cret" not in check.stdout + check.stderr + output


def test_a_healthy_code_server_turns_unhealthy_when_its_database_goes(tmp_path, postgres_url):
    """With its database the location loads and the check passes; the database dropped (as
    unreachable as an RDS failover makes it), the check fails although the location is cached."""
    database = fresh_database(postgres_url)
    server = CodeServer(server_environment(tmp_path, database))
    try:
        server.wait_until_serving()
        healthy = server.check(server.healthcheck)
        drop_database(database)
        gone = server.check(server.healthcheck)
        grpc_only = server.check(GRPC_HEALTH_CHECK)
    finally:
        server.stop()
        drop_database(database)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert gone.returncode == 1 and "instance database is unreachable" in gone.stdout, gone.stdout + gone.stderr
    assert grpc_only.returncode == 0, "Dagster's own check would have kept this task"
