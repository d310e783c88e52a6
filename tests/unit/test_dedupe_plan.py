from clawbot_assets.demo.data import backlog_records
from clawbot_assets.domain.dedupe import STATUS_ORDER, plan_dedupe


def record(record_id, created, **fields):
    base = {"Playbook": "Stale Deal Nudge", "Deal ID": "42", "Step": "1", "Due Date": "2026-11-03"}
    return {"id": record_id, "createdTime": created, "fields": {**base, **fields}}


KEY = "stale_deal_nudge|42|1|2026-11-03"


def test_empty_table_plans_nothing():
    plan = plan_dedupe([])
    assert plan.summary()["records"] == 0 and not plan.deletes and not plan.updates


def test_status_furthest_along_survives_whatever_the_order():
    for survivor_status in STATUS_ORDER:
        others = [s for s in STATUS_ORDER if STATUS_ORDER.index(s) > STATUS_ORDER.index(survivor_status)]
        records = [record(f"rec{i}", f"2026-11-02T08:00:0{i}.000Z", Status=s) for i, s in enumerate(others)]
        records.append(record("recZ", "2026-11-02T09:00:00.000Z", Status=survivor_status))
        plan = plan_dedupe(records)
        assert plan.survivors == {KEY: "recZ"}
        assert sorted(plan.deletes) == sorted(r["id"] for r in records if r["id"] != "recZ")


def test_ties_break_by_earliest_created_then_id():
    records = [
        record("recB", "2026-11-02T08:00:00.000Z", Status="pending"),
        record("recA", "2026-11-02T08:00:00.000Z", Status="pending"),
        record("recC", "2026-11-01T08:00:00.000Z", Status="pending"),
    ]
    assert plan_dedupe(records).survivors == {KEY: "recC"}
    assert plan_dedupe(records[:2]).survivors == {KEY: "recA"}


def test_loose_spellings_group_together_and_blanks_are_filled():
    records = [
        record("rec1", "2026-11-02T08:00:00.000Z", Status="sent"),
        record("rec2", "2026-11-02T08:01:00.000Z", Playbook=" STALE DEAL NUDGE ", **{"Deal ID": 42.0, "Due Date": "11/03/2026"}, Status="pending", **{"Last Error": "timeout"}),
    ]
    plan = plan_dedupe(records)
    assert plan.deletes == ["rec2"] and plan.removed[0]["id"] == "rec2"
    assert plan.updates == [("rec1", {"Last Error": "timeout", "Key": KEY})]


def test_all_sent_group_is_reported_as_contacted_twice():
    records = [record(f"rec{i}", f"2026-11-02T08:00:0{i}.000Z", Status="sent") for i in range(3)]
    plan = plan_dedupe(records)
    assert plan.contacted_twice == [KEY] and plan.survivors == {KEY: "rec0"} and len(plan.deletes) == 2


def test_unknown_status_ranks_lowest_and_is_reported():
    records = [record("rec1", "2026-11-02T08:00:00.000Z", Status="bounced"), record("rec2", "2026-11-03T08:00:00.000Z", Status="cancelled")]
    plan = plan_dedupe(records)
    assert plan.survivors == {KEY: "rec2"} and plan.unknown_statuses == {"rec1": "bounced"}


def test_unkeyable_records_are_kept_and_reported():
    records = [record("rec1", "2026-11-02T08:00:00.000Z", **{"Due Date": "31/02/2026"}), record("rec2", "2026-11-02T08:00:00.000Z", **{"Due Date": "31/02/2026"})]
    plan = plan_dedupe(records)
    assert not plan.deletes and set(plan.unkeyable) == {"rec1", "rec2"}


def test_singleton_without_key_gets_its_key_written():
    plan = plan_dedupe([record("rec1", "2026-11-02T08:00:00.000Z")])
    assert plan.key_backfills == [("rec1", KEY)] and not plan.updates and not plan.deletes


def test_duplicates_are_counted_on_the_day_they_were_created():
    records = [record("rec1", "2026-11-02T08:00:00.000Z"), record("rec2", "2026-11-04T08:00:00.000Z"), record("rec3", "2026-11-04T09:00:00.000Z")]
    assert plan_dedupe(records).duplicates_created_by_day == {"2026-11-04": 2}


def test_demo_backlog_plan_accounts_for_every_record():
    records = backlog_records()
    plan = plan_dedupe(records)
    assert plan.duplicate_groups > 50 and plan.contacted_twice and len(plan.unkeyable) == 3
    assert plan.keys + len(plan.deletes) + len(plan.unkeyable) == len(records)


def test_a_key_naming_another_task_is_never_rewritten_but_a_respelled_one_is():
    stale = record("recStale", "2026-11-02T08:00:00.000Z", Status="sent", Key="stale_deal_nudge|41|1|2026-11-03")
    respelled = record("recSpelled", "2026-11-02T08:00:00.000Z", **{"Deal ID": "43", "Key": " Stale_Deal_Nudge|43|1|2026-11-03 "})
    twin = record("recTwin", "2026-11-02T09:00:00.000Z", Status="pending", **{"Deal ID": "44"})
    stale_survivor = record("recStale2", "2026-11-02T08:00:00.000Z", Status="sent", **{"Deal ID": "44", "Key": "stale_deal_nudge|40|1|2026-11-03"})
    plan = plan_dedupe([stale, respelled, twin, stale_survivor])
    assert plan.key_backfills == [("recSpelled", "stale_deal_nudge|43|1|2026-11-03")]
    assert plan.deletes == ["recTwin"] and all("Key" not in changes for _, changes in plan.updates)
