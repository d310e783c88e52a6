"""Schedules of the queue loop: the dispatch, and the local reference worker.

Both run by default only on the embedded local backend (the demo closes its loop on its own).
Against SQS, an operator turns ``sales_dispatch_schedule`` on at cut-over, and the real worker
replaces ``reference_worker_schedule``.

A tick that could only fail or find nothing to do is skipped with its reason instead of
launching a run, so the Runs page shows work, not noise: the dispatch waits until
``unique_composite_key`` has passed (the run itself would refuse), and the reference worker
until the queue holds a visible message.
"""

import dagster as dg

from clawbot_assets.assets.sales_dispatch import uniqueness_refusal
from clawbot_assets.names import (
    REFERENCE_WORKER_JOB,
    REFERENCE_WORKER_SCHEDULE,
    SALES_DISPATCH_JOB,
    SALES_DISPATCH_SCHEDULE,
)
from clawbot_assets.resources.queue import QueueResource


def build_queue_schedules(local_queue: bool) -> list[dg.ScheduleDefinition]:
    status = dg.DefaultScheduleStatus.RUNNING if local_queue else dg.DefaultScheduleStatus.STOPPED

    @dg.schedule(name=SALES_DISPATCH_SCHEDULE, cron_schedule="*/10 * * * *", job_name=SALES_DISPATCH_JOB,
                 default_status=status)
    def sales_dispatch_schedule(context: dg.ScheduleEvaluationContext):
        """Every 10 minutes, once the task table's keys are known to be unique."""
        refusal = uniqueness_refusal(context.instance)
        return dg.SkipReason(f"Nothing dispatched: {refusal}") if refusal else dg.RunRequest()

    @dg.schedule(name=REFERENCE_WORKER_SCHEDULE, cron_schedule="* * * * *", job_name=REFERENCE_WORKER_JOB,
                 default_status=status)
    def reference_worker_schedule(context: dg.ScheduleEvaluationContext, queue: QueueResource):
        """Every minute the queue holds a visible message (one local read, no Airtable request)."""
        depth = queue.queue().depth()
        if depth.visible == 0:
            return dg.SkipReason(f"the queue has no visible message ({depth.in_flight} in flight)")
        return dg.RunRequest()

    return [sales_dispatch_schedule, reference_worker_schedule]
