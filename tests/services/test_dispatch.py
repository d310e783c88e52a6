import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.domain.queue_message import parse_message
from clawbot_assets.services.dispatch import RESEND_WINDOW, run_dispatch
from tests.services.dispatch_world import NOW, Crm, world

ROOT = Path(__file__).resolve().parents[2]


def statuses(ssot) -> Counter:
    return Counter(r["fields"].get("Status") for r in ssot.list_records(TASKS_TABLE))


def queued_keys(queue) -> list[str]:
    keys = []
    while batch := queue.receive(10, visibility_timeout=60):
        for message in batch:
            keys.append(parse_message(message.body).key)
            queue.delete(message.receipt_handle)
    return keys


def test_dispatch_sends_each_task_once_and_intercepts_the_broken_cold_playbook(tmp_path):
    ssot, queue, _ = world(tmp_path)
    report = run_dispatch(ssot, Crm(flagged={"1003"}), queue, now=NOW)
    assert report.dispatched == 24 and report.intercepted["playbook_incomplete"] == 3 and report.intercepted["do_not_contact"] == 1
    assert report.intercepted_by_playbook == {"cold_broken": 3, "warm_nudge": 1}
    assert statuses(ssot) == {"queued": 24, "intercepted": 4}
    keys = queued_keys(queue)
    assert len(keys) == len(set(keys)) == 24 and not any(key.startswith("cold_broken") for key in keys)
    again = run_dispatch(ssot, Crm(flagged={"1003"}), queue, now=NOW)
    assert again.dispatched == 0 and queue.depth().total == 0


def test_a_crash_between_send_and_mark_neither_loses_nor_duplicates_a_task(tmp_path):
    """The child process marks its round of 25 dispatching, sends the first batch of 10 and dies
    (os._exit) before marking it: the next run resends all 25 and the queue drops the 10 copies."""
    world(tmp_path)
    child = subprocess.run([sys.executable, "-m", "tests.services.dispatch_world", str(tmp_path)], cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert child.returncode == 9, child.stderr
    ssot, queue, _ = world(tmp_path)
    assert statuses(ssot)["dispatching"] == 25 and queue.depth().total == 10
    report = run_dispatch(ssot, Crm(), queue, now=NOW + dt.timedelta(minutes=1))
    assert report.resent_after_interruption == 25 and report.dispatched == 25
    keys = queued_keys(queue)
    assert len(keys) == 25 and len(set(keys)) == 25
    assert statuses(ssot) == {"queued": 25, "intercepted": 3}


def test_an_interrupted_dispatch_older_than_the_dedup_window_is_reported_not_resent(tmp_path):
    ssot, queue, _ = world(tmp_path, tasks=3)
    records = ssot.list_records(TASKS_TABLE)
    ssot.update(TASKS_TABLE, [(r["id"], {"Status": "dispatching", "Queued At": NOW.isoformat()}) for r in records
                              if r["fields"]["Key"].startswith("warm")])
    report = run_dispatch(ssot, Crm(), queue, now=NOW + RESEND_WINDOW + dt.timedelta(seconds=1))
    assert len(report.unconfirmed) == 3 and report.dispatched == 0 and queue.depth().total == 0
    assert statuses(ssot)["dispatching"] == 3
