"""Severity routing and the weekly handover's summary, as pure functions (issue 19)."""

import datetime as dt

import pytest

from clawbot_assets.domain.alert_routing import (
    CHANNEL,
    CHANNEL_NO_PAGER,
    PAGER,
    check_alert_kind,
    route_for,
)
from clawbot_assets.domain.handover import (
    CheckHistory,
    CheckResult,
    DlqDepth,
    DlqIncident,
    alerts_raised,
    failing_since,
    open_incident,
    render_markdown,
    summarise,
)

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.mark.parametrize(("kind", "severity", "pager", "route"), [
    ("check_failed", "ERROR", True, PAGER),
    ("check_failed", "error", True, PAGER),
    ("check_failed", "WARN", True, CHANNEL),
    ("check_recovered", "ERROR", True, CHANNEL),
    ("dlq_incident", "WARN", True, PAGER),
    ("dlq_incident", "ERROR", False, CHANNEL_NO_PAGER),
    ("check_failed", "ERROR", False, CHANNEL_NO_PAGER),
    ("check_failed", "WARN", False, CHANNEL),
])
def test_errors_and_dlq_incidents_page_the_rest_goes_to_the_channel(kind, severity, pager, route):
    assert route_for(kind, severity, pager) == route


def test_a_check_alerts_when_it_starts_failing_and_when_it_recovers_only():
    assert check_alert_kind(None, False) == "check_failed"
    assert check_alert_kind(False, False) == "check_failed"
    assert check_alert_kind(True, False) is None
    assert check_alert_kind(True, True) == "check_recovered"
    assert check_alert_kind(None, True) is None and check_alert_kind(False, True) is None


def history(check, *results, complete=True, severity="ERROR"):
    return CheckHistory(check, [CheckResult(check, passed, severity, days_ago(age)) for age, passed in results], complete)


def test_failing_since_is_the_start_of_the_current_streak():
    failing = failing_since(history("a:c", (9, False), (5, True), (3, False), (1, False)))
    assert failing.since == days_ago(3) and failing.severity == "ERROR" and not failing.at_least
    assert failing_since(history("a:c", (3, False), (1, True))) is None
    truncated = failing_since(history("a:c", (3, False), (1, False), complete=False))
    assert truncated.since == days_ago(3) and truncated.at_least


def test_the_weeks_alerts_are_counted_by_route_from_the_record():
    histories = [
        history("a:err", (9, True), (6, False), (2, True), (1, False)),  # failed, recovered, failed: 2 pages, 1 channel
        history("a:warn", (8, False), (3, False), (2, True), severity="WARN"),  # failing before the week: only the recovery
    ]
    incidents = [DlqIncident("dlq-1", days_ago(10)), DlqIncident("dlq-2", days_ago(4))]
    assert alerts_raised(histories, incidents, days_ago(7), True) == {PAGER: 3, CHANNEL: 2, CHANNEL_NO_PAGER: 0, "channel-pager-failed": 0}
    assert alerts_raised(histories, incidents, days_ago(7), False)[CHANNEL_NO_PAGER] == 3


def test_an_incident_is_open_while_the_dlq_stays_above_its_threshold():
    incidents = [DlqIncident("dlq-1", days_ago(10)), DlqIncident("dlq-2", days_ago(4))]
    assert open_incident(incidents, DlqDepth(5, 0, days_ago(0))).incident == "dlq-2"
    assert open_incident(incidents, DlqDepth(0, 0, days_ago(0))) is None
    assert open_incident(incidents, None) is None
    assert open_incident([], DlqDepth(5, 0, days_ago(0))) is None


def test_the_summary_lists_errors_first_and_says_when_the_budget_is_not_measured():
    histories = [history("a:warn", (1, False), severity="WARN"), history("a:err", (2, False)), history("a:ok", (1, True))]
    handover = summarise(histories, [DlqIncident("dlq-3", days_ago(1))], DlqDepth(2, 0, days_ago(0)), None, False, NOW)
    assert [f.check for f in handover.failing] == ["a:err", "a:warn"]
    markdown = render_markdown(handover, "https://repo/blob/main")
    assert "DLQ incident `dlq-3`" in markdown and "https://repo/blob/main/docs/runbooks/dlq_not_empty.md" in markdown
    assert "ERROR check `a:err` failing since 2026-12-05 09:00 UTC" in markdown and "ERROR check `a:warn`" not in markdown
    assert "| `a:warn` | WARN | 2026-12-06 09:00 UTC |" in markdown
    assert "Not measured" in markdown and "Pager: not configured" in markdown

    measured = render_markdown(summarise([], [], None, {"requests_last_hour": 1234, "note": "a|b"}, True, NOW))
    assert "| requests_last_hour | 1234 |" in measured and "a\\|b" in measured and "Open incidents\n\nNone." in measured
