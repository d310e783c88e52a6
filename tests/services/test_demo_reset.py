"""``python -m clawbot_assets.demo reset``: the demo as first seeded, queue and alerts included (a
message left in the queue names a record the reset deleted, and would end as a DLQ incident)."""

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.demo.seed import reset_demo, seed_demo
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.backends import LOCAL_ALERTS_FILE


def test_a_reset_discards_the_queue_the_alerts_and_the_changed_records(tmp_path):
    seed_demo(tmp_path)
    resources = local_resources(str(tmp_path))
    ssot, queue = resources["ssot"].client(), resources["queue"].queue()
    seeded = len(ssot.list_records(TASKS_TABLE))
    ssot.delete(TASKS_TABLE, [record["id"] for record in ssot.list_records(TASKS_TABLE)[:5]])
    queue.send_batch([OutgoingMessage("a-key", "a-group", "{}")])
    (tmp_path / LOCAL_ALERTS_FILE).write_text('{"alert": "before the reset"}\n')

    reset_demo(tmp_path)

    resources = local_resources(str(tmp_path))
    assert len(resources["ssot"].client().list_records(TASKS_TABLE)) == seeded
    assert resources["queue"].queue().receive(10) == []
    assert not (tmp_path / LOCAL_ALERTS_FILE).exists()
