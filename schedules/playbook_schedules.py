"""One schedule per playbook, ``playbook__<slug>``, replacing the n8n cron that fired it.

They all target the shared ``playbook_run`` job by name: the component framework copies the
definitions it builds, and copies of one job object would collide.

A row Dagster still refuses after validation costs only that row its schedule: each schedule is
built on its own, checked against Dagster's rules first, and a failure is logged with the
playbook's name and left out.
"""


import datetime as dt
import logging

import dagster as dg

from clawbot_assets.domain.fields import shown
from clawbot_assets.domain.playbook import Playbook, PlaybookValidation
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.names import (
    PLAYBOOK_PARTITIONS,
    PLAYBOOK_RUN_JOB,
    PLAYBOOK_TAG,
    SCHEDULED_FOR_TAG,
    schedule_name,
)

logger = logging.getLogger(__name__)


def run_key(slug: str, scheduled_for: dt.datetime) -> str:
    """A tick's identity: Dagster drops a second RunRequest with the same key from one schedule."""
    return f"{slug}@{scheduled_for.astimezone(dt.timezone.utc).isoformat()}"


def build_playbook_schedule(playbook: Playbook, refusal: str = "") -> dg.ScheduleDefinition:
    """``refusal`` says why the snapshot's row is not safe to run: its ticks then skip with
    that reason instead of launching a run that would be refused (a red run every tick)."""
    running = playbook.dagster_schedule_runs

    @dg.schedule(
        name=schedule_name(playbook.slug),
        cron_schedule=playbook.cron,
        execution_timezone=playbook.timezone,
        job_name=PLAYBOOK_RUN_JOB,
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
        description=(
            f"{playbook.name} ({playbook.tier}, {playbook.approval or 'no'} approval). "
            f"Enabled={playbook.enabled}, Scheduler={playbook.scheduler}: "
            + ("running by default" if running else "stopped by default")
            + (" (shadow: computes its tasks and writes nothing)." if playbook.in_shadow else ".")
        ),
        tags={PLAYBOOK_TAG: playbook.slug},
        metadata={"cron": playbook.cron, "timezone": playbook.timezone, "enabled": playbook.enabled, "scheduler": playbook.scheduler},
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        if refusal:
            return dg.SkipReason(
                f"Playbook {playbook.name!r} is not safe to run: {refusal}. Fix its row in the SSOT, "
                "then refresh the snapshot; the check trigger_and_approval_present names it too."
            )
        scheduled_for = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
        if not context.instance.has_dynamic_partition(PLAYBOOK_PARTITIONS, playbook.slug):
            context.instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, [playbook.slug])
        return dg.RunRequest(
            run_key=run_key(playbook.slug, scheduled_for),
            partition_key=playbook.slug,
            tags={SCHEDULED_FOR_TAG: scheduled_for.isoformat(), PLAYBOOK_TAG: playbook.slug},
        )

    return _schedule


def build_playbook_schedules(validations: list[PlaybookValidation]) -> list[dg.ScheduleDefinition]:
    """Schedules for the rows that can have one; a malformed row gets none and fails a check.

    Each is built inside its own ``try``: whatever one row raises, the others keep theirs.
    """
    schedules = []
    for validation in validations:
        if not (validation.schedulable and validation.playbook):
            continue
        playbook = validation.playbook
        try:
            refused = DAGSTER_SCHEDULE_RULES.cron_problem(playbook.cron) or DAGSTER_SCHEDULE_RULES.timezone_problem(playbook.timezone)
            if refused:
                raise ValueError(refused)
            schedules.append(build_playbook_schedule(playbook, "" if validation.safe_to_run else validation.describe()))
        except Exception as error:
            logger.error(
                "Playbook %s (%s) gets no schedule: %s: %s",
                shown(playbook.name),
                validation.record_id,
                type(error).__name__,
                shown(str(error), 300),
            )
    return schedules
