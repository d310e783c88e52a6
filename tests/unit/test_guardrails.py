import datetime as dt

import pytest

from clawbot_assets.domain.guardrails import INTERCEPT_REASONS, Outcome, Reason, plan_dispatch
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.queue_message import MessageError, parse_message, task_message

NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.timezone.utc)


def playbook(name, **fields):
    base = {"Name": name, "Tier": "WARM", "Trigger": "hubspot_stage:default/s1", "Approval": "auto", "Cron": "0 9 * * *",
            "Enabled": True, "Status": "Live", "Scheduler": "dagster", "Channel": "email", "Daily Cap": 10, "Cooldown Days": 7}
    return {"id": f"rec{name.replace(' ', '')}", "fields": {**base, **fields}}


def task(slug, deal, due="2026-11-25", status="pending", rid=None, **extra):
    key = f"{slug}|{deal}|1|{due}"
    return {"id": rid or f"rec{slug}{deal}{due}", "fields": {"Key": key, "Playbook": slug, "Deal ID": deal, "Status": status, **extra}}


def decide(tasks, playbooks, dnc=frozenset()):
    plan = plan_dispatch(tasks, validate_playbooks(playbooks), frozenset(dnc), NOW)
    return {d.record_id: (d.outcome, d.reason) for d in plan.decisions}, plan


def test_an_incomplete_playbook_is_intercepted_whoever_owns_it():
    books = [playbook("Cold One", Tier="COLD", Trigger="", Approval="", Scheduler="n8n")]
    got, plan = decide([task("cold_one", "1")], books)
    assert got == {"reccold_one12026-11-25": (Outcome.INTERCEPTED, Reason.PLAYBOOK_INCOMPLETE)}
    assert plan.intercepts_by_reason()[Reason.PLAYBOOK_INCOMPLETE] == 1 and set(plan.intercepts_by_reason()) == set(INTERCEPT_REASONS)


def test_manual_approval_holds_pending_and_dispatches_approved():
    books = [playbook("Hot", Approval="manual")]
    got, _ = decide([task("hot", "1"), task("hot", "2", status="approved")], books)
    assert got["rechot12026-11-25"] == (Outcome.HELD, "")
    assert got["rechot22026-11-25"] == (Outcome.DISPATCH, "")


def test_daily_cap_counts_todays_dispatches_and_this_run():
    books = [playbook("Capped", **{"Daily Cap": 2})]
    earlier = task("capped", "9", due="2026-11-20", status="queued", **{"Queued At": "2026-11-25T08:00:00Z"})
    got, _ = decide([earlier, task("capped", "1"), task("capped", "2"), task("capped", "3")], books)
    outcomes = sorted(got[r] for r in got if r != earlier["id"])
    assert outcomes == [(Outcome.DISPATCH, ""), (Outcome.INTERCEPTED, Reason.DAILY_CAP_REACHED), (Outcome.INTERCEPTED, Reason.DAILY_CAP_REACHED)]


def test_cooldown_intercepts_a_deal_that_got_the_playbook_recently_but_not_other_deals():
    books = [playbook("Warm", **{"Cooldown Days": 7})]
    tasks = [task("warm", "1", due="2026-11-20", status="sent"), task("warm", "1"), task("warm", "2"),
             task("warm", "3", due="2026-11-10", status="sent"), task("warm", "3")]
    got, _ = decide(tasks, books)
    assert got["recwarm12026-11-25"] == (Outcome.INTERCEPTED, Reason.COOLDOWN)
    assert got["recwarm22026-11-25"] == (Outcome.DISPATCH, "")
    assert got["recwarm32026-11-25"] == (Outcome.DISPATCH, "")


def test_cooldown_also_applies_within_one_run():
    got, _ = decide([task("warm", "1", due="2026-11-24"), task("warm", "1")], [playbook("Warm")])
    assert sorted(got.values()) == [(Outcome.DISPATCH, ""), (Outcome.INTERCEPTED, Reason.COOLDOWN)]


def test_do_not_contact_is_intercepted_even_before_approval():
    got, _ = decide([task("hot", "1")], [playbook("Hot", Approval="manual")], dnc={"1"})
    assert got["rechot12026-11-25"] == (Outcome.INTERCEPTED, Reason.DO_NOT_CONTACT)


@pytest.mark.parametrize("fields", [{"Enabled": False}, {"Scheduler": "n8n"}])
def test_disabled_or_n8n_owned_is_never_dispatched(fields):
    got, plan = decide([task("warm", "1")], [playbook("Warm", **fields)])
    assert got["recwarm12026-11-25"][0] == Outcome.NOT_DISPATCHABLE and not plan.of(Outcome.INTERCEPTED)


def test_only_pending_and_approved_tasks_are_considered_and_keyless_are_not_dispatched():
    tasks = [task("warm", "1", status="queued"), task("warm", "2", status="cancelled"),
             {"id": "recNoKey", "fields": {"Playbook": "Warm", "Status": "pending"}}]
    got, _ = decide(tasks, [playbook("Warm")])
    assert got == {"recNoKey": (Outcome.NOT_DISPATCHABLE, "no_key")}


def test_message_round_trip_and_rejections():
    message = task_message("warm|1|1|2026-11-25", "rec1", "Warm", "1", "1", "2026-11-25", "email", NOW)
    assert parse_message(message.encode()) == message and message.playbook_slug == "warm"
    for body in ["not json", "[1]", '{"schema": 99}', '{"schema": true}', message.encode().replace('"key":"warm|1|1|2026-11-25"', '"key":""'), None]:
        with pytest.raises(MessageError):
            parse_message(body)


@pytest.mark.parametrize("fields", [{"Tier": ""}, {"Tier": "C0LD"}, {"Tier": "COLD 🧊"}, {"Scheduler": "dagster?"},
                                    {"Tier": ["COLD", "WARM"]}],
                         ids=["blank-tier", "C0LD", "COLD-emoji", "unknown-scheduler", "two-tiers"])
def test_a_playbook_read_without_certainty_is_intercepted_unreadable_never_dispatched(fields):
    got, plan = decide([task("warm", "1", status="approved")], [playbook("Warm", **fields)])
    assert got == {"recwarm12026-11-25": (Outcome.INTERCEPTED, Reason.PLAYBOOK_UNREADABLE)}


def test_a_slug_two_rows_share_intercepts_its_tasks_whichever_row_comes_last():
    manual_first = [playbook("Warm", Approval="manual"), {**playbook("Warm"), "id": "recWarm2"}]
    for books in (manual_first, list(reversed(manual_first))):
        got, _ = decide([task("warm", "1")], books)
        assert got == {"recwarm12026-11-25": (Outcome.INTERCEPTED, Reason.PLAYBOOK_UNREADABLE)}
