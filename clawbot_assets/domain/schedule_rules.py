"""Which crons and timezones a playbook schedule may have.

A row that Dagster refuses must cost only that row its schedule, so validation has to apply
the rules Dagster itself applies. The domain stays free of Dagster: a ``ScheduleRules`` is two
plain functions, and ``clawbot_assets.instance.dagster_rules.DAGSTER_SCHEDULE_RULES`` (through
``dagster_internals``, the one module that imports ``dagster._``) adds Dagster's own checks to these. The pure defaults here are kept at
least as strict as Dagster's on everything known (a test compares them over a corpus and a fuzz),
so callers that do not inject Dagster's rules still flag every row Dagster would refuse:

- a cron is 5 whitespace-separated fields that croniter accepts;
- no ``W`` (nearest weekday): croniter takes it, Dagster refuses it;
- it must fire at least once: ``0 9 31 2 *`` (Dagster refuses it) and ``0 9 31 4 *`` (Dagster
  loads it, then fails every tick) never do. Dagster cannot tick a cron whose day of the month
  never exists in its months even when it also names weekdays (``0 9 31 4 1``), where classic
  cron would fire on those weekdays; so a cron must fire both with the day and weekday fields
  read as "either" (classic) and as "both";
- a timezone is whatever ``zoneinfo.ZoneInfo`` loads, which is all Dagster asks; anything it
  raises (not found, a folder such as ``America``, a name too long for the file system, ``..``,
  a NUL byte) is a problem, never an exception.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from croniter import croniter

from clawbot_assets.domain.fields import shown

#: Longer than any cron a person writes; croniter is not asked to parse megabytes.
MAX_CRON_CHARS = 200
#: The longest IANA name is 32 characters.
MAX_TIMEZONE_CHARS = 64
#: Distinct crons remembered: every playbook is validated on each tick and sensor evaluation, and
#: a cron's verdict never changes.
CRON_VERDICTS_KEPT = 4096
#: Any fixed moment works: a cron that fires at all fires within a few years of it.
_FIRES_FROM = dt.datetime(2026, 1, 1)

Rule = Callable[[str], "str | None"]


@functools.lru_cache(maxsize=CRON_VERDICTS_KEPT)
def cron_problem(cron: str) -> str | None:
    """Why ``cron`` cannot be a playbook schedule's cron, or ``None`` when it can."""
    if not cron.strip():
        return "Cron is empty"
    if len(cron) > MAX_CRON_CHARS:
        return f"Cron {shown(cron)} is longer than {MAX_CRON_CHARS} characters"
    fields = cron.split()
    if len(fields) != 5:
        return f"Cron {shown(cron)} must have 5 fields, has {len(fields)}"
    try:
        valid = croniter.is_valid(cron)
    except Exception:  # croniter's own validator must not turn a bad row into a crash
        valid = False
    if not valid:
        return f"Cron {shown(cron)} is not a valid cron expression"
    if "w" in fields[2].lower():
        return f"Cron {shown(cron)} uses W (nearest weekday), which Dagster does not accept"
    try:
        for day_or in (True, False):
            croniter(cron, _FIRES_FROM, day_or=day_or).get_next(dt.datetime)
    except Exception:
        return f"Cron {shown(cron)} never fires (a day that does not exist in its month)"
    return None


def timezone_problem(timezone: str) -> str | None:
    """Why ``timezone`` cannot be a schedule's timezone, or ``None`` when it can."""
    if len(timezone) > MAX_TIMEZONE_CHARS:
        return f"Timezone {shown(timezone)} is longer than {MAX_TIMEZONE_CHARS} characters"
    try:
        ZoneInfo(timezone)
    except Exception:
        return f"Timezone {shown(timezone)} is not an IANA name"
    return None


@dataclass(frozen=True)
class ScheduleRules:
    """The rules a playbook's Cron and Timezone must pass; each returns a problem or ``None``."""

    cron_problem: Rule = cron_problem
    timezone_problem: Rule = timezone_problem


DEFAULT_SCHEDULE_RULES = ScheduleRules()
