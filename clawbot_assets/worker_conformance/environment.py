"""The queue, DLQ and task table a scenario controls, and the variables the worker is given.

A backend (``LocalBackend`` here, ``environment_aws.AwsAirtableBackend``) opens one
``ScenarioEnvironment`` per scenario; the scenarios see only that interface. Whatever the
backend, the worker under test reads:

- ``CLAWBOT_PASSWORD``: the ClawBot password messages are signed with (always set here);
- ``CLAWBOT_CONFORMANCE_DELIVERIES``: a file where the worker appends one JSON line
  ``{"key": ..., "deal_id": ...}`` for each delivery it makes, in place of its CRM/outreach
  client. That file is the CRM side effect the kit judges "contacted once" by;
- ``CLAWBOT_QUEUE`` and ``CLAWBOT_SSOT``, the production switches, and what they need.

On the ``local`` backend that is ``CLAWBOT_DATA_DIR``: the embedded backend (``queue.sqlite``:
queue ``tasks``, DLQ ``tasks_dlq``, maxReceiveCount 3; ``ssot.sqlite``: table ``task_queue_sales``).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Protocol

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.sqlite_db import connect
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot

# The production variables and the embedded backend's layout as the worker sees them. They are
# the same values as clawbot_assets.resources' (a test holds them equal), written here so that
# the kit and the reference worker it runs load without Dagster: every worker run is a new process.
DATA_DIR = "CLAWBOT_DATA_DIR"
CLAWBOT_PASSWORD = "CLAWBOT_PASSWORD"
ALLOW_UNSIGNED = "CLAWBOT_ALLOW_UNSIGNED"
QUEUE_SWITCH = "CLAWBOT_QUEUE"
SSOT_SWITCH = "CLAWBOT_SSOT"
LOCAL_QUEUE_FILE = "queue.sqlite"
LOCAL_SSOT_FILE = "ssot.sqlite"
LOCAL_QUEUE = "tasks"
LOCAL_DLQ = "tasks_dlq"
MAX_RECEIVE_COUNT = 3
#: The demo's seeding marker: set, the embedded task table holds only what a scenario seeds.
SEEDED_MARKER = "demo_seeded_at"
DELIVERIES = "CLAWBOT_CONFORMANCE_DELIVERIES"
#: The password the kit signs with; a forged message is signed with another.
KIT_PASSWORD = "conformance-kit-password"


class BackendUnavailableError(RuntimeError):
    """A backend's fakes cannot be imported here; the message says what is missing and why."""


class ScenarioEnvironment(Protocol):
    """What a scenario seeds and judges through; ``queue`` and ``dead_letter`` are passed back to ``bodies``."""

    queue: Any
    dead_letter: Any

    def variables(self) -> dict[str, str]: ...

    def add_task(self, key: str, status: str, **fields: str) -> str: ...

    def task(self, record_id: str) -> dict: ...

    def send(self, body: str, dedup_id: str, group_id: str = "conformance") -> None: ...

    def expire_visibility(self) -> None:
        """What the visibility timeout does when it runs out: every in-flight message is visible again."""

    def bodies(self, queue: Any) -> list[str]:
        """Every message ``queue`` holds, visible or in flight, without receiving it."""

    def deliveries(self) -> list[dict]: ...


class Backend(Protocol):
    def environment(self, scenario_dir: Path) -> ScenarioEnvironment: ...


class DeliveriesFile:
    """The deliveries file in a scenario's directory and the variables every backend gives."""

    def __init__(self, scenario_dir: Path) -> None:
        scenario_dir.mkdir(parents=True, exist_ok=True)
        self.deliveries_file = scenario_dir / "deliveries.jsonl"
        self.deliveries_file.touch()

    def kit_variables(self) -> dict[str, str]:
        return {CLAWBOT_PASSWORD: KIT_PASSWORD, DELIVERIES: str(self.deliveries_file), ALLOW_UNSIGNED: "false"}

    def deliveries(self) -> list[dict]:
        lines = self.deliveries_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


class LocalEnvironment(DeliveriesFile):
    """The embedded backend in ``data_dir``: the SQLite queue with its DLQ and the SQLite task table."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.data_dir = data_dir
        self.ssot = LocalSsot(data_dir / LOCAL_SSOT_FILE)
        self.ssot.set_meta(SEEDED_MARKER, "worker-conformance")
        path = data_dir / LOCAL_QUEUE_FILE
        self.dead_letter = LocalQueue(path, LOCAL_DLQ)
        self.queue = LocalQueue(path, LOCAL_QUEUE, dead_letter=self.dead_letter, max_receive_count=MAX_RECEIVE_COUNT)

    def variables(self) -> dict[str, str]:
        return {**self.kit_variables(), QUEUE_SWITCH: "local", SSOT_SWITCH: "local", DATA_DIR: str(self.data_dir)}

    def add_task(self, key: str, status: str, **fields: str) -> str:
        return self.ssot.create(TASKS_TABLE, [{"Key": key, "Status": status, **fields}])[0]["id"]

    def task(self, record_id: str) -> dict:
        return self.ssot.find_by_ids(TASKS_TABLE, [record_id])[0]["fields"]

    def send(self, body: str, dedup_id: str, group_id: str = "conformance") -> None:
        self.queue.send_batch([OutgoingMessage(dedup_id=dedup_id, group_id=group_id, body=body)])

    def expire_visibility(self) -> None:
        with connect(self.queue.path, write=True) as connection:
            connection.execute("UPDATE messages SET visible_at = 0 WHERE queue = ?", (LOCAL_QUEUE,))

    def bodies(self, queue: LocalQueue) -> list[str]:
        with connect(queue.path) as connection:
            return [row[0] for row in connection.execute("SELECT body FROM messages WHERE queue = ?", (queue.name,))]


class LocalBackend:
    def environment(self, scenario_dir: Path) -> LocalEnvironment:
        return LocalEnvironment(scenario_dir)


@contextmanager
def local_backend() -> Iterator[LocalBackend]:
    yield LocalBackend()
