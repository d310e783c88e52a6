"""Issue 15, finding 6, as Dagster runs the consumers: a body holding JSON-escaped lone
surrogates, or 5 KB of nested ``[``, leaves ``reference_worker`` and ``dlq_triage`` green in
every mode, with the message left where it was (or listed, for triage)."""

import pytest

from clawbot_assets.adapters.queue import OutgoingMessage
from tests.dagster.helpers import defs_for
from tests.dagster.test_dispatch_loop import metadata, run, worker

SURROGATES = ('{"schema": 1, "key": "warm_nudge|\\ud800|1|2026-11-25", "record_id": "rec\\udfff", "playbook": "W", '
              '"deal_id": "\\ud800", "step": "1", "due_date": "2026-11-25", "channel": "email", "enqueued_at": "x"}')
POISON = [SURROGATES, "[" * 5000]


def test_the_reference_worker_stays_green_and_leaves_poison_for_redelivery(local_resources, instance):
    queue = local_resources["queue"].queue()
    queue.send_batch([OutgoingMessage(f"poison{n}", "poison", body) for n, body in enumerate(POISON)])
    result = worker(defs_for(local_resources), instance)
    assert result.success
    assert metadata(result)["left_for_redelivery"] >= 2  # received again and again, until the DLQ took them
    assert queue.depth().total + local_resources["queue"].dead_letter().depth().total == 2


@pytest.mark.parametrize("config", [{}, {"redrive": True}, {"redrive": True, "delete_malformed": True}],
                         ids=["dry-run", "redrive", "redrive-delete-malformed"])
def test_dlq_triage_stays_green_in_every_mode(local_resources, instance, config):
    dlq = local_resources["queue"].dead_letter()
    dlq.send_batch([OutgoingMessage(f"poison{n}", "poison", body) for n, body in enumerate(POISON)])
    result = run(defs_for(local_resources), "dlq_triage", instance, {"ops": {"triage_dead_letters": {"config": config}}})
    assert result.success
    assert metadata(result)["dlq_messages"] == 2
    assert dlq.depth().total == (0 if config.get("delete_malformed") else 2)
