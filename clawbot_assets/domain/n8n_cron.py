"""n8n's cron dialect: what its cron library accepts, and the same expression for croniter. Pure.

n8n registers every schedule (Schedule Trigger, legacy Cron node) as a ``CronJob`` of the npm
``cron`` package (``ScheduledTaskManager.registerCron`` in ``packages/core``). Its parser
(``CronTime._parse`` and ``_parseField`` in cron 3.x, ``dist/time.js`` and ``dist/constants.js``)
is stricter than croniter's in some places and different in others:

- presets ``@yearly @monthly @weekly @daily @hourly @minutely @secondly @weekdays @weekends``;
- 5 or 6 fields; with 5, the seconds field is ``0``;
- aliases ``jan``-``dec`` and ``sun``-``sat`` only: any other letters (``L``, ``W``, ``?``'s
  neighbours, ``#``) are refused ("Unknown alias"), where croniter accepts ``L``;
- every part is ``N``, ``N-M``, ``N/S``, ``N-M/S`` or ``*`` with an optional step; a step of
  zero, a reversed range or a value out of range is refused; ``N/S`` runs from N to the top;
- day of month and day of week restricted together fire on either (the classic OR).

A refused expression never fires: n8n throws when the workflow is activated.
"""

from __future__ import annotations

import re

PRESETS = {
    "@yearly": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
    "@minutely": "0 * * * * *",
    "@secondly": "* * * * * *",
    "@weekdays": "0 0 0 * * 1-5",
    "@weekends": "0 0 0 * * 0,6",
}
ALIASES = {
    **{name: index + 1 for index, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    **{name: index for index, name in enumerate("sun mon tue wed thu fri sat".split())},
}
FIELDS = (("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23), ("dayOfMonth", 1, 31), ("month", 1, 12), ("dayOfWeek", 0, 7))
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?(?:/(\d+))?$")


class CronRefused(ValueError):
    """n8n's cron library refuses the expression, so the trigger never activates."""


def _check_field(value: str, name: str, low: int, high: int) -> None:
    if any("*" in part and not part.startswith("*") for part in value.split(",")):
        raise CronRefused(f"{name} {value!r} has an invalid wildcard")
    for part in value.replace("*", f"{low}-{high}").split(","):
        match = _RANGE.match(part)
        if not match:
            raise CronRefused(f"{name} {value!r} cannot be parsed")
        lower, upper, step = match.groups()
        if step is not None and int(step) == 0:
            raise CronRefused(f"{name} {value!r} has a step of zero")
        if upper is not None and int(lower) > int(upper):
            raise CronRefused(f"{name} {value!r} has an invalid range")
        if int(lower) < low or int(upper if upper is not None else lower) > high:
            raise CronRefused(f"{name} {value!r} is out of range {low}-{high}")


def n8n_six_fields(expression: str) -> str:
    """The expression as n8n's cron library reads it: six fields, seconds first, aliases as
    numbers. Raises ``CronRefused`` for what the library refuses."""
    source = str(expression or "").strip().lower()
    source = PRESETS.get(source, source)

    def alias(match: re.Match) -> str:
        if match.group(0) not in ALIASES:
            raise CronRefused(f"unknown alias {match.group(0).upper()!r}")
        return str(ALIASES[match.group(0)])

    source = re.sub(r"[a-z]{1,3}", alias, source)
    fields = source.split()
    if len(fields) < 5:
        raise CronRefused(f"too few fields ({len(fields)})")
    if len(fields) > 6:
        raise CronRefused(f"too many fields ({len(fields)})")
    if len(fields) == 5:
        fields = ["0", *fields]
    for value, (name, low, high) in zip(fields, FIELDS):
        _check_field(value, name, low, high)
    return " ".join(fields)


def for_croniter(six_fields: str) -> str:
    """n8n's seconds-first six fields in croniter's order (seconds last)."""
    second, *rest = six_fields.split()
    return " ".join([*rest, second])
