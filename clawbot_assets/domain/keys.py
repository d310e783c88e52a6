"""The composite idempotency key of task_queue_sales and the normalisation of loose legacy fields.

Key = ``<playbook slug>|<deal id>|<step>|<due date yyyy-mm-dd>`` (DESIGN §3). Rows written by n8n
may have no Key and loosely spelled fields, so the key is always derivable from the fields.

Field shapes follow ``clawbot_assets.domain.fields``: a lookup's one-element list means its
element; a longer list, an object or a checkbox value in a key field is a ``KeyFieldError``
naming the field. Slash dates are read by one convention per table (``clawbot_assets.domain.dates``),
passed in as ``day_first``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping

from slugify import slugify

from clawbot_assets.domain.dates import DEFAULT_DAY_FIRST, convention_name, slash_parts
from clawbot_assets.domain.fields import FieldShapeError, shape_of, shown, unwrap

KEY_SEPARATOR = "|"
DEFAULT_STEP = "1"

_ISO_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


class KeyFieldError(ValueError):
    """A key field is missing or cannot be parsed; the message names the field and the value."""


def _scalar(value: Any, field: str) -> Any:
    """The one value of a key field (see the module docstring), as a ``KeyFieldError`` if unclear."""
    try:
        value = unwrap(value, field)
    except FieldShapeError as error:
        raise KeyFieldError(str(error)) from None
    if isinstance(value, bool):
        raise KeyFieldError(f"{field} is {shape_of(value)} ({value!r})")
    return value


def normalise_playbook(value: Any) -> str:
    """The slug of a Playbook field value."""
    value = _scalar(value, "Playbook")
    if value is not None and not isinstance(value, str):
        raise KeyFieldError(f"Playbook is {shape_of(value)} ({shown(value)}), not a name")
    return playbook_slug(value or "")


@functools.lru_cache(maxsize=65536)
def playbook_slug(name: str) -> str:
    """Lower-case, underscore-separated slug; valid as a Dagster name and a partition key.

    Cached: a table of half a million tasks spells only a few hundred playbook names.
    """
    if not str(name or "").strip():
        raise KeyFieldError("Playbook is empty")
    slug = slugify(str(name), separator="_")
    if not slug:
        raise KeyFieldError(f"Playbook {name!r} has no letters or digits to make a slug from")
    return slug


def normalise_deal_id(value: Any) -> str:
    """HubSpot deal ids are digit strings; legacy rows store them as numbers (``12345.0``)."""
    value = _scalar(value, "Deal ID")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise KeyFieldError("Deal ID is empty")
    if isinstance(value, float):
        if not value.is_integer():
            raise KeyFieldError(f"Deal ID {value!r} is not a whole number")
        return str(int(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if KEY_SEPARATOR in text:
        raise KeyFieldError(f"Deal ID {text!r} contains {KEY_SEPARATOR!r}")
    return text


def normalise_step(value: Any) -> str:
    value = _scalar(value, "Step")
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_STEP
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if KEY_SEPARATOR in text:
        raise KeyFieldError(f"Step {text!r} contains {KEY_SEPARATOR!r}")
    return text


def normalise_due_date(value: Any, *, day_first: bool) -> dt.date:
    """Accepts ISO dates and datetimes (date part as written) and slash dates.

    Slash dates are read by the convention given (``day_first``), the same for a whole table
    (``dates.infer_date_convention``): never re-read the other way when a number cannot be a
    month. An impossible date such as ``31/02/2026`` is an error, never a guess.
    """
    if isinstance(value, (list, tuple)):
        value = _scalar(value, "Due Date")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise KeyFieldError("Due Date is empty")
    if not isinstance(value, str):
        raise KeyFieldError(f"Due Date is {shape_of(value)} ({shown(value)}), not a date")
    return _parse_date_text(value.strip(), day_first)


@functools.lru_cache(maxsize=65536)
def _parse_date_text(text: str, day_first: bool) -> dt.date:
    if match := _ISO_DATE_PREFIX.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _checked_date(text, year, month, day, "")
    if parts := slash_parts(text):
        first, second, year = parts
        day, month = (first, second) if day_first else (second, first)
        return _checked_date(text, year, month, day, f" read {convention_name(day_first)}")
    raise KeyFieldError(f"Due Date {shown(text)} is not a date (expected yyyy-mm-dd or nn/nn/yyyy)")


def _checked_date(text: str, year: int, month: int, day: int, reading: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise KeyFieldError(f"Due Date {text!r} is not a real date{reading}: {error}") from None


def compose_key(playbook_name: Any, deal_id: Any, step: Any, due_date: Any, *, day_first: bool = DEFAULT_DAY_FIRST) -> str:
    return KEY_SEPARATOR.join(
        (
            normalise_playbook(playbook_name),
            normalise_deal_id(deal_id),
            normalise_step(step),
            normalise_due_date(due_date, day_first=day_first).isoformat(),
        )
    )


def normalise_key(key: str) -> str:
    """Trim every part and lower-case the slug, as DESIGN §3 asks of a stored Key."""
    parts = [part.strip() for part in str(key).strip().split(KEY_SEPARATOR)]
    if len(parts) != 4 or not all(parts):
        raise KeyFieldError(f"Key {key!r} does not have the four parts slug|deal|step|date")
    return compose_key(parts[0], parts[1], parts[2], parts[3], day_first=False)


@dataclass(frozen=True)
class DerivedKey:
    key: str | None
    problem: str | None = None


def derive_key(fields: Mapping[str, Any], *, day_first: bool = DEFAULT_DAY_FIRST) -> DerivedKey:
    """The key a record should carry: from its fields when they parse, else from its stored Key.

    ``day_first`` is the table's slash-date convention (``dates.infer_date_convention``).
    """
    try:
        return DerivedKey(
            compose_key(
                fields.get("Playbook"),
                fields.get("Deal ID"),
                fields.get("Step"),
                fields.get("Due Date"),
                day_first=day_first,
            )
        )
    except KeyFieldError as field_error:
        stored = fields.get("Key")
        if stored and isinstance(stored, str):
            try:
                return DerivedKey(normalise_key(stored))
            except KeyFieldError:
                pass
        return DerivedKey(None, str(field_error))


def keys_from_fields(fields: Mapping[str, Any]) -> set[str]:
    """Every key a record's own fields can mean, under either slash-date convention, never
    falling back to its stored Key. Empty when the fields make no key (say, a task whose
    creation was interrupted after its Key was written)."""
    readings = set()
    for day_first in (False, True):
        try:
            readings.add(
                compose_key(fields.get("Playbook"), fields.get("Deal ID"), fields.get("Step"), fields.get("Due Date"), day_first=day_first)
            )
        except KeyFieldError:
            pass
    return readings


def key_disagrees_with_fields(fields: Mapping[str, Any]) -> bool:
    """A stored Key that names another task than any reading of the record's own fields: only
    a person may decide which is right, so neither a playbook run nor the dedupe rewrites it
    (the ``keys_match_fields`` check lists it). A Key that is only spelled differently
    (untrimmed, upper-case slug) or that is not a key at all does not disagree: rewriting it
    from the fields changes no task's identity."""
    stored, readings = fields.get("Key"), keys_from_fields(fields)
    if not stored or not isinstance(stored, str) or not readings:
        return False
    try:
        return normalise_key(stored) not in readings
    except KeyFieldError:
        return False
