"""A DAGSTER_HOME holding the production deploy/dagster.yaml (optionally with sections left
out), and the DAGSTER_POSTGRES_* variables that point it at one database."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

import yaml

from tests.deploy.tools import REPO

PRODUCTION_CONFIG = REPO / "deploy" / "dagster.yaml"


def production_config() -> dict:
    return yaml.safe_load(PRODUCTION_CONFIG.read_text())


def production_home(directory: Path, without: Iterable[str] = ()) -> Path:
    """``directory``/dagster.yaml: the production config without the top-level keys ``without``
    (say ``run_launcher``, which then falls back to Dagster's default)."""
    config = {key: value for key, value in production_config().items() if key not in set(without)}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return directory


def postgres_environment(url: str, password: str = "not-checked-by-trust-auth") -> dict[str, str]:
    """The instance's variables for the database at ``url``. The test cluster trusts every
    local connection, so the password is only there to prove it is never shown."""
    parts = urlsplit(url)
    return {
        "DAGSTER_POSTGRES_USER": parts.username or "postgres",
        "DAGSTER_POSTGRES_PASSWORD": parts.password or password,
        "DAGSTER_POSTGRES_HOST": parts.hostname or "localhost",
        "DAGSTER_POSTGRES_PORT": str(parts.port or 5432),
        "DAGSTER_POSTGRES_DB": parts.path.lstrip("/"),
    }


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server of ``server_url``; its URL."""
    import psycopg

    name = f"dagster_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
