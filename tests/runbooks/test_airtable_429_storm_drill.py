"""Drill for docs/runbooks/airtable_429_storm.md: a client that does not share the limiter's
store bursts past Airtable's limit; a ClawBot client then gets a 429 and writes the penalty to
the shared store; the runbook's commands see it from another process, set the pool, wait it
out and re-execute a run that gets no 429."""

import threading
import time

import requests

from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.resources.backends import RATE_LIMIT_FILE
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.fakes.airtable_server import FakeAirtable

RUNBOOK = "airtable_429_storm"
PENALTY = 4.0  # Airtable's is 30 s (ClawBot waits 31); shortened so the drill takes seconds


def test_the_429_runbook_sees_the_shared_penalty_waits_it_out_and_reruns(operator):
    store = f"sqlite:///{operator.data.resolve() / RATE_LIMIT_FILE}"
    with FakeAirtable(token=TOKEN, rate_limit=5, penalty_seconds=PENALTY) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        operator.env.update(CLAWBOT_SSOT="airtable", AIRTABLE_BASE_ID=BASE_ID, AIRTABLE_API_KEY=TOKEN,
                            AIRTABLE_ENDPOINT_URL=server.url)
        for _ in range(8):  # a script on the same base with a limiter of its own
            requests.get(f"{server.url}/v0/{BASE_ID}/{PLAYBOOKS_TABLE}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert server.provoked_429s >= 1

        clawbot = airtable_resource(server, operator.data, rate_limiter_url=None, penalty_seconds=PENALTY)
        reader = threading.Thread(target=lambda: clawbot.client().list_records(PLAYBOOKS_TABLE))
        reader.start()
        shared = rate_limiter_for(store, name=f"airtable:{BASE_ID}")
        while shared.penalty_remaining() == 0 and reader.is_alive():
            time.sleep(0.01)  # not a busy loop: the reader needs the core
        assert shared.penalty_remaining() > 0, "the ClawBot client wrote the penalty to the shared store"

        confirmed = operator.run(RUNBOOK, "penalty").stdout
        assert f"store {store}" in confirmed
        left = float(confirmed.split("penalty ")[1].split(" s left")[0])
        assert 0 < left <= PENALTY, confirmed

        operator.run(RUNBOOK, "pool-set")
        assert '"airtable": 0 / 1 slots occupied' in operator.run(RUNBOOK, "pool").stdout
        assert "penalty over" in operator.run(RUNBOOK, "wait").stdout
        reader.join(timeout=30)
        assert shared.penalty_remaining() == 0

        refusals = sum(1 for entry in server.log if entry.status == 429)
        operator.run(RUNBOOK, "rerun")
        assert sum(1 for entry in server.log if entry.status == 429) == refusals, "the re-executed run got no 429"
    with operator.instance() as instance:
        [run] = [r for r in instance.get_runs() if r.job_name == "playbooks_refresh"]
        assert run.is_success
