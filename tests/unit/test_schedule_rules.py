"""Crons and timezones Dagster refuses (or cannot tick) are named on the row, never raised."""

import random

import pytest

from clawbot_assets.instance.dagster_rules import (
    DAGSTER_SCHEDULE_RULES,
    dagster_cron_problem,
    dagster_timezone_problem,
)
from clawbot_assets.domain.playbook import Problem, validate_playbooks
from clawbot_assets.domain.schedule_rules import cron_problem, timezone_problem
from tests.unit.test_playbook_validation import GOOD, validate

CRONS_DAGSTER_REFUSES = ["0 9 31 2 *", "0 9 30 2 *", "0 9 15W * *", "0 9 * * * *", "0 9 31 4 *", "0 9 30,31 2 *", "0 9 31 2,4 *"]
BAD_TIMEZONES = ["America", "Europe", "x" * 300, "x" * 100_000, "Europe/London\x00", "..", "../etc", "Europe/../UTC", "/etc/localtime", "zone.tab", "Mars/Base"]


@pytest.mark.parametrize("cron", CRONS_DAGSTER_REFUSES)
def test_crons_dagster_refuses_are_cron_invalid(cron):
    assert dagster_cron_problem(cron) is not None
    assert cron_problem(cron) is not None
    validation = validate(Cron=cron)
    assert validation.codes == {Problem.CRON_INVALID} and not validation.schedulable


@pytest.mark.parametrize("timezone", BAD_TIMEZONES)
def test_timezones_that_raise_anything_are_timezone_invalid(timezone):
    assert timezone_problem(timezone) is not None
    validation = validate_playbooks([{"id": "r", "fields": {**GOOD, "Timezone": timezone}}], DAGSTER_SCHEDULE_RULES)[0]
    assert validation.codes == {Problem.TIMEZONE_INVALID} and not validation.schedulable


@pytest.mark.parametrize("cron", ["0 9 * * 1-5", "0 9 29 2 *", "0 9 L 2 *", "*/15 * * * *", "0 9 * * MON#2", "0 9 ? * *", "0 9 * JAN,JUL *"])
def test_crons_both_accept(cron):
    assert cron_problem(cron) is None and dagster_cron_problem(cron) is None


FIELD_ATOMS = (
    ["*", "0", "5", "59", "60", "*/15", "*/90", "*/0", "1-5", "5-1", "H", "-1"],
    ["*", "0", "9", "23", "24", "*/2", "9-17", "17-9"],
    ["*", "?", "1", "15", "28", "29", "30", "31", "32", "0", "L", "15W", "LW", "1-31/40", "30-31"],
    ["*", "1", "2", "4", "6", "12", "13", "0", "FEB", "APR", "JAN-MAR", "2,4"],
    ["*", "?", "0", "1-5", "MON", "MON-FRI", "1#2", "5#5", "7", "8", "1L", "SUN#5"],
)


def _random_cron(rng: random.Random) -> str:
    fields = [",".join(rng.choice(atoms) for _ in range(rng.choice([1, 1, 1, 2]))) for atoms in FIELD_ATOMS]
    if rng.random() < 0.05:
        fields.append(rng.choice(["0", "*"]))
    return " ".join(fields)


def test_domain_rules_are_at_least_as_strict_as_dagster_over_a_fuzz():
    """What the check on ``playbooks`` names without Dagster's rules must include every row
    Dagster would refuse; otherwise a row could be dropped with no failing check naming it."""
    rng = random.Random(7)
    crons = [_random_cron(rng) for _ in range(3000)] + CRONS_DAGSTER_REFUSES
    missed = [cron for cron in crons if dagster_cron_problem(cron) and not cron_problem(cron)]
    assert missed == []
    assert sum(cron_problem(cron) is None for cron in crons) > 30, "the fuzz must also produce valid crons"


@pytest.mark.parametrize("timezone", [*BAD_TIMEZONES, "UTC", "Europe/London", "America/Argentina/ComodRivadavia", "Etc/GMT+3"])
def test_domain_timezone_rule_is_at_least_as_strict_as_dagster(timezone):
    if dagster_timezone_problem(timezone):
        assert timezone_problem(timezone)


def test_an_injected_rule_that_raises_is_a_problem_not_a_crash():
    from clawbot_assets.domain.schedule_rules import ScheduleRules

    def broken(_: str) -> str | None:
        raise RuntimeError("boom")

    validation = validate_playbooks([{"id": "r", "fields": GOOD}], ScheduleRules(cron_problem=broken))[0]
    assert validation.codes == {Problem.CRON_INVALID} and "could not be checked" in validation.describe()
