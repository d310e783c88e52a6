"""Dagster's own rules for a schedule's cron and timezone.

``ScheduleDefinition`` refuses a cron that ``dagster._utils.schedules.is_valid_cron_schedule``
rejects and a timezone that ``dagster._time.get_timezone`` cannot load, and the daemon fails
every tick of a cron that ``cron_string_iterator`` cannot advance. Those functions are private,
so they are reached through ``dagster_internals`` only; the domain receives them through
``DAGSTER_SCHEDULE_RULES`` (domain code stays free of Dagster), and a test pins that the domain's
pure defaults are at least as strict, so an upgrade that changes Dagster's rules shows up there.
"""

from __future__ import annotations

import functools

from clawbot_assets.domain.fields import shown
from clawbot_assets.domain.schedule_rules import (
    CRON_VERDICTS_KEPT,
    ScheduleRules,
    cron_problem as domain_cron_problem,
    timezone_problem as domain_timezone_problem,
)
from clawbot_assets.instance.dagster_internals import cron_accepted, load_timezone, next_cron_tick


@functools.lru_cache(maxsize=CRON_VERDICTS_KEPT)
def dagster_cron_problem(cron: str) -> str | None:
    """What Dagster alone says about ``cron``: refused when defined, or failing when ticked."""
    try:
        if not cron_accepted(cron):
            return f"Cron {shown(cron)} is refused by Dagster"
        next_cron_tick(cron)
    except Exception as error:
        return f"Cron {shown(cron)} cannot be scheduled by Dagster ({type(error).__name__})"
    return None


def dagster_timezone_problem(timezone: str) -> str | None:
    try:
        load_timezone(timezone)
    except Exception:
        return f"Timezone {shown(timezone)} is refused by Dagster"
    return None


def _both(cron: str) -> str | None:
    return domain_cron_problem(cron) or dagster_cron_problem(cron)


def _both_timezone(timezone: str) -> str | None:
    return domain_timezone_problem(timezone) or dagster_timezone_problem(timezone)


#: The domain's rules and Dagster's together: what validation should use wherever Dagster runs.
DAGSTER_SCHEDULE_RULES = ScheduleRules(cron_problem=_both, timezone_problem=_both_timezone)
