"""The nightly dedupe of task_queue_sales, running by default, in a configurable timezone."""

import datetime as dt

import dagster as dg

from clawbot_assets.names import NIGHTLY_DEDUPE_JOB, NIGHTLY_DEDUPE_SCHEDULE

NIGHTLY_DEDUPE_CRON = "30 2 * * *"


def build_nightly_dedupe_schedule(timezone: str = "UTC") -> dg.ScheduleDefinition:
    """At 02:30 in ``timezone`` (``CLAWBOT_DEDUPE_TIMEZONE``). Mode ``auto``: incremental,
    with a full pass when the last one is a week old."""

    @dg.schedule(
        name=NIGHTLY_DEDUPE_SCHEDULE,
        cron_schedule=NIGHTLY_DEDUPE_CRON,
        execution_timezone=timezone,
        job_name=NIGHTLY_DEDUPE_JOB,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
        return dg.RunRequest(run_key=f"dedupe@{tick.astimezone(dt.timezone.utc).isoformat()}")

    return _schedule
