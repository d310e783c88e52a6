"""The image's own command and health check, run here as ECS would run them: the code server
comes up and reports healthy with no network, no credentials and its instance database
unreachable. Loading the code location reads no database and calls no API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from dockerfile_parse import DockerfileParser

from tests.deploy.production_home import closed_port, postgres_environment, production_home
from tests.deploy.test_dockerfile import DOCKERFILE, healthcheck_command
from tests.deploy.tools import REPO

STARTUP_SECONDS = 60


def image_commands() -> tuple[list[str], list[str]]:
    found = {item["instruction"]: item["value"] for item in DockerfileParser(path=str(DOCKERFILE)).structure}
    return json.loads(found["CMD"]), healthcheck_command(found["HEALTHCHECK"])


def on_port(command: list[str], port: int, host: str | None = None) -> list[str]:
    """``command`` with its ``-p`` (and ``-h``) values replaced, the executable from this venv."""
    replaced = list(command)
    replaced[replaced.index("-p") + 1] = str(port)
    if host and "-h" in replaced:
        replaced[replaced.index("-h") + 1] = host
    replaced[0] = str(Path(sys.executable).parent / replaced[0])
    return replaced


def test_the_code_server_starts_and_is_healthy_without_network_or_database(tmp_path):
    serve, healthcheck = image_commands()
    port = closed_port()
    home = production_home(tmp_path / "dagster_home")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("CLAWBOT_", "AIRTABLE_", "HUBSPOT_", "N8N_", "DAGSTER_"))
    }
    environment.update(
        postgres_environment(f"postgresql://clawbot:s3cret@127.0.0.1:{closed_port()}/dagster"),
        DAGSTER_HOME=str(home),
        PYTHONPATH=str(REPO),
        # No route anywhere: any attempt to reach a proxy or AWS fails rather than waits.
        HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", AWS_EC2_METADATA_DISABLED="true",
    )
    server = subprocess.Popen(on_port(serve, port, host="127.0.0.1"), cwd=REPO, env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            check = subprocess.run(on_port(healthcheck, port), env=environment, capture_output=True, text=True, timeout=30)
            if check.returncode == 0:
                break
            assert server.poll() is None, f"the code server exited: {server.stdout.read()}"
            assert time.monotonic() < deadline, f"not healthy after {STARTUP_SECONDS} s: {check.stdout}{check.stderr}"
            time.sleep(0.5)
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "Started Dagster code server for module clawbot_assets.definitions" in output, output
    assert "s3cret" not in output
