import datetime as dt

from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.tasks import due_date_for, plan_upsert, task_rows

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


def test_update_never_resets_status():
    rows = task_rows(PLAYBOOK, ["1"], dt.date(2026, 11, 25))
    plan = plan_upsert(rows, [{"id": "recA", "fields": {"Key": rows[0]["Key"], "Status": "sent", "Playbook": " churn rescue "}}])
    assert plan.to_update == rows and "Status" not in plan.to_update[0]
