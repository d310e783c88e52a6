import datetime as dt
from dataclasses import dataclass, field

from clawbot_assets.domain.duplicate_audit import seven_day_verdict

UTC = dt.timezone.utc
TODAY = dt.date(2026, 11, 25)


@dataclass
class Run:
    audited_from: dt.datetime | None
    audited_to: dt.datetime
    duplicates_created_by_day: dict = field(default_factory=dict)


def at(day, hour=2):
    return dt.datetime(2026, 11, day, hour, 30, tzinfo=UTC)


def nightly(days):
    return [Run(at(day - 1) - dt.timedelta(hours=1), at(day)) for day in days]


def test_no_history_means_every_day_unaudited():
    verdict = seven_day_verdict([], TODAY)
    assert len(verdict.unaudited_days) == 7 and not verdict.clean


def test_a_full_pass_audits_everything_before_it():
    verdict = seven_day_verdict([Run(None, at(25))], TODAY)
    assert verdict.unaudited_days == () and verdict.clean


def test_contiguous_nightly_runs_cover_the_week():
    assert seven_day_verdict(nightly(range(18, 26)), TODAY).clean


def test_a_gap_between_windows_leaves_the_days_it_touches_unaudited():
    """Windows 19 01:30-20 02:30 and 21 01:30-22 02:30: the 20th and the 21st are not whole."""
    runs = nightly([18, 19, 20, 22, 23, 24, 25])
    assert seven_day_verdict(runs, TODAY).unaudited_days == ("2026-11-20", "2026-11-21")


def test_a_run_after_a_missed_night_reads_from_the_old_watermark_and_closes_the_gap():
    runs = nightly([18, 19, 20, 23, 24, 25]) + [Run(at(20) - dt.timedelta(hours=1), at(22))]
    assert seven_day_verdict(runs, TODAY).clean


def test_duplicates_in_the_window_fail_and_old_ones_do_not():
    runs = [Run(None, at(25), {"2026-11-01": 5, "2026-11-23": 2})]
    verdict = seven_day_verdict(runs, TODAY)
    assert verdict.duplicates_by_day == {"2026-11-23": 2} and not verdict.clean
