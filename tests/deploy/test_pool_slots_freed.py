"""A run killed mid-step (a Fargate task stopped, a process OOM-killed) never releases the
"airtable" pool slot its step claimed. With one slot per pool, every later Airtable step would
wait for ever. Both instances (production on a real Postgres, local on SQLite) set
``run_monitoring.free_slots_after_run_end_seconds``, and the monitoring daemon's own iteration
frees the dead run's slot once that long has passed after the run was marked failed."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

import dagster as dg
import pytest
import yaml
from dagster._core.utils import make_new_run_id
from dagster._daemon.monitoring import concurrency as slot_monitor

from clawbot_assets.names import AIRTABLE_POOL
from tests.deploy.production_home import drop_database, fresh_database, postgres_environment, production_home
from tests.deploy.tools import REPO

LOCAL_CONFIG = REPO / "deploy" / "dagster.local.yaml"


@pytest.fixture
def production_instance(postgres_url, tmp_path, monkeypatch):
    url = fresh_database(postgres_url)
    for name, value in postgres_environment(url).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(production_home(tmp_path / "home", without=["run_launcher"]))) as instance:
        yield instance
    drop_database(url)


@pytest.fixture
def local_instance(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    config = yaml.safe_load(LOCAL_CONFIG.read_text())
    config.pop("python_logs")  # a log file relative to the working directory; not what is tested
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def run_in_pool(instance: dg.DagsterInstance, step: str) -> tuple[str, bool]:
    run_id = make_new_run_id()
    instance.add_run(dg.DagsterRun(job_name="playbook_run", run_id=run_id, status=dg.DagsterRunStatus.STARTED))
    claim = instance.event_log_storage.claim_concurrency_slot(AIRTABLE_POOL, run_id, step)
    return run_id, claim.is_claimed


def monitor_slots(instance: dg.DagsterInstance, monkeypatch, seconds_later: float) -> None:
    """One iteration of the monitoring daemon's slot sweep, as it would run ``seconds_later``."""
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_later)
    monkeypatch.setattr(slot_monitor, "get_current_datetime", lambda: later)
    list(slot_monitor.execute_concurrency_slots_iteration(SimpleNamespace(instance=instance), logging.getLogger(__name__)))


@pytest.mark.parametrize("which", ["production_instance", "local_instance"])
def test_a_killed_runs_airtable_slot_is_freed(which, request, monkeypatch):
    instance = request.getfixturevalue(which)
    settings = instance.run_monitoring_settings
    assert instance.run_monitoring_enabled, "the monitoring daemon only runs with run_monitoring enabled"
    timeout = settings.get("free_slots_after_run_end_seconds")
    assert timeout and timeout <= 600, f"{which}: killed runs keep their pool slots (run_monitoring.free_slots_after_run_end_seconds)"
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(AIRTABLE_POOL)
    assert storage.get_concurrency_info(AIRTABLE_POOL).slot_count == 1

    killed, claimed = run_in_pool(instance, "task_queue_sales")
    assert claimed
    # The task dies mid-step: run monitoring marks the run failed; nothing releases the slot.
    instance.report_run_failed(instance.get_run_by_id(killed))
    waiting, claimed = run_in_pool(instance, "playbook_tasks")
    assert not claimed, "one Airtable step at a time"

    monitor_slots(instance, monkeypatch, seconds_later=timeout / 2)
    assert storage.get_concurrency_info(AIRTABLE_POOL).active_run_ids == {killed}, "not freed before the timeout"

    monitor_slots(instance, monkeypatch, seconds_later=timeout + 5)
    assert killed not in storage.get_concurrency_info(AIRTABLE_POOL).active_run_ids
    assert storage.claim_concurrency_slot(AIRTABLE_POOL, waiting, "playbook_tasks").is_claimed, "the next step gets the slot"
