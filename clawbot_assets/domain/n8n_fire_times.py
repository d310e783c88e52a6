"""When an n8n schedule really fires: its cron's ticks, filtered by n8n's ``recurrenceCheck``. Pure.

n8n registers a day, week or month interval (and an hours interval other than 1) as a cron that
fires more often, then drops every tick that ``recurrenceCheck``
(``packages/nodes-base/nodes/Schedule/GenericFunctions.ts``, n8n 1.123) rejects. The check keeps
the last fired value of the unit in the node's static data and fires only when

- hours: ``hour === (size + last) % 24``
- days: ``dayOfYear === (size + last) % 365``
- weeks: ``week === (size + last) % 52`` or ``week === last`` (several weekdays in one week)
- months: ``month === (size + last) % 12`` (months counted 0-11)

in the workflow's timezone (moment's ``en`` locale weeks: Sunday first, week 1 holds 1 January).
The first tick after activation always fires. Equality, not "at least", is why some intervals stop
for good: ``*/5`` hours never produces hour 1 after 20, day (363 + 2) % 365 = 0 never comes, a
5-month interval waits for April after November, and a 2-hour interval whose 02:00 fire a
spring DST change swallowed waits for 02:00 the next day.

The replay starts at the activation the API shows (``N8nWorkflow.activated_at``) with no last
value, as a freshly activated trigger does; n8n restarts that reload saved static data are not
visible through the API. Two facts keep it short:

- a state that lets no tick through for a whole cycle of the unit (two days for hours, a year
  and a bit for the others) never will: every later cycle offers the same values;
- an hours interval that divides 24 fires on every ``*/N`` hour again by the day after any
  skip, so its replay needs only the last days, not every hour since activation.

A schedule without a recurrence is not replayed: its last fires and its next come from its cron.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator
from zoneinfo import ZoneInfo

from croniter import croniter

from clawbot_assets.domain.n8n_cron import for_croniter
from clawbot_assets.domain.n8n_schedule import N8N_DEFAULT_TIMEZONE, RANDOM_MINUTE, Recurrence, TriggerSchedule

MODULUS = {"hours": 24, "days": 365, "weeks": 52, "months": 12}
#: How far past ``now`` the replay looks for the next fire before calling a schedule stopped:
#: an hours interval resumes within a day (the DST skip), the others within a year.
HORIZON = {"hours": dt.timedelta(days=3), "days": dt.timedelta(days=800), "weeks": dt.timedelta(days=800), "months": dt.timedelta(days=800)}
#: A state that lets no tick through for this long never will.
CYCLE = {"hours": dt.timedelta(days=2), "days": dt.timedelta(days=400), "weeks": dt.timedelta(days=400), "months": dt.timedelta(days=400)}
#: How far back an hours interval that divides 24 is replayed.
HOURS_REPLAY = dt.timedelta(days=3)
#: A replay never looks at more cron ticks than this.
MAX_TICKS = 50_000


def zone(schedule: TriggerSchedule) -> ZoneInfo:
    return ZoneInfo(schedule.timezone or N8N_DEFAULT_TIMEZONE)


def _days_in_year(year: int) -> int:
    return 366 if dt.date(year, 12, 31).timetuple().tm_yday == 366 else 365


def _first_week_offset(year: int) -> int:
    """moment's ``firstWeekOffset`` for the ``en`` locale (dow 0, doy 6)."""
    fwd = 7 + 0 - 6
    jan_fwd_weekday = (dt.date(year, 1, fwd).weekday() + 1) % 7
    return -((7 + jan_fwd_weekday - 0) % 7) + fwd - 1


def moment_week(day: dt.date) -> int:
    """``moment(day).week()`` in the ``en`` locale."""
    offset = _first_week_offset(day.year)
    week = (day.timetuple().tm_yday - offset - 1) // 7 + 1
    weeks_this_year = (_days_in_year(day.year) - offset + _first_week_offset(day.year + 1)) // 7
    if week < 1:
        previous = day.year - 1
        return week + (_days_in_year(previous) - _first_week_offset(previous) + offset) // 7
    return week - weeks_this_year if week > weeks_this_year else week


def unit_value(moment: dt.datetime, unit: str) -> int:
    """The value ``recurrenceCheck`` reads for ``unit`` at local time ``moment``."""
    if unit == "hours":
        return moment.hour
    if unit == "days":
        return moment.timetuple().tm_yday
    if unit == "weeks":
        return moment_week(moment.date())
    return moment.month - 1


def passes(recurrence: Recurrence, value: int, last: int | None) -> bool:
    if last is None:
        return True
    expected = (recurrence.size + last) % MODULUS[recurrence.unit]
    return value == expected or (recurrence.unit == "weeks" and value == last)


def fire_times(schedule: TriggerSchedule, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """Every time n8n fires ``schedule`` after ``start`` (its activation) up to ``end``, local."""
    if not schedule.fires or schedule.six_fields is None:
        return
    ticks = croniter(for_croniter(schedule.six_fields), start.astimezone(zone(schedule)))
    last: int | None = None
    last_fire = start
    for _ in range(MAX_TICKS):
        try:
            tick = ticks.get_next(dt.datetime)
        except Exception:
            return
        if tick > end:
            return
        if schedule.recurrence is None:
            yield tick
            continue
        if tick - last_fire > CYCLE[schedule.recurrence.unit]:
            return
        value = unit_value(tick, schedule.recurrence.unit)
        if passes(schedule.recurrence, value, last):
            last, last_fire = value, tick
            yield tick


def _plain_state(schedule: TriggerSchedule, activated_at: dt.datetime | None, now: dt.datetime) -> FiringState:
    """A schedule n8n does not filter: its cron's last two ticks since activation and its next."""
    assert schedule.six_fields is not None
    try:
        ticks = croniter(for_croniter(schedule.six_fields), now.astimezone(zone(schedule)))
        next_fire = ticks.get_next(dt.datetime)
        ticks.set_current(now.astimezone(zone(schedule)), force=True)
        recent = [ticks.get_prev(dt.datetime) for _ in range(2)]
    except Exception:
        return FiringState((), None, f"its cron {schedule.six_fields!r} matches no date")
    return FiringState(tuple(t for t in reversed(recent) if activated_at is None or t >= activated_at), next_fire)


@dataclass(frozen=True)
class FiringState:
    """What n8n does with one schedule around ``now``."""

    #: The fires at or before ``now`` (the last two at most), oldest first.
    recent: tuple[dt.datetime, ...]
    next_fire: dt.datetime | None
    #: Why it never fires again, or ``None`` while it fires.
    never_fires: str | None = None

    @property
    def fires(self) -> bool:
        return self.never_fires is None


def firing_state(schedule: TriggerSchedule, activated_at: dt.datetime | None, now: dt.datetime) -> FiringState:
    if not schedule.fires:
        return FiringState((), None, schedule.refused or "n8n refuses it")
    if schedule.recurrence is None:
        return _plain_state(schedule, activated_at, now)
    start = min(activated_at or now, now)
    if schedule.recurrence.unit == "hours" and 24 % schedule.recurrence.size == 0:
        start = max(start, now - HOURS_REPLAY)
    recent: list[dt.datetime] = []
    next_fire = None
    for fire in fire_times(schedule, start, now + HORIZON[schedule.recurrence.unit]):
        if fire <= now:
            recent = [*recent[-1:], fire]
        else:
            next_fire = fire
            break
    if next_fire is not None:
        return FiringState(tuple(recent), next_fire)
    unit, size = schedule.recurrence.unit, schedule.recurrence.size
    if not recent:
        return FiringState((), None, f"no tick of its cron passes n8n's recurrence check for every {size} {unit}")
    last = recent[-1]
    waits_for = (size + unit_value(last, unit)) % MODULUS[unit]
    return FiringState(
        tuple(recent),
        None,
        f"stopped firing: n8n last fired it at {last.isoformat(timespec='minutes')} and now waits for "
        f"{unit[:-1]} {waits_for} ((last + {size}) % {MODULUS[unit]}), which its cron {schedule.six_fields!r} never reaches",
    )


def next_fire_words(schedule: TriggerSchedule, fire: dt.datetime) -> str:
    """A fire time as an operator should read it: a window where n8n picked the minute at random."""
    if RANDOM_MINUTE in schedule.random:
        return f"between {fire:%Y-%m-%d %H}:00 and {fire:%H}:59 {fire.tzname()} (n8n picks the minute at random)"
    return fire.isoformat(timespec="minutes")
