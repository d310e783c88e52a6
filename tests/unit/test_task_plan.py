import datetime as dt

from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.tasks import due_date_for, plan_upsert, still_blank, task_rows

PLAYBOOK = validate_playbooks([{"id": "r", "fields": {"Name": "Churn Rescue", "Tier": "HOT", "Trigger": "hubspot_stage:renewals/at_risk", "Approval": "manual", "Cron": "0 9 * * *", "Timezone": "America/Sao_Paulo"}}])[0].playbook


def test_due_date_is_the_scheduled_date_in_the_playbook_timezone():
    tick = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.timezone.utc)
    assert due_date_for(PLAYBOOK, tick) == dt.date(2026, 11, 25)


def test_rows_are_one_per_deal_and_sorted():
    rows = task_rows(PLAYBOOK, ["2", "1", "2"], dt.date(2026, 11, 25))
    assert [row["Key"] for row in rows] == ["churn_rescue|1|1|2026-11-25", "churn_rescue|2|1|2026-11-25"]


def test_plan_creates_new_skips_unchanged_and_holds_ambiguous():
    rows = task_rows(PLAYBOOK, ["1", "2", "3"], dt.date(2026, 11, 25))
    existing = [
        {"id": "recA", "fields": dict(rows[0], Status="sent")},
        {"id": "recB", "fields": {"Key": rows[1]["Key"]}},
        {"id": "recC", "fields": {"Key": rows[1]["Key"]}},
    ]
    plan = plan_upsert(rows, existing)
    assert plan.unchanged == [rows[0]["Key"]]
    assert plan.ambiguous == {rows[1]["Key"]: ["recB", "recC"]}
    assert plan.to_create == [dict(rows[2], Status="pending", Source="dagster")]


def test_a_stored_task_is_never_written_whatever_its_spelling():
    rows = task_rows(PLAYBOOK, ["1"], dt.date(2026, 11, 25))
    plan = plan_upsert(rows, [{"id": "recA", "fields": {"Key": rows[0]["Key"], "Status": "sent", "Playbook": " churn rescue "}}])
    assert plan.unchanged == [rows[0]["Key"]] and not plan.to_create and not plan.to_repair


def test_a_key_whose_record_is_another_deal_is_held_back():
    rows = task_rows(PLAYBOOK, ["1", "2"], dt.date(2026, 11, 25))
    stale = {"id": "recA", "fields": {**rows[0], "Deal ID": "99", "Status": "sent"}}
    legacy = {"id": "recB", "fields": {**rows[1], "Due Date": "11/25/2026", "Status": "sent"}}
    plan = plan_upsert(rows, [stale, legacy])
    assert plan.key_mismatch == {rows[0]["Key"]: ["recA"]}
    assert plan.unchanged == [rows[1]["Key"]], "a date readable as the Key's under either convention agrees"


def test_a_task_without_status_is_repaired_only_when_old_and_only_its_blanks():
    rows = task_rows(PLAYBOOK, ["1", "2"], dt.date(2026, 11, 25))
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.timezone.utc)
    old = {"id": "recOld", "createdTime": "2026-11-25T11:00:00.000Z", "fields": {"Key": rows[0]["Key"], "Owner": "x"}}
    young = {"id": "recYoung", "createdTime": "2026-11-25T11:59:30.000Z", "fields": {"Key": rows[1]["Key"]}}
    plan = plan_upsert(rows, [old, young], frozenset({"1"}), now=now)
    assert plan.awaiting_status == [rows[1]["Key"]]
    assert plan.to_repair == [("recOld", {**{k: v for k, v in rows[0].items() if k != "Key"}, "Status": "intercepted", "Intercept Reason": "do_not_contact", "Source": "dagster"})]
    current = [{"id": "recOld", "fields": {"Key": rows[0]["Key"], "Status": "sent"}}]
    assert still_blank(plan.to_repair, current) == []
    current = [{"id": "recOld", "fields": {"Key": rows[0]["Key"], "Playbook": "Churn Rescue", "Deal ID": "1"}}]
    assert [set(fields) for _, fields in still_blank(plan.to_repair, current)] == [{"Step", "Due Date", "Status", "Intercept Reason", "Source"}]
