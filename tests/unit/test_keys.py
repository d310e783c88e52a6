import datetime as dt

import pytest

from clawbot_assets.domain.keys import (
    KeyFieldError,
    compose_key,
    derive_key,
    normalise_deal_id,
    normalise_due_date,
    normalise_key,
    playbook_slug,
)


@pytest.mark.parametrize(
    "name, slug",
    [(" Cold Outbound ", "cold_outbound"), ("COLD OUTBOUND", "cold_outbound"), ("Renewal Reminder — 90 Days", "renewal_reminder_90_days")],
)
def test_slug_is_lower_case_and_trimmed(name, slug):
    assert playbook_slug(name) == slug


@pytest.mark.parametrize(
    "value, day_first, expected",
    [
        ("2026-11-03", False, dt.date(2026, 11, 3)),
        ("2026-11-03", True, dt.date(2026, 11, 3)),
        ("11/03/2026", False, dt.date(2026, 11, 3)),
        ("11/03/2026", True, dt.date(2026, 3, 11)),
        ("31/03/2026", True, dt.date(2026, 3, 31)),
        ("03/31/2026", False, dt.date(2026, 3, 31)),
        ("2026-11-03T09:00:00.000Z", False, dt.date(2026, 11, 3)),
        ("2026-11-03 23:59:00", True, dt.date(2026, 11, 3)),
        (dt.datetime(2026, 11, 3, 8), False, dt.date(2026, 11, 3)),
        (["2026-11-03"], False, dt.date(2026, 11, 3)),
    ],
)
def test_due_dates_in_legacy_spellings(value, day_first, expected):
    assert normalise_due_date(value, day_first=day_first) == expected


@pytest.mark.parametrize("value", ["31/02/2026", "2026-02-30", "tomorrow", "", None, "13/13/2026", ["a", "b"], {"x": 1}, 20261103, True])
@pytest.mark.parametrize("day_first", [False, True])
def test_impossible_dates_are_errors_not_guesses(value, day_first):
    with pytest.raises(KeyFieldError, match="Due Date"):
        normalise_due_date(value, day_first=day_first)


@pytest.mark.parametrize("value, day_first", [("31/03/2026", False), ("03/31/2026", True)])
def test_a_date_impossible_under_the_tables_convention_is_never_read_the_other_way(value, day_first):
    with pytest.raises(KeyFieldError, match="first"):
        normalise_due_date(value, day_first=day_first)


@pytest.mark.parametrize("value", [9100000037, 9100000037.0, "9100000037", " 9100000037 ", "9100000037.0"])
def test_numeric_deal_ids_normalise_to_digits(value):
    assert normalise_deal_id(value) == "9100000037"


def test_fractional_deal_id_is_an_error():
    with pytest.raises(KeyFieldError):
        normalise_deal_id(12.5)


def test_loose_legacy_row_and_clean_row_share_a_key():
    clean = {"Playbook": "Cold Outbound", "Deal ID": "42", "Step": "1", "Due Date": "2026-11-03"}
    loose = {"Playbook": " COLD OUTBOUND ", "Deal ID": 42.0, "Step": " 1 ", "Due Date": "11/03/2026"}
    assert derive_key(clean).key == derive_key(loose).key == "cold_outbound|42|1|2026-11-03"


def test_step_defaults_to_one():
    assert compose_key("X", "1", None, "2026-01-02") == "x|1|1|2026-01-02"


def test_stored_key_is_used_when_fields_cannot_be_parsed():
    derived = derive_key({"Key": " Cold Outbound |42| 1 |2026-11-03", "Due Date": "bad"})
    assert derived.key == "cold_outbound|42|1|2026-11-03"


def test_unkeyable_row_names_its_problem():
    derived = derive_key({"Playbook": "X", "Deal ID": "1", "Due Date": "31/02/2026"})
    assert derived.key is None and "31/02/2026" in derived.problem


def test_one_element_lookups_mean_their_element():
    fields = {"Playbook": ["Cold Outbound"], "Deal ID": [42], "Step": ["1"], "Due Date": ["2026-11-03"]}
    assert derive_key(fields).key == "cold_outbound|42|1|2026-11-03"


@pytest.mark.parametrize("name", ["Playbook", "Deal ID", "Step", "Due Date"])
@pytest.mark.parametrize("value", [["a", "b"], {"id": "x"}, [["nested"]], True])
def test_unclear_key_fields_are_named_problems_never_exceptions(name, value):
    fields = {"Playbook": "Cold Outbound", "Deal ID": "42", "Step": "1", "Due Date": "2026-11-03", name: value}
    derived = derive_key(fields)
    assert derived.key is None and name in derived.problem


def test_normalise_key_rejects_wrong_shape():
    with pytest.raises(KeyFieldError):
        normalise_key("a|b|c")
