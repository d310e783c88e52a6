"""Bad input: the Postgres that holds the shared Airtable rate limiter is unreachable when a
playbook run starts. The run fails saying so, naming host:port and never the password, and
Airtable receives nothing: the limiter is built, and its database reached, before the first
request."""

from __future__ import annotations

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.demo.data import backlog_records, playbook_records
from clawbot_assets.names import PLAYBOOK_PARTITIONS
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.dagster.helpers import defs_for
from tests.deploy.production_home import closed_port
from tests.fakes.airtable_server import FakeAirtable

PLAYBOOK = "churn_rescue"
PASSWORD = "Limiter-s3cret"


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


def test_a_playbook_run_fails_clearly_and_sends_nothing_when_the_limiter_database_is_down(local_resources, data_dir, instance):
    port = closed_port()
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        ssot = airtable_resource(server, data_dir, rate_limiter_url=f"postgresql://clawbot:{PASSWORD}@127.0.0.1:{port}/clawbot")
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
    assert PASSWORD not in everything_logged and "clawbot:***@" in message
