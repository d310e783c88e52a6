"""Issue 7, items 1 and 2: what appears between a playbook run's read and its write never
makes an upsert change a task's state or identity. On both backends (the Airtable one is
pyairtable against the local Airtable server), without any Dagster pool."""

import datetime as dt
import threading

import pytest

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.domain.keys import compose_key
from clawbot_assets.services.playbook_run import load_playbook, run_playbook
from tests.services.races import Interleaved, Worker, run_threads, seed_raw, state_of

TICK = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.timezone.utc)
SLUG, PLAYBOOK = "churn_rescue", "Churn Rescue"
OLD = "2026-01-01T00:00:00.000Z"


def deals_of(backend):
    playbook = load_playbook(backend["ssot"].client(), SLUG)
    deals = backend["crm"].client().deals_in_stage(playbook.trigger.pipeline_id, playbook.trigger.stage_id)
    return [deal.id for deal in deals]


def key_for(deal_id):
    return compose_key(PLAYBOOK, deal_id, "1", "2026-11-25")


def tick_keys(client):
    """Keys of this tick's tasks stored in the table, repeats included."""
    return [fields["Key"] for fields in state_of(client).values() if fields.get("Key", "").startswith(SLUG + "|") and fields["Key"].endswith("|2026-11-25")]


def test_two_runs_at_once_while_the_worker_sends_never_put_a_sent_task_back_to_pending(backend):
    """Both runs read before either writes, so both plan to create every task; the first
    creates them, the worker sends them, then the second upserts the same keys."""
    both_read = threading.Barrier(2, timeout=60)
    worker = Worker(backend["ssot"].client(), PLAYBOOK)

    def wait_for_the_worker(*_):
        assert worker.first_send.wait(60)

    first = Interleaved(backend["ssot"].client(), after_find_by_keys=lambda *_: both_read.wait())
    second = Interleaved(backend["ssot"].client(), after_find_by_keys=lambda *_: both_read.wait(), before_upsert=wait_for_the_worker)
    worker.start()
    try:
        reports = run_threads(lambda: run_playbook(first, backend["crm"].client(), SLUG, TICK),
                              lambda: run_playbook(second, backend["crm"].client(), SLUG, TICK))
    finally:
        worker.stop()
    state = state_of(backend["ssot"].client())
    assert worker.sent and all(state[record_id]["Status"] == "sent" for record_id in worker.sent)
    assert all(state[record_id]["Source"] == "dagster" for record_id in worker.sent)
    keys = tick_keys(backend["ssot"].client())
    assert len(keys) == len(set(keys)) == len(deals_of(backend))
    assert sum(report.created for report in reports) == len(keys)
    assert reports[1].appeared_meanwhile > 0, "the second run's upsert did meet the first run's tasks"


def test_a_legacy_sent_row_keyed_by_the_dedupe_during_a_run_keeps_its_status_and_spelling(backend):
    deal = deals_of(backend)[0]
    legacy = {"Playbook": " churn rescue ", "Deal ID": deal, "Due Date": "11/25/2026", "Status": "sent", "Source": "n8n"}
    seed_raw(backend, [{"id": "recLegacySent00", "createdTime": OLD, "fields": legacy}])
    client = backend["ssot"].client()
    dedupe_writes_the_key = lambda *_: client.update(TASKS_TABLE, [("recLegacySent00", {"Key": key_for(deal)})])  # noqa: E731
    report = run_playbook(Interleaved(client, after_find_by_keys=dedupe_writes_the_key), backend["crm"].client(), SLUG, TICK)
    assert state_of(client)["recLegacySent00"] == {**legacy, "Key": key_for(deal)}
    assert tick_keys(client).count(key_for(deal)) == 1 and report.appeared_meanwhile == 1


def test_a_stale_key_never_lets_a_run_rewrite_another_deals_task_stored_or_appearing_meanwhile(backend):
    """A sent task of deal B carries deal A's Key: the run writes nothing to it, names the key,
    and writes every other task. One that appears between the read and the write (deal C's
    Key on deal D's task) is matched by the upsert and left exactly as it was."""
    deal_a, deal_b, deal_c, deal_d = deals_of(backend)[:4]
    fields = {"Playbook": PLAYBOOK, "Step": "1", "Due Date": "2026-11-25", "Status": "sent", "Source": "dagster"}
    stale = {**fields, "Key": key_for(deal_a), "Deal ID": deal_b}
    appearing = {**fields, "Key": key_for(deal_c), "Deal ID": deal_d}
    seed_raw(backend, [{"id": "recStaleKey0000", "createdTime": OLD, "fields": stale}])
    appears = lambda *_: seed_raw(backend, [{"id": "recStaleKey0001", "createdTime": OLD, "fields": appearing}])  # noqa: E731
    client = backend["ssot"].client()
    report = run_playbook(Interleaved(client, after_find_by_keys=appears), backend["crm"].client(), SLUG, TICK)
    assert report.key_mismatch == {key_for(deal_a): ["recStaleKey0000"]}
    state = state_of(client)
    assert state["recStaleKey0000"] == stale and state["recStaleKey0001"] == appearing
    assert report.created == len(deals_of(backend)) - 2 and report.appeared_meanwhile == 1


def test_a_run_killed_between_upsert_and_update_is_repaired_by_the_next_only_where_still_blank(backend):
    client = backend["ssot"].client()

    class Killed(RuntimeError):
        pass

    def die(*_):
        raise Killed("killed after the upsert")

    with pytest.raises(Killed):
        run_playbook(Interleaved(client, before_update=die), backend["crm"].client(), SLUG, TICK)
    upserted = set(tick_keys(client))
    half_made = {rid: fields for rid, fields in state_of(client).items() if fields.get("Key") in upserted}
    assert len(half_made) == 10 and all(set(fields) == {"Key"} for fields in half_made.values())
    too_soon = run_playbook(client, backend["crm"].client(), SLUG, TICK)
    assert too_soon.awaiting_status == len(half_made) and too_soon.repaired == 0
    assert too_soon.created == len(deals_of(backend)) - len(half_made), "the batch the kill never reached"
    sent_meanwhile = next(iter(half_made))
    client.update(TASKS_TABLE, [(sent_meanwhile, {"Status": "sent"})])
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2)
    repaired = run_playbook(client, backend["crm"].client(), SLUG, TICK, now=later)
    assert repaired.repaired == len(half_made) - 1 and repaired.unchanged == len(deals_of(backend)) - repaired.repaired
    state = state_of(client)
    assert state[sent_meanwhile] == {"Key": half_made[sent_meanwhile]["Key"], "Status": "sent"}
    others = [state[rid] for rid in half_made if rid != sent_meanwhile]
    assert all(fields["Source"] == "dagster" and fields["Playbook"] == PLAYBOOK for fields in others)
    assert {fields["Status"] for fields in others} <= {"pending", "intercepted"}
