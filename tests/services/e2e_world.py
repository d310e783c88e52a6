"""The dispatch path on real adapters for the issue-15 end-to-end tests: an SSOT (local SQLite or
pyairtable against the Airtable fake) and a queue (the local SQLite queue or boto3 against moto's
HTTP server), described by a ``World`` that a worker in another process rebuilds from JSON.

``python -m tests.services.e2e_world '<world json>' <deliveries file> [crash]`` runs the
reference worker once in its own process: every delivered Key is appended to the deliveries
file; with ``crash`` the process dies (``os._exit``) at its first DeleteMessage, after sending
and marking its first task, as a worker killed at that moment would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE

ROOT = Path(__file__).resolve().parents[2]
SIGNING_KEY = "e2e-clawbot-password"


@dataclass(frozen=True)
class World:
    ssot: str
    queue: str
    data_dir: str
    airtable_url: str = ""
    sqs_endpoint: str = ""
    queue_url: str = ""
    dlq_url: str = ""

    def ssot_client(self):
        if self.ssot == "local":
            from clawbot_assets.adapters.ssot_local import LocalSsot

            return LocalSsot(Path(self.data_dir) / "ssot.sqlite")
        from tests.conftest import airtable_resource

        return airtable_resource(SimpleNamespace(url=self.airtable_url), self.data_dir).client()

    def queues(self):
        """``(queue, dlq)`` with maxReceiveCount 3."""
        if self.queue == "local":
            from clawbot_assets.adapters.queue_local import LocalQueue

            dlq = LocalQueue(Path(self.data_dir) / "queue.sqlite", "tasks_dlq")
            return LocalQueue(Path(self.data_dir) / "queue.sqlite", "tasks", dead_letter=dlq, max_receive_count=3), dlq
        from clawbot_assets.adapters.queue_sqs import SqsQueue, sqs_client

        client = sqs_client(self.sqs_endpoint, "eu-west-1")
        return SqsQueue(client, self.queue_url, sleep=lambda _: None), SqsQueue(client, self.dlq_url)

    def run_worker_process(self, deliveries: Path, crash: bool = False) -> int:
        """The reference worker in a process of its own; returns its exit code."""
        args = [sys.executable, "-m", "tests.services.e2e_world", json.dumps(asdict(self)), str(deliveries)]
        child = subprocess.run(args + (["crash"] if crash else []), cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               capture_output=True, text=True, timeout=120)
        assert child.returncode in (0, 9), child.stderr[-3000:]
        return child.returncode


def seed(world: World, playbooks: list[dict], tasks: list[dict], server=None) -> None:
    if world.ssot == "local":
        ssot = world.ssot_client()
        ssot.insert_raw(PLAYBOOKS_TABLE, playbooks)
        ssot.insert_raw(TASKS_TABLE, tasks)
        return
    from tests.conftest import BASE_ID

    server.seed(BASE_ID, PLAYBOOKS_TABLE, playbooks)
    server.seed(BASE_ID, TASKS_TABLE, tasks)


def deliveries_of(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


class _DiesAtDelete:
    def __init__(self, queue) -> None:
        self._queue = queue

    def __getattr__(self, name):
        return getattr(self._queue, name)

    def delete(self, receipt_handle):
        os._exit(9)


def _worker_main(world_json: str, deliveries: str, crash: bool) -> None:
    from clawbot_assets.services.worker import run_worker

    world = World(**json.loads(world_json))
    queue, _ = world.queues()

    def deliver(task) -> None:
        with open(deliveries, "a") as out:
            out.write(task.key + "\n")
            out.flush()
            os.fsync(out.fileno())

    run_worker(world.ssot_client(), _DiesAtDelete(queue) if crash else queue, deliver, max_messages=50,
               visibility_timeout=0, signing_key=SIGNING_KEY)


if __name__ == "__main__":
    _worker_main(sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "crash")
