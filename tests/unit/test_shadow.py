"""Shadow diffs by Key, and the 7-day readiness to cut over."""

import datetime as dt

from clawbot_assets.domain.shadow import SETTLE, ShadowDiff, ShadowPlan, diff_shadow, readiness

UTC = dt.timezone.utc
TICK = dt.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
DUE = TICK.date()


def key(deal: str) -> str:
    return f"renewal_reminder_30_days|{deal}|1|{DUE.isoformat()}"


def n8n_record(record_id: str, deal: str, **fields) -> dict:
    base = {"Playbook": " Renewal Reminder — 30 Days ", "Deal ID": deal, "Step": "1", "Due Date": DUE.strftime("%m/%d/%Y"), "Source": "n8n", "Status": "pending"}
    return {"id": record_id, "fields": {**base, **fields}}


def plan(**tasks) -> ShadowPlan:
    return ShadowPlan("renewal_reminder_30_days", TICK, DUE, {key(deal): status for deal, status in tasks.items()})


def test_the_same_tasks_loosely_spelled_and_fired_twice_make_an_empty_diff_with_duplicates_counted_apart():
    records = [n8n_record("rec1", "101"), n8n_record("rec2", "102"), n8n_record("rec3", "102")]
    diff = diff_shadow(plan(**{"101": "pending", "102": "pending"}), records)
    assert diff.empty and diff.compared_tasks == 2
    assert diff.n8n_duplicates == {key("102"): ("rec2", "rec3")}


def test_missing_extra_and_different_are_told_apart_by_key():
    records = [
        n8n_record("rec1", "101"),
        n8n_record("rec2", "103"),
        n8n_record("rec3", "104", Status="pending"),
        n8n_record("rec4", "105", Status="intercepted", **{"Intercept Reason": "daily_cap"}),
    ]
    diff = diff_shadow(plan(**{"101": "pending", "102": "pending", "104": "intercepted", "105": "pending"}), records)
    assert diff.missing == (key("102"),)
    assert diff.extra == (key("103"),)
    assert set(diff.different) == {key("104"), key("105")}
    assert "do-not-contact" in diff.different[key("104")] and "daily_cap" in diff.different[key("105")]
    assert not diff.empty and "1 missing, 1 extra, 2 different" in diff.describe()


def test_other_ticks_other_playbooks_and_dagster_written_tasks_are_not_n8n_writes_of_this_tick():
    records = [
        n8n_record("rec1", "101", **{"Due Date": "11/03/2026"}),
        n8n_record("rec2", "101", Playbook="Churn Rescue"),
        n8n_record("rec3", "101", Source="dagster"),
    ]
    diff = diff_shadow(plan(**{"101": "pending"}), records)
    assert diff.missing == (key("101"),) and not diff.extra


def test_a_stored_key_that_names_another_task_is_a_difference():
    records = [n8n_record("rec1", "101", Key=f"renewal_reminder_30_days|999|1|{DUE.isoformat()}")]
    diff = diff_shadow(plan(**{"101": "pending"}), records)
    assert set(diff.different) == {key("101")}


def clean_daily_diffs(first_day: int, days: int) -> list[ShadowDiff]:
    return [ShadowDiff("daily", TICK + dt.timedelta(days=first_day + n), DUE) for n in range(days)]


NOW = TICK + dt.timedelta(days=6) + SETTLE


def test_seven_consecutive_clean_days_make_a_playbook_ready_and_six_do_not():
    ready = readiness("daily", "0 7 * * *", "UTC", clean_daily_diffs(0, 7), NOW)
    assert ready.ready and ready.clean_days == 7 and ready.clean_since == TICK
    six = readiness("daily", "0 7 * * *", "UTC", clean_daily_diffs(1, 6), NOW)
    assert not six.ready and six.clean_days == 6 and "6 of 7" in six.reason


def test_a_tick_without_a_diff_or_with_a_difference_restarts_the_count():
    diffs = clean_daily_diffs(0, 7)
    gap = readiness("daily", "0 7 * * *", "UTC", diffs[:3] + diffs[4:], NOW)
    assert not gap.ready and gap.clean_days == 3 and "no shadow diff for the tick of 2026-11-05T07:00" in gap.reason
    diffs[2] = ShadowDiff("daily", diffs[2].tick, DUE, missing=("k",))
    differs = readiness("daily", "0 7 * * *", "UTC", diffs, NOW)
    assert not differs.ready and differs.clean_days == 4 and "1 missing" in differs.reason


def test_a_tick_younger_than_the_settle_time_is_not_expected_yet():
    assert readiness("daily", "0 7 * * *", "UTC", clean_daily_diffs(0, 7), NOW + dt.timedelta(days=1) - dt.timedelta(minutes=1)).ready


def test_a_weekly_playbook_is_ready_after_two_clean_ticks_a_week_apart():
    weekly = [ShadowDiff("weekly", TICK, DUE), ShadowDiff("weekly", TICK + dt.timedelta(days=7), DUE)]
    now = TICK + dt.timedelta(days=7) + SETTLE
    assert readiness("weekly", "0 7 * * 1", "UTC", weekly, now).ready
    assert not readiness("weekly", "0 7 * * 1", "UTC", weekly[1:], now).ready
