"""One reading of slash dates for a whole table, inferred from the dates that can only be read one way.

Legacy rows spell Due Date as ``11/03/2026``. Reading each value on its own (day first only when
the first number cannot be a month) once read ``31/03/2026`` day-first and ``03/11/2026``
month-first in the same table, so an EU-style twin of a sent task kept its own key and stayed
alive. The rule now is one convention per table:

- a slash date that is a real date only day-first (``31/03/2026``) is evidence for day-first;
  one that is real only month-first (``03/31/2026``) for month-first; one real in neither
  (``31/02/2026``) is evidence of nothing;
- if the table has only the first kind, it is day-first; only the second kind, month-first;
- if it has both kinds, or neither, it falls back to ``DEFAULT_DAY_FIRST`` (month-first, Airtable's
  US default, in which the n8n rows were written), and the reason says so;
- under the chosen convention a date that cannot exist (``31/03/2026`` month-first) is an error
  for that record, never re-read the other way;
- dates that both conventions read as real but different dates (``11/03/2026``) are listed as
  ambiguous, so a run can report them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clawbot_assets.domain.fields import FieldShapeError, unwrap

#: Month first (``11/03/2026`` is 3 November) when a table's dates do not tell.
DEFAULT_DAY_FIRST = False
SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def slash_parts(value: Any) -> tuple[int, int, int] | None:
    """``(first, second, year)`` of a ``nn/nn/yyyy`` value, else ``None``."""
    try:
        value = unwrap(value, "Due Date")
    except FieldShapeError:
        return None
    if not isinstance(value, str):
        return None
    match = SLASH_DATE.match(value.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def convention_name(day_first: bool) -> str:
    return "day-first" if day_first else "month-first"


@dataclass(frozen=True)
class DateConvention:
    day_first: bool
    #: how it was chosen, for the run's metadata
    reason: str
    #: record ids whose slash date the two conventions read as different dates
    ambiguous: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return convention_name(self.day_first)


def _kind(value: Any) -> str | None:
    """Which convention a value can only be read in, ``ambiguous``, or ``None`` (nothing to tell)."""
    parts = slash_parts(value)
    if parts is None:
        return None
    first, second, year = parts
    as_day_first, as_month_first = _exists(year, second, first), _exists(year, first, second)
    if as_day_first and as_month_first:
        return "ambiguous" if first != second else None
    if as_day_first:
        return "day-first"
    if as_month_first:
        return "month-first"
    return None


def _exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def infer_date_convention(dates: Iterable[tuple[str, Any]], day_first: bool | None = None) -> DateConvention:
    """The convention for a table, from ``(record id, Due Date)`` pairs; ``day_first`` imposes one."""
    day_first_only = month_first_only = 0
    ambiguous: list[str] = []
    kinds: dict[str, str | None] = {}  # a table spells a few hundred distinct dates
    for record_id, value in dates:
        if type(value) is str:
            kind = kinds.get(value, "")
            if kind == "":
                kind = kinds[value] = _kind(value)
        else:
            kind = _kind(value)
        if kind == "day-first":
            day_first_only += 1
        elif kind == "month-first":
            month_first_only += 1
        elif kind == "ambiguous":
            ambiguous.append(record_id)
    if day_first is not None:
        return DateConvention(day_first, "given by the caller", tuple(ambiguous))
    if day_first_only and not month_first_only:
        return DateConvention(True, f"inferred: {day_first_only} dates can only be day-first", tuple(ambiguous))
    if month_first_only and not day_first_only:
        return DateConvention(False, f"inferred: {month_first_only} dates can only be month-first", tuple(ambiguous))
    default = convention_name(DEFAULT_DAY_FIRST)
    if day_first_only:
        reason = f"default {default}: conflicting dates ({day_first_only} only day-first, {month_first_only} only month-first)"
    else:
        reason = f"default {default}: no date tells the convention"
    return DateConvention(DEFAULT_DAY_FIRST, reason, tuple(ambiguous))
