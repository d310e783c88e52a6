"""A 5-field cron (or a 6-field one, seconds first) in words, and its next tick and interval,
for operators reading the audit.

Only the shapes playbooks use are put in words (fixed minutes and hours, steps, weekday and
day-of-month lists); anything else is shown as the cron itself. A day of month and a weekday
restricted together fire on either (cron's OR, croniter's and n8n's cron library alike), and the
words say "or". A seconds step that does not divide 60 restarts each minute (``*/45`` is :00 and
:45). Pure: croniter only.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from croniter import croniter

WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _weekdays(field: str) -> str | None:
    if field == "*":
        return None
    if field in ("1-5", "mon-fri", "MON-FRI"):
        return "on weekdays"
    names = []
    for part in field.split(","):
        if "-" in part:
            start, end = part.split("-", 1)
            if not (start.isdigit() and end.isdigit()):
                return f"on weekdays {field}"
            names.append(f"{WEEKDAYS[int(start) % 8]}-{WEEKDAYS[int(end) % 8]}")
        elif part.isdigit() and int(part) <= 7:
            names.append(WEEKDAYS[int(part)])
        else:
            return f"on weekdays {field}"
    return "on " + ", ".join(names)


def describe_seconds(second: str) -> str:
    """A seconds field in words."""
    if second == "*":
        return "every second"
    if second.startswith("*/") and second[2:].isdigit() and int(second[2:]) > 0:
        step = int(second[2:])
        if 60 % step == 0:
            return f"every {step} seconds"
        marks = ", ".join(f":{mark:02d}" for mark in range(0, 60, step))
        return f"at seconds {marks} of every minute (*/{step} restarts each minute)"
    return f"at seconds {second}"


def describe_cron(cron: str) -> str:
    fields = cron.split()
    if len(fields) == 6:
        second, five = fields[0], " ".join(fields[1:])
        if second.isdigit():
            return describe_cron(five) + (f" at second {int(second)}" if int(second) else "")
        return describe_seconds(second) + ("" if five == "* * * * *" else f", {describe_cron(five)}")
    if len(fields) != 5:
        return f"cron {cron!r}"
    minute, hour, day, month, weekday = fields
    if all(field == "*" for field in fields):
        return "every minute"
    if minute.startswith("*/") and hour == day == month == weekday == "*":
        return f"every {minute[2:]} minutes"
    if minute.isdigit() and hour == "*" and day == month == weekday == "*":
        return f"every hour at minute {int(minute)}"
    if minute.isdigit() and hour.startswith("*/") and day == month == weekday == "*":
        return f"every {hour[2:]} hours at minute {int(minute)}"
    if not minute.isdigit() or not all(part.isdigit() for part in hour.split(",")):
        return f"cron {cron!r}"
    times = ", ".join(f"{int(h):02d}:{int(minute):02d}" for h in hour.split(","))
    if day.isdigit() and weekday != "*" and month == "*":
        return f"at {times} on day {int(day)} of the month or {_weekdays(weekday)}"
    when = [f"at {times}"]
    if day.startswith("*/"):
        when.insert(0, f"every {day[2:]} days")
    elif day != "*":
        when.insert(0, f"on day {day} of the month")
    else:
        when.insert(0, "every day" if weekday == "*" else "")
    if month.startswith("*/"):
        when.append(f"every {month[2:]} months")
    elif month != "*":
        when.append(f"in months {month}")
    if weekday != "*" and day != "*":
        when.append("or " + (_weekdays(weekday) or ""))
    elif weekday != "*":
        when.append(_weekdays(weekday) or "")
    return " ".join(part for part in when if part)


def next_tick(cron: str, timezone: str | None, after: dt.datetime) -> dt.datetime | None:
    """The next time ``cron`` fires after ``after`` (aware), in ``timezone``; ``None`` if unreadable."""
    try:
        local = after.astimezone(ZoneInfo(timezone or "UTC"))
        return croniter(cron, local).get_next(dt.datetime)
    except Exception:
        return None


def previous_tick(cron: str, timezone: str | None, before: dt.datetime, back: int = 1) -> dt.datetime | None:
    """The ``back``-th time ``cron`` fired at or before ``before``; ``None`` if unreadable."""
    try:
        iterator = croniter(cron, before.astimezone(ZoneInfo(timezone or "UTC")))
        tick = None
        for _ in range(back):
            tick = iterator.get_prev(dt.datetime)
        return tick
    except Exception:
        return None
