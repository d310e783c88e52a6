"""The post-mortem's aggregation rules, on plain records."""

import datetime as dt

from clawbot_assets.domain.postmortem import (
    AuditSnapshot,
    BudgetReading,
    DedupeEvent,
    InterceptEvent,
    MigrationRecord,
    PlaybookNow,
    ShadowEvent,
    cutover_time,
    post_mortem,
)

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def test_a_deal_contacted_twice_counts_once_however_many_dedupes_report_it():
    dedupes = [
        DedupeEvent(at(1), "r1", duplicate_groups=5, removed=7, contacted_twice_keys=("a|1|1|2026-11-01", "b|2|1|2026-11-01"), contacted_twice_found_now=2),
        DedupeEvent(at(25), "r2", duplicate_groups=1, removed=1, contacted_twice_keys=("a|1|1|2026-11-01",), contacted_twice_found_now=0),
        DedupeEvent(at(49), "r3", duplicate_groups=0, removed=0, contacted_twice_found_now=1),
    ]
    figures = post_mortem(MigrationRecord(T0, at(50), dedupes=dedupes)).duplicates
    assert (figures.runs, figures.duplicate_groups, figures.removed, figures.deals_contacted_twice) == (3, 6, 8, 3)
    assert [removed for _when, _groups, removed in figures.series] == [7, 1, 0]


def test_intercepts_sum_by_reason_across_assets():
    events = [
        InterceptEvent(at(1), "sales_dispatch", {"cooldown": 3, "daily_cap_reached": 1}),
        InterceptEvent(at(2), "sales_dispatch", {"cooldown": 2}),
        InterceptEvent(at(3), "playbook_tasks", {"do_not_contact": 4}),
    ]
    report = post_mortem(MigrationRecord(T0, at(5), intercepts=events))
    assert report.intercepts_by_reason == {"cooldown": 5, "do_not_contact": 4, "daily_cap_reached": 1}
    assert report.intercepts_by_source == {"sales_dispatch": 6, "playbook_tasks": 4}


def test_cutover_is_the_first_audit_on_dagster_after_shadow():
    audits = [
        AuditSnapshot(at(0), {"p": "dagster"}),  # Dagster before any shadow: not a cutover
        AuditSnapshot(at(1), {"p": "n8n"}),
        AuditSnapshot(at(2), {"p": "shadow"}),
        AuditSnapshot(at(200), {"p": "dagster"}),
        AuditSnapshot(at(201), {"p": "dagster"}),
    ]
    assert cutover_time(audits, "p", None) == at(200)
    assert cutover_time(audits[:2], "p", None) is None
    assert cutover_time([AuditSnapshot(at(10), {"p": "dagster"})], "p", at(5)) == at(10), "shadow seen by a shadow event"


def test_shadow_days_count_distinct_tick_days_and_the_row_says_when_it_cut_over():
    events = [
        ShadowEvent("p", "plan", at(24 * day + 7), at(24 * day + 8)) for day in range(3)
    ] + [ShadowEvent("p", "diff", at(24 * day + 7), at(24 * day + 9), empty=day != 1) for day in range(3)]
    record = MigrationRecord(
        T0, at(100), shadow_events=events, audits=[AuditSnapshot(at(80), {"p": "dagster"})],
        playbooks=[PlaybookNow("p", "Playbook P", "dagster", True)],
    )
    (row,) = post_mortem(record).playbooks
    assert (row.name, row.shadow_days, row.diffs, row.empty_diffs) == ("Playbook P", 3, 3, 2)
    assert row.shadow_from == at(7) and row.cutover_at == at(80) and row.shadow_to_cutover == dt.timedelta(hours=73)


def test_the_budget_is_not_measured_without_readings_that_carry_figures():
    assert post_mortem(MigrationRecord(T0, at(1))).budget is None
    assert post_mortem(MigrationRecord(T0, at(1), budget=[BudgetReading(at(0), None, None, None, None)])).budget is None
    readings = [BudgetReading(at(0), 100, 0.0056, None, None), BudgetReading(at(1), 50, 0.0028, 40, 0.0022)]
    budget = post_mortem(MigrationRecord(T0, at(2), budget=readings)).budget
    assert budget is not None and (budget.peak_hour_requests, budget.steady_state_requests, budget.readings) == (100, 40, 2)
