"""Shadow diffs by Key, and the 7-day readiness to cut over."""

import datetime as dt

from clawbot_assets.domain.shadow import GRACE, SETTLE, ShadowDiff, ShadowPlan, diff_shadows, readiness, settled_ticks

UTC = dt.timezone.utc
TICK = dt.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
DUE = TICK.date()


def key(deal: str) -> str:
    return f"renewal_reminder_30_days|{deal}|1|{DUE.isoformat()}"


def n8n_record(record_id: str, deal: str, **fields) -> dict:
    base = {"Playbook": " Renewal Reminder — 30 Days ", "Deal ID": deal, "Step": "1", "Due Date": DUE.strftime("%m/%d/%Y"), "Source": "n8n", "Status": "pending"}
    return {"id": record_id, "fields": {**base, **fields}}


def diff_shadow(plan: ShadowPlan, records: list[dict]) -> ShadowDiff:
    (diff,) = diff_shadows([plan], records)
    return diff


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
    return [ShadowDiff("daily", TICK + dt.timedelta(days=first_day + n), DUE, compared_tasks=3) for n in range(days)]


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
    diffs[2] = ShadowDiff("daily", diffs[2].tick, DUE, missing=("k",), compared_tasks=1)
    differs = readiness("daily", "0 7 * * *", "UTC", diffs, NOW)
    assert not differs.ready and differs.clean_days == 4 and "1 missing" in differs.reason


def test_a_tick_younger_than_the_settle_time_is_not_expected_yet():
    assert readiness("daily", "0 7 * * *", "UTC", clean_daily_diffs(0, 7), NOW + dt.timedelta(days=1) - dt.timedelta(minutes=1)).ready


def test_a_weekly_playbook_is_ready_after_two_clean_ticks_a_week_apart():
    weekly = [ShadowDiff("weekly", TICK, DUE, compared_tasks=1), ShadowDiff("weekly", TICK + dt.timedelta(days=7), DUE, compared_tasks=1)]
    now = TICK + dt.timedelta(days=7) + SETTLE
    assert readiness("weekly", "0 7 * * 1", "UTC", weekly, now).ready
    assert not readiness("weekly", "0 7 * * 1", "UTC", weekly[1:], now).ready


def test_plans_of_several_playbooks_and_days_are_compared_in_one_pass():
    other = ShadowPlan("churn_rescue", TICK, DUE, {f"churn_rescue|101|1|{DUE.isoformat()}": "pending"})
    records = [n8n_record("rec1", "101"), n8n_record("rec2", "101", Playbook="Churn Rescue")]
    first, second = diff_shadows([plan(**{"101": "pending"}), other], records)
    assert first.empty and second.empty and first.slug != second.slug


def test_a_difference_on_any_copy_n8n_wrote_is_a_difference():
    records = [n8n_record("rec1", "104", Status="intercepted"), n8n_record("rec2", "104", Status="pending")]
    diff = diff_shadow(plan(**{"104": "intercepted"}), records)
    assert "rec2" in diff.different[key("104")] and diff.n8n_duplicates == {key("104"): ("rec1", "rec2")}


def test_the_hour_a_clock_goes_back_is_one_tick_not_two():
    """croniter yields 01:30 EDT and 01:30 EST on 2025-11-02; Dagster fires once."""
    start, end = dt.datetime(2025, 10, 29, 12, tzinfo=UTC), dt.datetime(2025, 11, 5, 12, tzinfo=UTC)
    ticks = settled_ticks("30 1 * * *", "America/New_York", start, end)
    assert len(ticks) == 7 and len({t.date() for t in ticks}) == 7
    diffs = [ShadowDiff("ny", tick, tick.date(), compared_tasks=2) for tick in ticks]
    verdict = readiness("ny", "30 1 * * *", "America/New_York", diffs, end)
    assert verdict.ready and verdict.clean_days == 7


def test_a_tick_whose_run_may_still_be_queued_is_not_judged_yet():
    diffs = clean_daily_diffs(0, 7)
    just_after_next_tick = TICK + dt.timedelta(days=7) + SETTLE + dt.timedelta(minutes=20)
    assert readiness("daily", "0 7 * * *", "UTC", diffs, just_after_next_tick).ready
    late = readiness("daily", "0 7 * * *", "UTC", diffs, TICK + dt.timedelta(days=7) + GRACE)
    assert not late.ready and "no shadow diff for the tick of 2026-11-09T07:00" in late.reason


def test_a_monthly_playbook_is_ready_after_two_clean_ticks():
    ticks = [dt.datetime(2026, 10, 1, 9, tzinfo=UTC), dt.datetime(2026, 11, 1, 9, tzinfo=UTC)]
    now = ticks[-1] + GRACE
    diffs = [ShadowDiff("monthly", tick, tick.date(), compared_tasks=5) for tick in ticks]
    assert readiness("monthly", "0 9 1 * *", "UTC", diffs, now).ready
    one = readiness("monthly", "0 9 1 * *", "UTC", diffs[1:], now)
    assert not one.ready and "1 of 7 days" in one.reason and "no shadow diff for the tick of 2026-10-01" in one.reason


def test_a_week_where_nothing_was_compared_is_not_enough_evidence():
    """n8n wrote nothing and the trigger stage had no deal: every diff is empty over 0 tasks.
    That was "8 consecutive days, no difference over 0 tasks"; it proves nothing."""
    nothing = [ShadowDiff("daily", TICK + dt.timedelta(days=n), DUE) for n in range(8)]
    verdict = readiness("daily", "0 7 * * *", "UTC", nothing, NOW + dt.timedelta(days=1))
    assert not verdict.ready and verdict.reason.startswith("not enough evidence")
    assert verdict.clean_days == 0 and verdict.evidence_days == 0 and "8 clean ticks, none of them compared a task" in verdict.reason


def test_days_without_tasks_neither_count_nor_break_the_run():
    diffs = clean_daily_diffs(0, 9)
    for quiet in (2, 5):
        diffs[quiet] = ShadowDiff("daily", diffs[quiet].tick, DUE)
    now = TICK + dt.timedelta(days=8) + SETTLE
    seven = readiness("daily", "0 7 * * *", "UTC", diffs, now)
    assert seven.ready and seven.evidence_days == 7 and seven.clean_days == 9
    short = readiness("daily", "0 7 * * *", "UTC", diffs[1:], now)
    assert not short.ready and short.evidence_days == 6 and short.reason.startswith("not enough evidence: 6 of 7 days")


def test_a_weekly_playbook_needs_two_ticks_with_tasks():
    weekly = [ShadowDiff("weekly", TICK, DUE, compared_tasks=1), ShadowDiff("weekly", TICK + dt.timedelta(days=7), DUE)]
    now = TICK + dt.timedelta(days=7) + SETTLE
    assert not readiness("weekly", "0 7 * * 1", "UTC", weekly, now).ready
    weekly.append(ShadowDiff("weekly", TICK + dt.timedelta(days=14), DUE, compared_tasks=4))
    assert readiness("weekly", "0 7 * * 1", "UTC", weekly, now + dt.timedelta(days=7)).ready
