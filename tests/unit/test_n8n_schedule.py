"""Parsing n8n schedule nodes into one comparable form, with n8n's defaults."""

import pytest

from clawbot_assets.domain.cron_words import describe_cron
from clawbot_assets.domain.n8n_schedule import (
    interval_cron,
    parse_workflow,
    trigger_time_cron,
    workflows_by_playbook,
)


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


def schedule(*rules):
    return {"name": "Schedule", "type": "n8n-nodes-base.scheduleTrigger", "parameters": {"rule": {"interval": list(rules)}}}


def cron(*items):
    return {"name": "Cron", "type": "n8n-nodes-base.cron", "parameters": {"triggerTimes": {"item": list(items)}}}


@pytest.mark.parametrize(
    "rule, expected",
    [
        ({}, "0 0 * * *"),
        ({"field": "days"}, "0 0 * * *"),
        ({"field": "minutes"}, "*/5 * * * *"),
        ({"field": "hours"}, "0 * * * *"),
        ({"field": "hours", "hoursInterval": 3, "triggerAtMinute": 15}, "15 */3 * * *"),
        ({"field": "days", "daysInterval": 2, "triggerAtHour": 9, "triggerAtMinute": 30}, "30 9 */2 * *"),
        ({"field": "weeks"}, "0 0 * * 0"),
        ({"field": "weeks", "triggerAtDay": [1, 3, 5], "triggerAtHour": 10, "triggerAtMinute": 45}, "45 10 * * 1,3,5"),
        ({"field": "months"}, "0 0 1 * *"),
        ({"field": "months", "monthsInterval": 3, "triggerAtDayOfMonth": 28, "triggerAtHour": 9}, "0 9 28 */3 *"),
        ({"field": "cronExpression", "expression": "0 7 * * *"}, "0 7 * * *"),
    ],
)
def test_schedule_trigger_rules_with_n8n_defaults(rule, expected):
    assert interval_cron(rule)[0] == expected


def test_seconds_interval_has_no_cron_and_defaults_to_30():
    assert interval_cron({"field": "seconds"}) == (None, None, 30, "")


@pytest.mark.parametrize(
    "item, expected",
    [
        ({}, ("0 14 * * *", None)),
        ({"mode": "everyMinute"}, ("* * * * *", None)),
        ({"mode": "everyHour", "minute": 5}, ("5 * * * *", None)),
        ({"mode": "everyWeek", "hour": 8}, ("0 8 * * 1", None)),
        ({"mode": "everyMonth", "hour": 6, "dayOfMonth": 15}, ("0 6 15 * *", None)),
        ({"mode": "everyX"}, ("0 */2 * * *", None)),
        ({"mode": "everyX", "value": 10, "unit": "minutes"}, ("*/10 * * * *", None)),
        ({"mode": "custom", "cronExpression": "0 30 14 * * 1-5"}, ("30 14 * * 1-5", None)),
        ({"mode": "custom", "cronExpression": "15 30 14 * * 1-5"}, ("30 14 * * 1-5", "15")),
        ({"mode": "custom"}, ("* * * * *", "*")),
    ],
)
def test_legacy_cron_trigger_times_including_six_field_crons(item, expected):
    assert trigger_time_cron(item) == expected


def test_a_six_field_cron_compares_equal_to_the_five_field_one_when_seconds_is_zero():
    six = parse_workflow(workflow([cron({"mode": "custom", "cronExpression": "0 0 8 * * 1"})]))
    five = parse_workflow(workflow([schedule({"field": "weeks", "triggerAtDay": [1], "triggerAtHour": 8})]))
    assert six.schedules[0].comparable == five.schedules[0].comparable == ("0 8 * * 1", None, None, "Europe/Paris")


def test_active_version_wins_over_the_draft_and_disabled_nodes_never_fire():
    parsed = parse_workflow(
        workflow(
            [schedule({"triggerAtHour": 5})],
            activeVersion={"nodes": [schedule({"triggerAtHour": 8}), {**cron({}), "disabled": True}]},
        )
    )
    assert parsed.from_active_version and [s.cron for s in parsed.schedules] == ["0 8 * * *"]


def test_no_schedule_node_inactive_and_unreadable_rules_are_verdicts_not_errors():
    webhook = parse_workflow(workflow([{"name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {}}]))
    assert not webhook.live and "no schedule node" in webhook.describe()
    inactive = parse_workflow(workflow([schedule({})], active=False))
    assert inactive.schedules and not inactive.live and "inactive" in inactive.describe()
    broken = parse_workflow(workflow([schedule({"field": "fortnights"}), cron({"mode": "custom", "cronExpression": "* *"})]))
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
        ("*/5 * * * *", "every 5 minutes"),
        ("0 L * * *", "cron '0 L * * *'"),
    ],
)
def test_cron_in_words(cron_text, words):
    assert describe_cron(cron_text) == words
