"""The dispatch reads what it needs, never the table (issue 17): against the local Airtable
server at its real 5 requests/s, with 20,000 settled tasks beside the open ones, and against the
local backend, whose filtered reads must mean the same."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from clawbot_assets.adapters.queue_local import LocalQueue
from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.domain.guardrails import Outcome, Reason, plan_dispatch
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.services.dispatch import do_not_contact_deals, run_dispatch
from tests.fakes.airtable_server import FakeAirtable
from tests.services.dispatch_world import NOW, Crm, playbook

BASE, TOKEN = "appDispatchReads", "patDispatchReads"
SETTLED_STATUSES = ("sent", "sent", "sent", "queued", "intercepted", "cancelled", "failed")


def task(slug: str, deal: str, due: dt.date, status: str, queued_at: dt.datetime | None = None, **extra) -> dict:
    fields = {"Key": f"{slug}|{deal}|1|{due.isoformat()}", "Playbook": slug, "Deal ID": deal, "Step": "1",
              "Due Date": due.isoformat(), "Status": status, "Source": "dagster", **extra}
    if queued_at is not None:
        fields["Queued At"] = queued_at.isoformat(timespec="seconds")
    return {"fields": fields}


def settled_history(count: int, seed: int = 17) -> list[dict]:
    """``count`` settled tasks of two playbooks over the past year, on deals 1..count/2."""
    chooser = random.Random(seed)
    records = []
    for index in range(count):
        due = NOW.date() - dt.timedelta(days=chooser.randrange(1, 366))
        status = chooser.choice(SETTLED_STATUSES)
        queued = dt.datetime.combine(due, dt.time(9), dt.timezone.utc) if status in ("sent", "queued") else None
        records.append(task(chooser.choice(("warm_nudge", "capped")), f"h{index // 2}", due, status, queued))
    return records


def pending(count: int) -> list[dict]:
    return [task("warm_nudge", f"new{index}", NOW.date(), "pending") for index in range(count)]


def guarded_cases() -> list[dict]:
    """History deep in the table that must still stop two candidates, and one that must not."""
    today_9 = NOW.replace(hour=9, minute=0)
    return [
        # cooldown: the deal got warm_nudge 3 days ago (7-day cooldown)
        task("warm_nudge", "h42", NOW.date() - dt.timedelta(days=3), "sent", today_9 - dt.timedelta(days=3)),
        task("warm_nudge", "h42", NOW.date(), "pending"),
        # the daily cap of 2: two capped tasks were queued today already
        task("capped", "c1", NOW.date() - dt.timedelta(days=9), "queued", today_9),
        task("capped", "c2", NOW.date() - dt.timedelta(days=9), "sent", today_9),
        task("capped", "c3", NOW.date(), "pending"),
        # do-not-contact recorded by an earlier intercept
        task("warm_nudge", "dnc", NOW.date() - dt.timedelta(days=40), "intercepted", **{"Intercept Reason": "do_not_contact"}),
        task("warm_nudge", "dnc", NOW.date(), "pending"),
        # a manual playbook's pending task is held, unless its deal was intercepted do-not-contact
        task("manual_touch", "dnc2", NOW.date() - dt.timedelta(days=60), "intercepted", **{"Intercept Reason": "do_not_contact"}),
        task("manual_touch", "dnc2", NOW.date(), "pending"),
        task("manual_touch", "h44", NOW.date() - dt.timedelta(days=2), "sent", today_9 - dt.timedelta(days=2)),
        task("manual_touch", "h44", NOW.date(), "pending"),
        # 8 days ago: outside the cooldown, so sent
        task("warm_nudge", "h43", NOW.date() - dt.timedelta(days=8), "sent", today_9 - dt.timedelta(days=8)),
        task("warm_nudge", "h43", NOW.date(), "pending"),
    ]


PLAYBOOKS = [playbook("Warm Nudge"), playbook("Capped", **{"Daily Cap": 2}), playbook("Manual Touch", Approval="manual")]


def airtable(server: FakeAirtable) -> AirtableSsot:
    return AirtableSsot(TOKEN, BASE, endpoint_url=server.url, rate_limiter=rate_limiter_for(None, name=f"airtable:{BASE}"))


def test_one_dispatch_at_20000_settled_tasks_costs_at_most_12_requests(tmp_path: Path) -> None:
    with FakeAirtable(token=TOKEN) as server:
        server.seed(BASE, PLAYBOOKS_TABLE, [{"fields": record["fields"]} for record in PLAYBOOKS])
        server.seed(BASE, TASKS_TABLE, settled_history(20_000) + pending(30))
        server.clear_log()

        report = run_dispatch(airtable(server), Crm(), LocalQueue(tmp_path / "queue.sqlite", "tasks"), now=NOW)

        assert report.dispatched == 30
        print("dispatch requests:", server.total_requests, dict(server.requests_by_method))
        assert server.total_requests <= 12, server.requests_by_method
        assert server.provoked_429s == 0
        statuses = [record["fields"]["Status"] for record in server.records(BASE, TASKS_TABLE) if "new" in record["fields"]["Deal ID"]]
        assert statuses == ["queued"] * 30


def full_read_plan(records: list[dict]):
    validations = validate_playbooks(PLAYBOOKS)
    return plan_dispatch(records, validations, do_not_contact_deals(Crm(), validations, records), NOW)


def test_cooldown_cap_and_do_not_contact_are_still_judged_against_the_history(tmp_path: Path) -> None:
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE, PLAYBOOKS_TABLE, [{"fields": record["fields"]} for record in PLAYBOOKS])
        server.seed(BASE, TASKS_TABLE, settled_history(2_000) + guarded_cases())
        expected = {d.task.key: (d.outcome, d.reason) for d in full_read_plan(server.records(BASE, TASKS_TABLE)).decisions}

        report = run_dispatch(airtable(server), Crm(), LocalQueue(tmp_path / "queue.sqlite", "tasks"), now=NOW)

        assert expected == {
            f"warm_nudge|h42|1|{NOW.date()}": (Outcome.INTERCEPTED, Reason.COOLDOWN),
            f"capped|c3|1|{NOW.date()}": (Outcome.INTERCEPTED, Reason.DAILY_CAP_REACHED),
            f"warm_nudge|dnc|1|{NOW.date()}": (Outcome.INTERCEPTED, Reason.DO_NOT_CONTACT),
            f"warm_nudge|h43|1|{NOW.date()}": (Outcome.DISPATCH, ""),
            f"manual_touch|dnc2|1|{NOW.date()}": (Outcome.INTERCEPTED, Reason.DO_NOT_CONTACT),
            f"manual_touch|h44|1|{NOW.date()}": (Outcome.HELD, ""),
        }
        assert report.dispatched == 1
        assert {reason: count for reason, count in report.intercepted.items() if count} == {"do_not_contact": 2, "cooldown": 1, "daily_cap_reached": 1}
        assert report.held_for_approval == 1
        assert not any("filterByFormula" not in str(entry.query) and entry.method == "GET" and TASKS_TABLE in entry.path
                       for entry in server.log), "a task read without a filter"


@pytest.mark.parametrize("backend", ["airtable", "local"])
def test_both_backends_select_the_same_records(backend: str, tmp_path: Path) -> None:
    from clawbot_assets.domain.dispatch_reads import deals_history, dispatched_today, open_tasks
    from clawbot_assets.domain.ssot_query import ChangedSince, FieldOnOrAfter, any_of, field_in

    records = settled_history(300) + guarded_cases() + [
        task("warm_nudge", "odd", NOW.date(), "sent", **{"Queued At": "not a date"}),
        {"fields": {"Key": "x", "Status": "pending", "Score": 5, "Flag": True, "Tags": ["a", "b"]}},
    ]
    conditions = [
        open_tasks(), deals_history(["h42", "dnc", "h7"]), dispatched_today(NOW),
        field_in("Score", ["5"]), field_in("Flag", ["1"]), field_in("Tags", ["a, b"]), field_in("Deal ID", []),
        FieldOnOrAfter("Due Date", NOW - dt.timedelta(days=5)), any_of(field_in("Status", ["failed"]), ChangedSince(NOW)),
    ]
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE, TASKS_TABLE, records)
        stored = server.records(BASE, TASKS_TABLE)

        reference = {str(c): {r["id"] for r in airtable(server).select(TASKS_TABLE, c)} for c in conditions}
        if backend == "airtable":
            client = airtable(server)
        else:
            client = LocalSsot(tmp_path / "ssot.sqlite")
            client.insert_raw(TASKS_TABLE, stored)
        for condition in conditions:
            selected = client.select(TASKS_TABLE, condition, fields=["Status"])
            assert {r["id"] for r in selected} == reference[str(condition)], condition
            assert all(set(r["fields"]) <= {"Status"} for r in selected)
    assert len(reference[str(open_tasks())]) == 7
    assert reference[str(field_in("Deal ID", []))] == set()
    assert len(reference[str(field_in("Tags", ["a, b"]))]) == 1
