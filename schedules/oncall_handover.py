"""The on-call handover every Monday at 09:00 UTC, ready when the rotation changes."""

import dagster as dg

from clawbot_assets.names import ONCALL_HANDOVER_JOB, ONCALL_HANDOVER_SCHEDULE

oncall_handover_schedule = dg.ScheduleDefinition(
    name=ONCALL_HANDOVER_SCHEDULE,
    cron_schedule="0 9 * * 1",
    execution_timezone="UTC",
    job_name=ONCALL_HANDOVER_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
