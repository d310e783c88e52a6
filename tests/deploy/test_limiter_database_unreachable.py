"""Bad input: the Postgres that holds the shared Airtable rate limiter is unreachable when a
playbook run starts. The run fails saying so, naming host:port and never the password, and
Airtable receives nothing: the limiter is built, and its database reached, before the first
request."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import zlib

import dagster as dg
import pytest

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.demo.data import backlog_records, playbook_records
from clawbot_assets.names import PLAYBOOK_PARTITIONS
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.dagster.helpers import defs_for
from tests.deploy.production_home import closed_port
from tests.deploy.tools import REPO
from tests.fakes.airtable_server import FakeAirtable

PLAYBOOK = "churn_rescue"
PASSWORD = "Zq7mB8-s3cretPW"
#: A password with an unencoded ``#``: ``urllib.parse`` reads ``#cd...`` as a URL fragment.
HASHED_PASSWORD = "Xk9vT4#Wq2mN8-s3cretPW"


def failure_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Each failed step's error and its causes, as the run page shows them."""
    messages = []
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        error, chain = event.dagster_event.event_specific_data.error, []
        while error is not None:
            chain.append(error.message)
            error = error.cause
        messages.append("\n".join(chain))
    return messages


def limiter_urls(port: int) -> dict[str, str]:
    """One database, every way a URL can carry its password (issue 15, finding 9)."""
    return {
        "url": f"postgresql://clawbot:{PASSWORD}@127.0.0.1:{port}/clawbot",
        "url parameter": f"postgresql://clawbot@127.0.0.1:{port}/clawbot?password={PASSWORD}&connect_timeout=3",
        "unencoded #": f"postgresql://clawbot:{HASHED_PASSWORD}@127.0.0.1:{port}/clawbot",
        "key=value": f"host=127.0.0.1 port={port} user=clawbot password={PASSWORD} dbname=clawbot",
    }


@pytest.mark.parametrize("form", ["url", "url parameter", "unencoded #", "key=value"])
def test_a_playbook_run_fails_clearly_and_sends_nothing_when_the_limiter_database_is_down(local_resources, data_dir, instance, form):
    port = closed_port()
    url = limiter_urls(port)[form]
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        ssot = airtable_resource(server, data_dir, rate_limiter_url=url)
        instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, [PLAYBOOK])
        result = defs_for({**local_resources, "ssot": ssot}).resolve_job_def("playbook_run").execute_in_process(
            instance=instance, partition_key=PLAYBOOK, raise_on_error=False
        )
        requests = server.total_requests

    assert not result.success
    [message] = failure_messages(instance, result.run_id)
    assert f"Postgres at 127.0.0.1:{port} is unreachable" in message, message
    assert "none was sent" in message and "CLAWBOT_RATE_LIMITER_URL" in message
    assert requests == 0, "not one request reached Airtable, let alone a write"
    everything_logged = "\n".join(str(record) for record in instance.all_logs(result.run_id))
    assert not secret_parts_in(everything_logged) and not secret_parts_in(message)
    assert "clawbot:***@" in message or "password=***" in message


def secret_parts_in(text: str) -> list[str]:
    """Any part of either password that shows in ``text``: the parts a misparsed URL splits
    them into. Each is six characters or more, so that compressed bytes in a file (Dagster's
    snapshots) cannot match one by chance, as a three-character part once did in CI."""
    return [part for part in ("Zq7mB8", "s3cretPW", "Xk9vT4", "Wq2mN8") if part in text]


def stored_text(path) -> str:
    """What a file holds, as text. A SQLite database is read through sqlite3, cell by cell,
    with its zlib-compressed blobs (Dagster's snapshots) decompressed, so that a secret inside
    a compressed blob is found too."""
    raw = path.read_bytes()
    if not raw.startswith(b"SQLite format 3\x00"):
        return raw.decode("utf-8", "replace")
    cells = []
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
        for (table,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in database.execute(f'SELECT * FROM "{table}"'):
                cells.extend(readable(cell) for cell in row)
    return "\n".join(cells)


def readable(cell) -> str:
    if not isinstance(cell, bytes):
        return str(cell)
    try:
        return zlib.decompress(cell).decode("utf-8", "replace")
    except zlib.error:
        return cell.decode("utf-8", "replace")


def test_on_the_command_line_the_password_reaches_neither_output_nor_storage_nor_compute_logs(tmp_path):
    """``dagster job execute`` as an operator runs it, with the code location's in-process executor
    (the run's output is captured into compute logs) and SQLite storage in DAGSTER_HOME:
    the password, in the two forms ``urllib.parse`` misreads, is in none of the CLI's output
    and in no file the run leaves behind (run storage, event log, compute logs, JSON logs)."""
    home = tmp_path / ".dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    port = closed_port()
    for form in ("url parameter", "unencoded #"):
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith(("CLAWBOT_", "AIRTABLE_", "DAGSTER_"))},
            "DAGSTER_HOME": str(home),
            "CLAWBOT_DATA_DIR": str(tmp_path / "data"),
            "CLAWBOT_SSOT": "airtable",
            "AIRTABLE_API_KEY": TOKEN,
            "AIRTABLE_BASE_ID": BASE_ID,
            "AIRTABLE_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
            "CLAWBOT_RATE_LIMITER_URL": limiter_urls(port)[form],
        }
        command = [sys.executable, "-m", "dagster", "job", "execute", "-m", "clawbot_assets.definitions", "-j", "playbooks_refresh"]
        finished = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
        output = finished.stdout + finished.stderr
        assert finished.returncode != 0 and f"Postgres at 127.0.0.1:{port} is unreachable" in output, output[-3000:]
        assert not secret_parts_in(output), form
    stored = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix in (".err", ".out", ".complete") or "compute_logs" in str(path) for path in stored), "compute logs were captured"
    leaking = [str(path) for path in stored for part in secret_parts_in(stored_text(path))]
    assert leaking == []
