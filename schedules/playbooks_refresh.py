"""Hourly validation of the playbooks, so a row broken in the SSOT shows as a failing check
within the hour, before its schedule next fires."""

import dagster as dg

from clawbot_assets.names import PLAYBOOKS_REFRESH_JOB, PLAYBOOKS_REFRESH_SCHEDULE

playbooks_refresh_schedule = dg.ScheduleDefinition(
    name=PLAYBOOKS_REFRESH_SCHEDULE,
    cron_schedule="5 * * * *",
    job_name=PLAYBOOKS_REFRESH_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
