"""What a filtered SSOT read asks for, as data: each backend translates it (Airtable through
``pyairtable.formulas`` into ``filterByFormula``, the local backend into SQL), so both read the
same records and a recurring job reads only what it needs rather than the whole table.

Semantics, shared by both backends:
- ``FieldIn``: the cell, as text, equals one of the values (Airtable's ``{Field}='value'``;
  an empty cell is ``''``);
- ``FieldOnOrAfter``: the cell holds a date or time at or after ``moment`` (a date-only cell
  is midnight UTC); an empty or unreadable cell never matches;
- ``ChangedSince``: the record was created or modified at or after ``moment``;
- ``AllOf`` / ``AnyOf``: every / any of the conditions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence, Union


@dataclass(frozen=True)
class FieldIn:
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FieldOnOrAfter:
    field: str
    moment: dt.datetime


@dataclass(frozen=True)
class ChangedSince:
    moment: dt.datetime


@dataclass(frozen=True)
class AllOf:
    conditions: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple["Condition", ...]


Condition = Union[FieldIn, FieldOnOrAfter, ChangedSince, AllOf, AnyOf]


def field_in(field: str, values: Sequence[str]) -> FieldIn:
    return FieldIn(field, tuple(dict.fromkeys(str(value) for value in values)))


def all_of(*conditions: Condition) -> AllOf:
    return AllOf(tuple(conditions))


def any_of(*conditions: Condition) -> AnyOf:
    return AnyOf(tuple(conditions))


def as_utc(moment: dt.datetime) -> dt.datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def parse_cell_time(value: object) -> dt.datetime | None:
    """A date or time cell as an aware UTC datetime (a date is midnight UTC); ``None`` when empty
    or unreadable."""
    if isinstance(value, dt.datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return as_utc(dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def matches(condition: Condition, fields: dict, created: dt.datetime, modified: dt.datetime) -> bool:
    """The reference semantics, on one record (the local backend and the tests use it)."""
    if isinstance(condition, FieldIn):
        return cell_text(fields.get(condition.field)) in condition.values
    if isinstance(condition, FieldOnOrAfter):
        moment = parse_cell_time(fields.get(condition.field))
        return moment is not None and moment >= as_utc(condition.moment)
    if isinstance(condition, ChangedSince):
        since = as_utc(condition.moment)
        return created >= since or modified >= since
    if isinstance(condition, AllOf):
        return all(matches(part, fields, created, modified) for part in condition.conditions)
    return any(matches(part, fields, created, modified) for part in condition.conditions)


def cell_text(value: object) -> str:
    """How a formula sees a cell when comparing it with a string."""
    if value is None or value is False or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(cell_text(item) for item in value)
    if value is True:
        return "1"
    return str(value)
