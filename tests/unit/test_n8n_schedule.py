"""n8n schedule nodes read the way n8n 1.123 runs them, checked fire time by fire time.

The expected fire times come from n8n's own source, worked by hand:

- [GF] ``n8n-io/n8n packages/nodes-base/nodes/Schedule/GenericFunctions.ts``: ``toCronExpression``
  (random second, ``*/N`` crons, day/week/month crons filtered later), ``recurrenceCheck``
  (``hour === (size + last) % 24``, ``dayOfYear === (size + last) % 365``,
  ``week === (size + last) % 52 || week === last``, ``month === (size + last) % 12``),
  ``intervalToRecurrence`` and ``validateInterval``.
- [ST] ``packages/nodes-base/nodes/Schedule/ScheduleTrigger.node.ts``: versions 1-1.3, defaults,
  ``validateInterval`` only from 1.3, ``registerCron`` per rule.
- [WC] ``packages/workflow/src/cron.ts``: the legacy Cron node's ``toCronExpression`` (random
  second everywhere, random minute for "every X hours"); [CN] ``packages/nodes-base/nodes/Cron/
  Cron.node.ts`` for its defaults.
- [CR] ``packages/core/src/execution-engine/scheduled-task-manager.ts``: every rule is a
  ``CronJob`` of the npm ``cron`` package 3.x, whose ``dist/constants.js`` (presets, aliases,
  ranges) and ``dist/time.js`` (``_parse``, ``_parseField``) decide what is refused.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clawbot_assets.domain.cron_words import describe_cron
from clawbot_assets.domain.n8n_cron import CronRefused, n8n_six_fields
from clawbot_assets.domain.n8n_fire_times import firing_state, fire_times, moment_week
from clawbot_assets.domain.n8n_schedule import (
    RANDOM_MINUTE,
    Recurrence,
    interval_rule,
    parse_workflow,
    trigger_time_rule,
    workflows_by_playbook,
)

PARIS = ZoneInfo("Europe/Paris")


def workflow(nodes, active=True, name="Stale Deal Nudge", tags=(), timezone="Europe/Paris", **extra):
    return {
        "id": "wf1",
        "name": name,
        "active": active,
        "nodes": nodes,
        "settings": {"timezone": timezone} if timezone else {},
        "tags": [{"id": str(i), "name": t} for i, t in enumerate(tags)],
        **extra,
    }


def schedule(*rules, version=1.2):
    return {"name": "Schedule", "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": version, "parameters": {"rule": {"interval": list(rules)}}}


def cron(*items):
    return {"name": "Cron", "type": "n8n-nodes-base.cron", "typeVersion": 1, "parameters": {"triggerTimes": {"item": list(items)}}}


def local(text: str, zone=PARIS) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def only(node, timezone="Europe/Paris", activated="2026-03-02T09:30:00+01:00"):
    parsed = parse_workflow(workflow([node], timezone=timezone, updatedAt=activated))
    assert len(parsed.schedules) == 1, parsed
    return parsed, parsed.schedules[0]


def fires(node, count, timezone="Europe/Paris", activated="2026-03-02T09:30:00+01:00", until_days=800):
    parsed, rule = only(node, timezone, activated)
    times = []
    for fire in fire_times(rule, parsed.activated_at, parsed.activated_at + dt.timedelta(days=until_days)):
        times.append(fire.replace(tzinfo=None).isoformat(timespec="seconds"))
        if len(times) == count:
            break
    return times


# (what, node, activated at, first fire times n8n produces, source)
FIRE_TABLE = [
    ("days default: every day 00:00 at a random second", schedule({}), "2026-03-02T09:30:00+01:00",
     ["2026-03-03T00:00:00", "2026-03-04T00:00:00"], "GF toCronExpression days; ST defaults"),
    ("minutes 15", schedule({"field": "minutes", "minutesInterval": 15}), "2026-03-02T09:31:00+01:00",
     ["2026-03-02T09:45:00", "2026-03-02T10:00:00"], "GF `${second} */15 * * * *`"),
    ("hours 3 at :15", schedule({"field": "hours", "hoursInterval": 3, "triggerAtMinute": 15}), "2026-03-02T09:30:00+01:00",
     ["2026-03-02T12:15:00", "2026-03-02T15:15:00", "2026-03-02T18:15:00", "2026-03-02T21:15:00", "2026-03-03T00:15:00"],
     "GF */3 hours; recurrenceCheck (last+3)%24 always reached"),
    ("hours 5 stops after two fires", schedule({"field": "hours", "hoursInterval": 5}), "2026-03-02T11:00:00+01:00",
     ["2026-03-02T15:00:00", "2026-03-02T20:00:00"], "GF */5 gives 0,5,10,15,20; after 20 it waits for hour 1"),
    ("hours 7 stops after two fires", schedule({"field": "hours", "hoursInterval": 7}), "2026-03-02T08:00:00+01:00",
     ["2026-03-02T14:00:00", "2026-03-02T21:00:00"], "GF */7 gives 0,7,14,21; after 21 it waits for hour 4"),
    ("days 2 counts from the first fire, not the month", schedule({"field": "days", "daysInterval": 2, "triggerAtHour": 9}), "2026-03-02T09:30:00+01:00",
     ["2026-03-03T09:00:00", "2026-03-05T09:00:00", "2026-03-07T09:00:00"], "GF daily cron + dayOfYear (last+2)%365"),
    ("days 2 stops at the year end", schedule({"field": "days", "daysInterval": 2, "triggerAtHour": 9}), "2026-12-26T10:00:00+01:00",
     ["2026-12-27T09:00:00", "2026-12-29T09:00:00"], "GF dayOfYear 361, 363, then (363+2)%365 = 0 never comes"),
    ("weeks 2 is every other week, several weekdays", schedule({"field": "weeks", "weeksInterval": 2, "triggerAtDay": [1, 3], "triggerAtHour": 8}),
     "2026-03-02T09:30:00+01:00", ["2026-03-04T08:00:00", "2026-03-16T08:00:00", "2026-03-18T08:00:00", "2026-03-30T08:00:00"],
     "GF weekly cron + week (last+2)%52 or same week"),
    ("months 3 from the first fire", schedule({"field": "months", "monthsInterval": 3, "triggerAtDayOfMonth": 28, "triggerAtHour": 9}),
     "2026-02-01T00:00:00+01:00", ["2026-04-28T09:00:00", "2026-07-28T09:00:00", "2026-10-28T09:00:00", "2027-01-28T09:00:00"],
     "GF `*/3` months = Jan, Apr, Jul, Oct; month (last+3)%12"),
    ("months 5 fires twice then never", schedule({"field": "months", "monthsInterval": 5}), "2026-02-10T00:00:00+01:00",
     ["2026-06-01T00:00:00", "2026-11-01T00:00:00"], "GF `*/5` months = Jan, Jun, Nov; after Nov it waits for April"),
    ("hours 2 skips the rest of the day after spring DST", schedule({"field": "hours", "hoursInterval": 2}), "2026-03-28T21:30:00+01:00",
     ["2026-03-28T22:00:00", "2026-03-29T00:00:00", "2026-03-30T02:00:00", "2026-03-30T04:00:00"],
     "GF hour (0+2)%24 = 2; 02:00 does not exist on 29 March in Paris"),
    ("seconds */45 restarts each minute", schedule({"field": "seconds", "secondsInterval": 45}), "2026-03-02T09:30:00+01:00",
     ["2026-03-02T09:30:45", "2026-03-02T09:31:00", "2026-03-02T09:31:45"], "GF `*/45 * * * * *`"),
    ("seconds 90 before 1.3 is once a minute", schedule({"field": "seconds", "secondsInterval": 90}, version=1.2), "2026-03-02T09:30:00+01:00",
     ["2026-03-02T09:31:00", "2026-03-02T09:32:00"], "GF `*/90`: only second 0; no validation before 1.3 (ST)"),
    ("@daily preset", schedule({"field": "cronExpression", "expression": "@daily"}), "2026-03-02T09:30:00+01:00",
     ["2026-03-03T00:00:00", "2026-03-04T00:00:00"], "CR PRESETS @daily = 0 0 0 * * *"),
    ("day 1 or Monday", schedule({"field": "cronExpression", "expression": "0 9 1 * 1"}), "2026-03-02T09:30:00+01:00",
     ["2026-03-09T09:00:00", "2026-03-16T09:00:00", "2026-03-23T09:00:00", "2026-03-30T09:00:00", "2026-04-01T09:00:00"],
     "CR time.js: day of month OR day of week"),
    ("every second", cron({"mode": "custom"}), "2026-03-02T09:30:00+01:00",
     ["2026-03-02T09:30:01", "2026-03-02T09:30:02"], "CN default cronExpression `* * * * * *`"),
    ("legacy every week defaults to Monday 14:00", cron({"mode": "everyWeek"}), "2026-03-02T15:00:00+01:00",
     ["2026-03-09T14:00:00"], "CN defaults; WC everyWeek"),
    ("timezone DEFAULT is the n8n process's zone", schedule({"triggerAtHour": 9}), "2026-03-02T09:30:00-05:00",
     ["2026-03-03T09:00:00"], "workflow settings.timezone DEFAULT: GENERIC_TIMEZONE, America/New_York by default"),
]


@pytest.mark.parametrize("what, node, activated, expected, source", FIRE_TABLE, ids=[row[0] for row in FIRE_TABLE])
def test_fire_times_are_the_ones_n8n_produces(what, node, activated, expected, source):
    timezone = "DEFAULT" if "DEFAULT" in what else "Europe/Paris"
    got = fires(node, len(expected) + 1, timezone, activated)
    if "stops" in what or "twice" in what:
        assert got == expected, source
    else:
        assert got[: len(expected)] == expected, source


@pytest.mark.parametrize(
    "what, node, activated, now, reason",
    [
        ("hours 5", schedule({"field": "hours", "hoursInterval": 5}), "2026-03-02T11:00:00+01:00", "2026-03-04T12:00:00", "waits for hour 1"),
        ("days 2 at year end", schedule({"field": "days", "daysInterval": 2, "triggerAtHour": 9}), "2026-12-26T10:00:00+01:00", "2027-01-10T12:00:00", "waits for day 0"),
        ("months 5", schedule({"field": "months", "monthsInterval": 5}), "2026-02-10T00:00:00+01:00", "2027-02-01T00:00:00", "waits for month 3"),
    ],
)
def test_an_interval_that_stopped_firing_says_why(what, node, activated, now, reason):
    parsed, rule = only(node, activated=activated)
    state = firing_state(rule, parsed.activated_at, local(now))
    assert not state.fires and "stopped firing" in state.never_fires and reason in state.never_fires


def test_the_same_interval_still_fires_before_it_stops():
    parsed, rule = only(schedule({"field": "hours", "hoursInterval": 5}), activated="2026-03-02T11:00:00+01:00")
    state = firing_state(rule, parsed.activated_at, local("2026-03-02T16:00:00"))
    assert state.fires and state.next_fire == local("2026-03-02T20:00:00")


@pytest.mark.parametrize(
    "node, refusal",
    [
        (schedule({"field": "seconds", "secondsInterval": 90}, version=1.3), "Seconds must be in range 1-59"),
        (schedule({"field": "minutes", "minutesInterval": 0}, version=1.3), "Minutes must be in range 1-59"),
        (schedule({"field": "hours", "hoursInterval": 24}, version=1.3), "Hours must be in range 1-23"),
        (schedule({"field": "minutes", "minutesInterval": 0}, version=1.1), "step of zero"),
        (schedule({"field": "cronExpression", "expression": "0 9 L * *"}), "unknown alias 'L'"),
        (schedule({"field": "cronExpression", "expression": "0 9 * * MON#2"}), "cannot be parsed"),
        (schedule({"field": "cronExpression", "expression": "0 25 * * *"}), "out of range"),
        (schedule({"field": "cronExpression", "expression": ""}), "too few fields"),
        (cron({"mode": "everyX", "value": 0}), "step of zero"),
        (cron({"mode": "everyX", "unit": "days"}), "not minutes or hours"),
    ],
)
def test_what_n8n_refuses_never_fires(node, refusal):
    parsed, rule = only(node)
    assert not rule.fires and refusal in rule.refused and "never fires" in rule.words
    assert not parsed.live and parsed.refused == (rule,)


def test_random_second_and_the_legacy_random_minute_are_said():
    _, days = only(schedule({"triggerAtHour": 9}))
    assert "random" in days.words and days.random == ("second",)
    _, every = only(cron({"mode": "everyX", "value": 3}))
    assert RANDOM_MINUTE in every.random and "between 09:00 and 09:59" in every.words and every.cron == "0 */3 * * *"
    from clawbot_assets.domain.n8n_fire_times import next_fire_words

    assert next_fire_words(every, local("2026-03-02T09:00:00")) == "between 2026-03-02 09:00 and 09:59 CET (n8n picks the minute at random)"


def test_six_field_and_five_field_crons_compare_equal_when_the_second_is_fixed():
    _, six = only(cron({"mode": "custom", "cronExpression": "0 0 8 * * 1"}))
    _, five = only(schedule({"field": "cronExpression", "expression": "0 8 * * mon"}))
    assert six.comparable == five.comparable == ("0 8 * * 1", None, None, "Europe/Paris")
    _, weekly = only(schedule({"field": "weeks", "weeksInterval": 2, "triggerAtDay": [1], "triggerAtHour": 8}))
    assert weekly.comparable == ("0 8 * * 1", None, Recurrence("weeks", 2), "Europe/Paris")


@pytest.mark.parametrize(
    "rule, expected",
    [
        ({}, "0 0 0 * * *"),
        ({"field": "minutes"}, "0 */5 * * * *"),
        ({"field": "hours"}, "0 0 */1 * * *"),
        ({"field": "weeks"}, "0 0 0 * * 0"),
        ({"field": "months"}, "0 0 0 1 */1 *"),
        ({"field": "seconds"}, "*/30 * * * * *"),
        ({"field": "cronExpression", "expression": "0 7 * * *"}, "0 0 7 * * *"),
    ],
)
def test_schedule_trigger_defaults_as_n8n_builds_the_cron(rule, expected):
    assert interval_rule(rule).cron == expected


@pytest.mark.parametrize(
    "item, expected",
    [
        ({}, "0 0 14 * * *"),
        ({"mode": "everyMinute"}, "0 * * * * *"),
        ({"mode": "everyHour", "minute": 5}, "0 5 * * * *"),
        ({"mode": "everyMonth", "hour": 6, "dayOfMonth": 15}, "0 0 6 15 * *"),
        ({"mode": "everyX", "value": 10, "unit": "minutes"}, "0 */10 * * * *"),
        ({"mode": "custom", "cronExpression": " 15 30 14 * * 1-5 "}, "15 30 14 * * 1-5"),
    ],
)
def test_legacy_cron_trigger_times(item, expected):
    assert trigger_time_rule(item).cron == expected


def test_the_cron_library_reads_presets_and_names():
    assert n8n_six_fields("@weekdays") == "0 0 0 * * 1-5"
    assert n8n_six_fields("0 9 * jan-mar MON-FRI") == "0 0 9 * 1-3 1-5"
    with pytest.raises(CronRefused):
        n8n_six_fields("0 0 9 * * * *")


def test_moment_weeks_start_on_sunday_and_week_one_holds_january_first():
    assert moment_week(dt.date(2024, 12, 28)) == 52
    assert moment_week(dt.date(2024, 12, 29)) == 1
    assert moment_week(dt.date(2026, 1, 4)) == 2


def test_active_version_wins_over_the_draft_and_disabled_nodes_never_fire():
    parsed = parse_workflow(
        workflow(
            [schedule({"triggerAtHour": 5})],
            activeVersion={"nodes": [schedule({"triggerAtHour": 8}), {**cron({}), "disabled": True}], "updatedAt": "2026-03-01T10:00:00.000Z"},
        )
    )
    assert parsed.from_active_version and [s.cron for s in parsed.schedules] == ["0 8 * * *"]
    assert parsed.activated_at == dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone.utc)


def test_no_schedule_node_inactive_and_unreadable_rules_are_verdicts_not_errors():
    webhook = parse_workflow(workflow([{"name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {}}]))
    assert not webhook.live and "no schedule node" in webhook.describe()
    inactive = parse_workflow(workflow([schedule({})], active=False))
    assert inactive.schedules and not inactive.live and "inactive" in inactive.describe()
    broken = parse_workflow(workflow([schedule({"field": "fortnights"}), cron({"mode": "sometimes"})]))
    assert not broken.schedules and len(broken.problems) == 2
    assert parse_workflow("garbage").problems
    assert parse_workflow(workflow(None)).schedules == ()


def test_timezone_default_means_the_instance_timezone():
    parsed = parse_workflow(workflow([schedule({})], timezone="DEFAULT"))
    assert parsed.schedules[0].timezone is None and "n8n instance timezone" in parsed.schedules[0].words


def test_ownership_by_tag_first_then_by_slugged_name():
    tagged = parse_workflow(workflow([schedule({})], name="whatever", tags=("sales", "playbook:churn_rescue")))
    named = parse_workflow(workflow([schedule({})], name="  Churn   Rescue "))
    stranger = parse_workflow(workflow([schedule({})], name="Weekly digest"))
    owned, unmatched = workflows_by_playbook([tagged, named, stranger], ["churn_rescue", "stale_deal_nudge"])
    assert owned == {"churn_rescue": [tagged, named]}
    assert unmatched == [stranger]


@pytest.mark.parametrize(
    "cron_text, words",
    [
        ("0 9 * * 1-5", "at 09:00 on weekdays"),
        ("0 8,12,16 * * 1-5", "at 08:00, 12:00, 16:00 on weekdays"),
        ("0 7 * * *", "every day at 07:00"),
        ("0 12 1 * *", "on day 1 of the month at 12:00"),
        ("0 9 1 * 1", "at 09:00 on day 1 of the month or on Mon"),
        ("* * * * * *", "every second"),
        ("*/45 * * * * *", "at seconds :00, :45 of every minute (*/45 restarts each minute)"),
        ("*/5 * * * *", "every 5 minutes"),
        ("0 L * * *", "cron '0 L * * *'"),
    ],
)
def test_cron_in_words(cron_text, words):
    assert describe_cron(cron_text) == words


def test_a_schedule_activated_long_ago_is_judged_from_its_cron_not_replayed_tick_by_tick():
    now = local("2026-12-06T10:02:00")
    parsed, minutes = only(schedule({"field": "minutes", "minutesInterval": 5}), activated="2025-01-01T00:00:00+01:00")
    state = firing_state(minutes, parsed.activated_at, now)
    assert state.fires and state.recent == (local("2026-12-06T09:55:00"), local("2026-12-06T10:00:00"))
    parsed, hours = only(schedule({"field": "hours", "hoursInterval": 2}), activated="2025-01-01T00:00:00+01:00")
    assert firing_state(hours, parsed.activated_at, now).next_fire == local("2026-12-06T12:00:00")


def test_a_two_week_interval_stalls_at_the_year_end_until_its_week_comes_round_again():
    """week 50 + 2 = 52 % 52 = 0, a week moment never returns; ``week === last`` fires again a year later."""
    parsed, rule = only(schedule({"field": "weeks", "weeksInterval": 2, "triggerAtDay": [3]}), activated="2025-12-08T00:00:00+01:00")
    state = firing_state(rule, parsed.activated_at, local("2026-06-01T00:00:00"))
    assert state.recent[-1] == local("2025-12-10T00:00:00") and state.next_fire == local("2026-12-09T00:00:00")
