"""One reading of an Airtable field value, whatever shape the API returns it in.

What Airtable returns, by field type: a checkbox is ``true`` or left out (never ``false``);
text, single select and text formulas are strings; numbers are ints or floats; multi-selects,
lookups, rollups to an array and linked records are lists; attachments, collaborators, buttons
and formula errors are objects (dicts). Empty fields are left out of the record.

The rules, the same for every field the project reads:

- left out, ``None``, and ``[]`` are empty (text fields also treat blank text as empty);
- a one-element list means its element: a lookup of one linked row, a multi-select with one
  choice. A longer list is ambiguous and is a problem, never "the first one";
- an object (dict), a nested list or any other type is never a value;
- each reader says which scalar types it takes: text fields take strings only, since a number or
  a checkbox in a text field means the column is not the type the project expects.

A value that breaks a rule raises ``FieldShapeError`` naming the field and the shape, with the
value shown only in a shortened form (a cell can hold megabytes).
"""

from __future__ import annotations

from typing import Any

#: How much of a value a problem message may show.
SHOWN_CHARS = 60


class FieldShapeError(ValueError):
    """A field value has a shape the project does not read; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters, for problem messages."""
    try:
        text = repr(value)
    except Exception:  # a repr that raises must not turn a reported problem into a crash
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def shape_of(value: Any) -> str:
    """What a value looks like, in Airtable's terms, for messages."""
    if isinstance(value, bool):
        return "a checkbox value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} values"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def unwrap(value: Any, field: str) -> Any:
    """The one scalar a field holds, or ``None`` when it is empty; raises ``FieldShapeError``."""
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        if len(value) > 1:
            raise FieldShapeError(field, f"{field} is {shape_of(value)} ({shown(value)}); expected one")
        value = value[0]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise FieldShapeError(field, f"{field} is {shape_of(value)} ({shown(value)}), not a single value")


def text(value: Any, field: str) -> str:
    """A text field, trimmed; ``""`` when empty."""
    value = unwrap(value, field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldShapeError(field, f"{field} is {shape_of(value)} ({shown(value)}), not text")
    return value.strip()
