"""``ops_metrics`` every five minutes, so the dashboard and its alarms stay live."""

import dagster as dg

from clawbot_assets.names import OPS_METRICS_JOB, OPS_METRICS_SCHEDULE

ops_metrics_schedule = dg.ScheduleDefinition(
    name=OPS_METRICS_SCHEDULE,
    cron_schedule="*/5 * * * *",
    job_name=OPS_METRICS_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
