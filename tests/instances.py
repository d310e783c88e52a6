"""Dagster test instances without paying for their schema each time.

A fresh SQLite instance creates three databases, their tables and indexes and stamps each with
its alembic revision (parsing Dagster's ~100 migration scripts): about half a second on an idle
machine, several on a loaded one, for every test. The storage Dagster makes is the same every
time, so each test process makes it once, in a template, and every instance starts from a copy
of it. Dagster then finds its schema at head and only connects; everything else about the
instance (its ``dagster.yaml``, overrides, run coordinator, pools) is what ``instance_for_test``
or the home's own ``dagster.yaml`` says.

The instances of ``instance_for_test`` keep their events in one SQLite database, Dagster's
``ConsolidatedSqliteEventLogStorage`` ("intended for test cases"), the way Postgres keeps them in
production. The default local storage opens a database per run and stamps its schema, about a
third of a test run's cost. Homes that read their own ``dagster.yaml`` (the demo's, production's)
keep the storage it names.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import dagster as dg

#: Dagster's event log storage for tests: every run's events in ``event_log.db``.
CONSOLIDATED_EVENT_LOG = {"module": "dagster._core.storage.event_log", "class": "ConsolidatedSqliteEventLogStorage"}


def consolidated_event_log(home: Path) -> dict[str, Any]:
    return {**CONSOLIDATED_EVENT_LOG, "config": {"base_dir": str(home / "history")}}


#: Steps' stdout and stderr not captured: capturing starts a ``tail`` and a Python watcher per
#: step. For instances whose tests never read what a step printed; those that do (no secret in
#: what a run stored, e.g. tests/dagster/test_secrets_manager.py) keep the default manager.
UNCAPTURED_COMPUTE_LOGS = {"compute_logs": {"module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}}

#: The folders of a home that Dagster's default local storage (``DagsterSqliteStorage``) and the
#: consolidated event log fill.
STORAGE_FOLDERS = ("history", "schedules")


@functools.cache
def _template() -> Path:
    """This process's copy of a freshly created instance storage."""
    home = Path(tempfile.mkdtemp(prefix="dagster-storage-template-"))
    atexit.register(shutil.rmtree, home, True)
    with dg.instance_for_test(temp_dir=str(home)):
        pass
    with dg.instance_for_test(temp_dir=str(home), overrides={"event_log_storage": consolidated_event_log(home)}):
        pass
    return home


def seed_storage(home: Path) -> Path:
    """Gives ``home`` (a ``DAGSTER_HOME`` using the default local storage, with no storage of its
    own yet) a new, empty storage at head; returns ``home``."""
    template = _template()
    for folder in STORAGE_FOLDERS:
        assert not (home / folder).exists(), f"{home / folder} exists: seeding would overwrite an instance's storage"
        shutil.copytree(template / folder, home / folder)
    return home


@contextlib.contextmanager
def instance_for_test(overrides: Mapping[str, Any] | None = None, temp_dir: str | None = None) -> Iterator[dg.DagsterInstance]:
    """``dagster.instance_for_test`` on a seeded storage (in ``temp_dir``, or a temporary
    directory removed afterwards), its events in one database."""
    with contextlib.ExitStack() as stack:
        if temp_dir is None:
            temp_dir = stack.enter_context(tempfile.TemporaryDirectory(ignore_cleanup_errors=True))
        seed_storage(Path(temp_dir))
        overrides = {"event_log_storage": consolidated_event_log(Path(temp_dir)), **(overrides or {})}
        yield stack.enter_context(dg.instance_for_test(overrides=overrides, temp_dir=temp_dir))
