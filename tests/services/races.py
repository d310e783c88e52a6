"""Shared pieces of the race tests: a client wrapper that runs a hook at a chosen moment, a
simulated dispatch worker, and raw seeding on either backend."""

import threading
import time

from clawbot_assets.adapters.ssot import TASKS_TABLE
from tests.conftest import BASE_ID


class Interleaved:
    """Passes every call through to ``client``; ``hooks[name]`` runs before (``before_<name>``)
    or after (``after_<name>``) that call, so a test can place another actor exactly there."""

    def __init__(self, client, **hooks):
        self._client, self._hooks = client, hooks

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not callable(attribute) or not any(hook.endswith("_" + name) for hook in self._hooks):
            return attribute

        def call(*args, **kwargs):
            if before := self._hooks.get("before_" + name):
                before(*args)
            result = attribute(*args, **kwargs)
            if after := self._hooks.get("after_" + name):
                after(*args)
            return result

        return call


class Worker(threading.Thread):
    """The dispatch worker: marks every ``pending`` task of ``playbook`` as ``sent`` as soon as it
    sees one, on its own client, until stopped. ``sent`` is every id it ever sent."""

    def __init__(self, client, playbook: str):
        super().__init__(daemon=True)
        self.client, self.playbook = client, playbook
        self.sent: set[str] = set()
        self.first_send = threading.Event()
        self.stopped = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            while not self.stopped.is_set():
                pending = [
                    record["id"]
                    for record in self.client.find_by_field(TASKS_TABLE, "Status", ["pending"])
                    if record["fields"].get("Playbook") == self.playbook
                ]
                if pending:
                    self.client.update(TASKS_TABLE, [(record_id, {"Status": "sent"}) for record_id in pending])
                    self.sent.update(pending)
                    self.first_send.set()
                time.sleep(0.01)
        except BaseException as error:  # reported by stop()
            self.error = error

    def stop(self):
        self.stopped.set()
        self.join(timeout=60)
        if self.error:
            raise self.error


def seed_raw(backend, records) -> None:
    """Insert ``{"id", "createdTime", "fields"}`` records as they are, on either backend."""
    if "server" in backend:
        backend["server"].seed(BASE_ID, TASKS_TABLE, records)
    else:
        backend["ssot"].client().insert_raw(TASKS_TABLE, records)


def state_of(client):
    return {record["id"]: record["fields"] for record in client.list_records(TASKS_TABLE)}


def run_threads(*targets, timeout: float = 120):
    """Run each callable in its own thread at once; return their results, re-raising errors."""
    results, errors = [None] * len(targets), []

    def runner(index, target):
        try:
            results[index] = target()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(index, target), daemon=True) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results
