"""Schedules of the queue loop: the dispatch, and the local reference worker.

Both run by default only on the embedded local backend (the demo closes its loop on its own).
Against SQS, an operator turns ``sales_dispatch_schedule`` on at cut-over, and the real worker
replaces ``reference_worker_schedule``.
"""

import dagster as dg

from clawbot_assets.names import (
    REFERENCE_WORKER_JOB,
    REFERENCE_WORKER_SCHEDULE,
    SALES_DISPATCH_JOB,
    SALES_DISPATCH_SCHEDULE,
)


def build_queue_schedules(local_queue: bool) -> list[dg.ScheduleDefinition]:
    status = dg.DefaultScheduleStatus.RUNNING if local_queue else dg.DefaultScheduleStatus.STOPPED
    return [
        dg.ScheduleDefinition(name=SALES_DISPATCH_SCHEDULE, cron_schedule="*/10 * * * *", job_name=SALES_DISPATCH_JOB,
                              default_status=status),
        dg.ScheduleDefinition(name=REFERENCE_WORKER_SCHEDULE, cron_schedule="* * * * *", job_name=REFERENCE_WORKER_JOB,
                              default_status=status),
    ]
