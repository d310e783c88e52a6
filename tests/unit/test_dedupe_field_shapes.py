"""The dedupe plan over Status and key fields as Airtable returns them, and one date convention per table."""

import pytest

from clawbot_assets.domain.dates import DEFAULT_DAY_FIRST, infer_date_convention
from clawbot_assets.domain.dedupe import plan_dedupe
from tests.unit.test_dedupe_plan import KEY, record


def test_a_one_element_status_list_is_its_element():
    plan = plan_dedupe([record("rec1", "2026-11-02T08:00:00.000Z", Status="pending"), record("rec2", "2026-11-02T09:00:00.000Z", Status=["sent"])])
    assert plan.survivors == {KEY: "rec2"} and plan.unknown_statuses == {}


@pytest.mark.parametrize("status", [["sent", "queued"], {"name": "sent"}, [["sent"]], 3, True])
def test_an_unclear_status_is_reported_per_record_and_never_deleted(status):
    records = [
        record("rec1", "2026-11-02T08:00:00.000Z", Status="pending"),
        record("rec2", "2026-11-02T09:00:00.000Z", Status=status),
        record("rec3", "2026-11-02T10:00:00.000Z", Status="pending"),
    ]
    plan = plan_dedupe(records)
    assert "rec2" in plan.unknown_statuses
    assert "rec2" not in plan.deletes and "rec2" in plan.unkeyable
    assert plan.deletes == ["rec3"]


@pytest.mark.parametrize("name", ["Playbook", "Deal ID", "Step", "Due Date"])
def test_key_fields_as_lookups(name):
    clean = record("rec1", "2026-11-02T08:00:00.000Z", Status="sent")
    one = record("rec2", "2026-11-02T09:00:00.000Z", Status="pending", **{name: [clean["fields"][name]]})
    two = record("rec3", "2026-11-02T09:00:00.000Z", Status="pending", **{name: ["a", "b"]})
    plan = plan_dedupe([clean, one, two])
    assert plan.deletes == ["rec2"]
    assert list(plan.unkeyable) == ["rec3"] and name in plan.unkeyable["rec3"]


def test_the_eu_style_twin_of_a_sent_task_is_its_duplicate():
    """The original failure: 31/03/2026 proves the table writes day first, so 11/03/2026 is 11 March."""
    sent = record("recSent", "2026-03-01T08:00:00.000Z", Status="sent", **{"Due Date": "2026-03-11"})
    twin = record("recTwin", "2026-03-01T08:00:01.000Z", Status="pending", **{"Due Date": "11/03/2026"})
    other = record("recOther", "2026-03-01T08:00:00.000Z", Status="sent", **{"Deal ID": "7", "Due Date": "31/03/2026"})
    plan = plan_dedupe([sent, twin, other])
    assert plan.deletes == ["recTwin"]
    assert plan.date_convention == "day-first" and "inferred" in plan.date_convention_reason
    assert plan.ambiguous_dates == ["recTwin"]
    assert plan.summary()["date_convention"] == "day-first" and plan.summary()["ambiguous_dates"] == 1
    assert not plan.unkeyable


def test_month_first_evidence_reads_the_table_month_first():
    records = [
        record("rec1", "2026-11-02T08:00:00.000Z", Status="sent", **{"Due Date": "2026-11-03"}),
        record("rec2", "2026-11-02T08:00:01.000Z", **{"Due Date": "11/03/2026"}),
        record("rec3", "2026-11-02T08:00:00.000Z", **{"Deal ID": "8", "Due Date": "03/31/2026"}),
    ]
    plan = plan_dedupe(records)
    assert plan.date_convention == "month-first" and plan.deletes == ["rec2"]


def test_conflicting_evidence_falls_back_to_the_default_and_keeps_the_odd_dates():
    records = [
        record("rec1", "2026-11-02T08:00:00.000Z", **{"Due Date": "31/03/2026"}),
        record("rec2", "2026-11-02T08:00:00.000Z", **{"Deal ID": "8", "Due Date": "03/31/2026"}),
    ]
    plan = plan_dedupe(records)
    assert plan.date_convention == "month-first" and not DEFAULT_DAY_FIRST
    assert "conflicting" in plan.date_convention_reason
    assert list(plan.unkeyable) == ["rec1"] and not plan.deletes


def test_no_evidence_uses_the_default_and_says_so():
    convention = infer_date_convention([("a", "2026-01-02"), ("b", "05/05/2026"), ("c", ["04/05/2026"])])
    assert convention.day_first is DEFAULT_DAY_FIRST and "no date" in convention.reason
    assert convention.ambiguous == ("c",)


def test_a_convention_given_by_the_caller_wins():
    plan = plan_dedupe([record("rec1", "2026-11-02T08:00:00.000Z", **{"Due Date": "11/03/2026"})], day_first=True)
    assert plan.date_convention == "day-first" and plan.survivors == {"stale_deal_nudge|42|1|2026-03-11": "rec1"}


def test_existing_summary_keys_are_kept():
    summary = plan_dedupe([]).summary()
    assert {"records", "keys", "duplicate_groups", "removed", "updated", "deals_contacted_twice", "unkeyable", "unknown_statuses"} <= set(summary)


def test_the_plan_never_raises_whatever_the_task_fields_hold():
    from tests.unit.test_playbook_field_types import WEIRD_VALUES

    records = [
        record(f"rec{name}{i}", "2026-11-02T08:00:00.000Z", **{name: value})
        for name in ("Playbook", "Deal ID", "Step", "Due Date", "Status", "Key")
        for i, value in enumerate(WEIRD_VALUES)
    ]
    plan = plan_dedupe(records)
    assert plan.records == len(records)
    assert plan.keys + len(plan.deletes) + len(plan.unkeyable) == len(records)


def test_an_impossible_date_is_evidence_of_nothing():
    convention = infer_date_convention([("a", "31/02/2026"), ("b", "11/25/2026"), ("c", "11/03/2026")])
    assert not convention.day_first and "inferred" in convention.reason and convention.ambiguous == ("c",)
