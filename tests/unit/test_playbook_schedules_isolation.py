"""A bad Playbooks row costs only that row its schedule; the good rows keep theirs."""

import dataclasses
import logging

from clawbot_assets.domain.playbook import Problem, validate_playbooks
from schedules.playbook_schedules import build_playbook_schedules
from tests.unit.test_playbook_validation import GOOD

BAD_ROWS = {
    "Feb 31": {"Cron": "0 9 31 2 *"},
    "Apr 31": {"Cron": "0 9 31 4 *"},
    "Nearest weekday": {"Cron": "0 9 15W * *"},
    "Region folder": {"Timezone": "America"},
    "Long zone": {"Timezone": "x" * 10_000},
    "Nul zone": {"Timezone": "Europe/London\x00"},
    "Dot dot zone": {"Timezone": "../../etc/passwd"},
    "Two crons": {"Cron": ["0 9 * * *", "0 10 * * *"]},
    "Dict zone": {"Timezone": {"name": "UTC"}},
}


def rows():
    good = [{"id": f"good{i}", "fields": {**GOOD, "Name": f"Good {i}"}} for i in range(3)]
    bad = [{"id": f"bad{i}", "fields": {**GOOD, "Name": name, **fields}} for i, (name, fields) in enumerate(BAD_ROWS.items())]
    return good[:1] + bad + good[1:]


def test_bad_rows_among_good_ones_yield_schedules_for_the_good_ones():
    validations = validate_playbooks(rows())
    schedules = build_playbook_schedules(validations)
    assert sorted(s.name for s in schedules) == ["playbook__good_0", "playbook__good_1", "playbook__good_2"]
    named = {v.name for v in validations if v.codes & {Problem.CRON_INVALID, Problem.TIMEZONE_INVALID}}
    assert named == set(BAD_ROWS)


def test_a_row_that_slips_past_validation_costs_only_itself(caplog):
    """Simulate a rule gap: a row validation passed, which Dagster refuses when building."""
    validations = validate_playbooks([{"id": f"good{i}", "fields": {**GOOD, "Name": f"Good {i}"}} for i in range(3)])
    slipped = validations[1]
    validations[1] = dataclasses.replace(slipped, playbook=dataclasses.replace(slipped.playbook, cron="0 9 30 2 *"))
    validations.append(dataclasses.replace(slipped, playbook=dataclasses.replace(slipped.playbook, slug="bad name!", name="Bad Name")))
    with caplog.at_level(logging.ERROR, logger="schedules.playbook_schedules"):
        schedules = build_playbook_schedules(validations)
    assert sorted(s.name for s in schedules) == ["playbook__good_0", "playbook__good_2"]
    assert "'Good 1'" in caplog.text and "'Bad Name'" in caplog.text
