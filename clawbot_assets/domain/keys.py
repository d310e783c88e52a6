"""The composite idempotency key of task_queue_sales and the normalisation of loose legacy fields.

Key = ``<playbook slug>|<deal id>|<step>|<due date yyyy-mm-dd>`` (DESIGN §3). Rows written by n8n
may have no Key and loosely spelled fields, so the key is always derivable from the fields.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping

from slugify import slugify

KEY_SEPARATOR = "|"
DEFAULT_STEP = "1"

_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


class KeyFieldError(ValueError):
    """A key field is missing or cannot be parsed; the message names the field and the value."""


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
    if value is None or (isinstance(value, str) and not value.strip()):
        raise KeyFieldError("Deal ID is empty")
    if isinstance(value, bool):
        raise KeyFieldError(f"Deal ID {value!r} is not an id")
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
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_STEP
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if KEY_SEPARATOR in text:
        raise KeyFieldError(f"Step {text!r} contains {KEY_SEPARATOR!r}")
    return text


def normalise_due_date(value: Any) -> dt.date:
    """Accepts ISO dates and datetimes (date part as written) and slash dates.

    Slash dates follow Airtable's US default, month first (``11/03/2026`` is 3 November);
    when the first number cannot be a month (``31/03/2026``) the day comes first.
    An impossible date such as ``31/02/2026`` is an error, never a guess.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or not str(value).strip():
        raise KeyFieldError("Due Date is empty")
    return _parse_date_text(str(value).strip())


@functools.lru_cache(maxsize=65536)
def _parse_date_text(text: str) -> dt.date:
    if match := _ISO_DATE_PREFIX.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _checked_date(text, year, month, day)
    if match := _SLASH_DATE.match(text):
        first, second, year = (int(part) for part in match.groups())
        month, day = (first, second) if first <= 12 else (second, first)
        return _checked_date(text, year, month, day)
    raise KeyFieldError(f"Due Date {text!r} is not a date (expected yyyy-mm-dd or mm/dd/yyyy)")


def _checked_date(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise KeyFieldError(f"Due Date {text!r} is not a real date: {error}") from None


def compose_key(playbook_name: str, deal_id: Any, step: Any, due_date: Any) -> str:
    return KEY_SEPARATOR.join(
        (
            playbook_slug(str(playbook_name or "")),
            normalise_deal_id(deal_id),
            normalise_step(step),
            normalise_due_date(due_date).isoformat(),
        )
    )


def normalise_key(key: str) -> str:
    """Trim every part and lower-case the slug, as DESIGN §3 asks of a stored Key."""
    parts = [part.strip() for part in str(key).strip().split(KEY_SEPARATOR)]
    if len(parts) != 4 or not all(parts):
        raise KeyFieldError(f"Key {key!r} does not have the four parts slug|deal|step|date")
    return compose_key(parts[0], parts[1], parts[2], parts[3])


@dataclass(frozen=True)
class DerivedKey:
    key: str | None
    problem: str | None = None


def derive_key(fields: Mapping[str, Any]) -> DerivedKey:
    """The key a record should carry: from its fields when they parse, else from its stored Key."""
    try:
        return DerivedKey(
            compose_key(
                fields.get("Playbook") or "",
                fields.get("Deal ID"),
                fields.get("Step"),
                fields.get("Due Date"),
            )
        )
    except KeyFieldError as field_error:
        stored = fields.get("Key")
        if stored:
            try:
                return DerivedKey(normalise_key(stored))
            except KeyFieldError:
                pass
        return DerivedKey(None, str(field_error))
