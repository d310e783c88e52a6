"""Hourly SSOT audit: what changes no Playbooks row (a schedule toggled in the UI, an n8n
workflow switched off) still shows in the audit's checks within the hour."""

import dagster as dg

from clawbot_assets.names import SSOT_AUDIT_JOB, SSOT_AUDIT_SCHEDULE

ssot_audit_schedule = dg.ScheduleDefinition(
    name=SSOT_AUDIT_SCHEDULE,
    cron_schedule="15 * * * *",
    job_name=SSOT_AUDIT_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
