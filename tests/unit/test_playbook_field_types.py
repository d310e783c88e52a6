"""Playbook rows as Airtable really returns them: every shape is read or named, never guessed, never a crash."""

import datetime as dt
import itertools

import pytest

from clawbot_assets.domain.playbook import (
    FIELD_PROBLEMS,
    Problem,
    read_enabled,
    validate_playbooks,
    validate_row,
)
from tests.unit.test_playbook_validation import GOOD, validate

FIELDS = ("Name", "Tier", "Trigger", "Approval", "Cron", "Timezone", "Enabled", "Status", "Scheduler", "Channel", "Daily Cap", "Cooldown Days", "Owner")

WEIRD_VALUES = [
    None,
    "",
    "   ",
    [],
    [None],
    ["a", "b"],
    [["nested"]],
    {},
    {"error": "#ERROR!"},
    {"specialValue": "NaN"},
    0,
    1,
    -1,
    2.5,
    float("nan"),
    float("inf"),
    10**400,
    True,
    False,
    "x" * 1_000_000,
    "9" * 5000,
    "Europe/London\x00",
    "\x00",
    "..",
    "../../etc/passwd",
    "America",
    "0 9 31 2 *",
    "\ud800",
    b"bytes",
    dt.date(2026, 1, 1),
    object(),
    ("tuple",),
    {1, 2},
]


@pytest.mark.parametrize("field_name", FIELDS)
def test_validate_row_never_raises_for_any_value_of_any_field(field_name):
    for value in WEIRD_VALUES:
        validation = validate_row("rec1", {**GOOD, field_name: value})
        assert isinstance(validation.problems, tuple)
        if validation.playbook is not None:
            assert isinstance(validation.playbook.enabled, bool)


def test_validate_row_never_raises_for_pairs_of_weird_values():
    sample = WEIRD_VALUES[::3]
    for (first, second), (a, b) in itertools.product(itertools.combinations(FIELDS, 2), itertools.product(sample, repeat=2)):
        validate_row("rec1", {**GOOD, first: a, second: b})


@pytest.mark.parametrize("fields", [None, [], ["a"], "text", 42, {"Name": object()}])
def test_a_row_that_is_not_a_record_is_a_named_problem(fields):
    validation = validate_row("rec1", fields)
    assert validation.playbook is None or validation.problems


@pytest.mark.parametrize("record", [None, "rec", 42, [], {"id": 5, "fields": ["x"]}, {"fields": None}, {"id": ["a"], "fields": {"Name": 1}}])
def test_validate_playbooks_never_raises_for_malformed_records(record):
    [validation] = validate_playbooks([record])
    assert not validation.schedulable


@pytest.mark.parametrize("value", [True, "true", "TRUE", " Yes ", "1", 1, 1.0, [True], ["yes"]])
def test_well_known_enabled_spellings_are_enabled(value):
    assert read_enabled(value) == (True, None)


@pytest.mark.parametrize("value", [False, None, "false", "False", "no", "NO", "0", "", 0, [], [False], ["no"]])
def test_well_known_disabled_spellings_are_not_enabled(value):
    assert read_enabled(value) == (False, None)


@pytest.mark.parametrize("value", ["maybe", "enabled", "off?", 2, -1, 0.5, float("nan"), [True, False], {"x": 1}, ["maybe"]])
def test_unclear_enabled_is_a_problem_and_never_scheduled(value):
    validation = validate(Enabled=value)
    assert Problem.ENABLED_INVALID in validation.codes
    assert not validation.playbook.enabled and not validation.playbook.scheduled_by_dagster
    assert not validation.safe_to_run


@pytest.mark.parametrize("value", ["false", "no", "0", ""])
def test_enabled_stored_as_text_false_is_not_scheduled(value):
    validation = validate(Enabled=value)
    assert validation.problems == () and not validation.playbook.scheduled_by_dagster


def test_one_element_lookup_means_its_element():
    validation = validate(Tier=["WARM"], Approval=["auto"], Cron=["0 9 * * 1-5"], **{"Daily Cap": [10]})
    assert validation.problems == ()
    assert (validation.playbook.tier, validation.playbook.daily_cap) == ("WARM", 10)


@pytest.mark.parametrize(
    "field_name, value, code",
    [
        ("Cron", ["0 9 * * *", "0 10 * * *"], Problem.CRON_INVALID),
        ("Cron", 9, Problem.CRON_INVALID),
        ("Timezone", {"name": "UTC"}, Problem.TIMEZONE_INVALID),
        ("Trigger", ["hubspot_stage:a/b", "hubspot_stage:c/d"], Problem.TRIGGER_INVALID),
        ("Approval", True, Problem.APPROVAL_INVALID),
        ("Tier", ["COLD", "WARM"], Problem.TIER_INVALID),
        ("Status", ["Live", "Paused"], Problem.STATUS_INVALID),
        ("Daily Cap", {"specialValue": "NaN"}, Problem.DAILY_CAP_INVALID),
        ("Owner", {"id": "usr1", "email": "a@b.c"}, Problem.FIELD_TYPE_INVALID),
        ("Name", 12345, Problem.FIELD_TYPE_INVALID),
    ],
)
def test_unclear_shapes_are_named_on_the_row_under_the_fields_code(field_name, value, code):
    validation = validate(**{field_name: value})
    problems = [p for p in validation.problems if p.field == field_name]
    assert [p.code for p in problems] == [code]
    assert field_name in problems[0].message


def test_schedule_and_safety_follow_shape_problems():
    assert not validate(Cron=["0 9 * * *", "0 10 * * *"]).schedulable
    assert not validate(Name=["A", "B"]).schedulable
    assert not validate(Trigger=["hubspot_stage:a/b", "x"]).safe_to_run
    assert validate(Owner={"id": "usr1"}).safe_to_run


def test_field_problems_cover_every_code_no_other_check_owns():
    assert {Problem.FIELD_TYPE_INVALID, Problem.ENABLED_INVALID, Problem.TIER_INVALID} <= FIELD_PROBLEMS
    assert not FIELD_PROBLEMS & {Problem.CRON_INVALID, Problem.TIMEZONE_INVALID, Problem.NAME_MISSING, Problem.TRIGGER_MISSING}


def test_messages_show_huge_values_shortened():
    validation = validate(Cron="1 " * 500_000)
    assert Problem.CRON_INVALID in validation.codes and len(validation.describe()) < 200
