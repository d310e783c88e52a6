"""The ``reconcile`` job: make the Dagster schedules follow Enabled, and write the observed
Status back into the SSOT. A dry run unless ``apply: true``; every change is logged, and n8n
changes are only proposed (``domain/reconcile.py`` says which way each change goes)."""

import datetime as dt
from typing import Sequence

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.assets.audit_facts import gather_audit
from clawbot_assets.domain.drift import expected_schedules
from clawbot_assets.domain.reconcile import Change, plan_reconcile
from clawbot_assets.instance.dagster_internals import run_repository_origin
from clawbot_assets.instance.run_tags import api_tags
from clawbot_assets.instance.schedule_state import set_schedule_running
from clawbot_assets.names import AIRTABLE_POOL, RECONCILE_JOB
from clawbot_assets.resources.n8n import N8nResource
from clawbot_assets.resources.ssot import SsotResource

DRY_RUN_TAG = "clawbot/dry_run"


class ReconcileConfig(dg.Config):
    apply: bool = False
    """Make the changes. Without it the job only logs and reports what it would change."""


def build_reconcile_job(schedules: Sequence[dg.ScheduleDefinition]) -> dg.JobDefinition:
    by_name = {schedule.name: schedule for schedule in schedules}

    @dg.op(pool=AIRTABLE_POOL)
    def reconcile_ssot(context: dg.OpExecutionContext, config: ReconcileConfig, ssot: SsotResource, n8n: N8nResource) -> dg.Output:
        now = dt.datetime.now(dt.timezone.utc)
        gathered = gather_audit(context.instance, schedules, ssot, n8n, now)
        facts = [audit.facts for audit in gathered.report.playbooks]
        changes = plan_reconcile(facts, now)
        if gathered.report.n8n_problem:
            context.log.warning(f"n8n could not be read; n8n-owned playbooks are left alone: {gathered.report.n8n_problem}")
        mode = "applying" if config.apply else "dry run, would make"
        for change in changes:
            if change.side == "withheld":
                context.log.warning(f"not written: {change.describe()}")
            else:
                context.log.info(f"{mode if change.side != 'n8n' else 'n8n'}: {change.describe()}")
        if config.apply:
            refuse_without_schedules(gathered.validations, by_name)
            apply_changes(context, changes, ssot, by_name)
        return dg.Output(
            None,
            metadata={
                "applied": dg.MetadataValue.bool(config.apply),
                "dagster_changes": dg.MetadataValue.json([c.describe() for c in changes if c.side == "dagster"]),
                "ssot_changes": dg.MetadataValue.json([c.describe() for c in changes if c.side == "ssot"]),
                "n8n_proposals": dg.MetadataValue.json([c.describe() for c in changes if c.side == "n8n"]),
                "status_withheld": dg.MetadataValue.json([c.describe() for c in changes if c.side == "withheld"]),
            },
        )

    @dg.job(name=RECONCILE_JOB, tags={DRY_RUN_TAG: "unless apply is set", **api_tags(airtable=True)})
    def reconcile():
        """Schedules follow Enabled; Status follows what runs; n8n changes are proposed only.
        ``deploy/run_config/reconcile_apply.yaml`` makes the changes; it refuses while the
        playbook snapshot misses a playbook's schedule."""
        reconcile_ssot()

    return reconcile


def refuse_without_schedules(validations, schedules: dict[str, dg.ScheduleDefinition]) -> None:
    """A code location that loaded no schedule for a playbook that should have one (no
    snapshot in the image, or a stale one) would read as "scheduled nowhere" and write Paused
    over every such Status: applying then does harm, so it refuses."""
    missing = sorted(set(expected_schedules(validations)) - set(schedules))
    if missing:
        raise dg.Failure(
            description=(
                f"{len(missing)} playbooks have no schedule in this code location ({', '.join(missing[:5])}"
                f"{', ...' if len(missing) > 5 else ''}): its playbook snapshot is missing or stale. Refresh it "
                "(dg utils refresh-defs-state) and reload before applying. Nothing was changed."
            ),
            allow_retries=False,
        )


def apply_changes(context: dg.OpExecutionContext, changes: list[Change], ssot: SsotResource, schedules: dict[str, dg.ScheduleDefinition]) -> None:
    origin = run_repository_origin(context.dagster_run)
    for change in changes:
        if change.side == "dagster" and change.target in schedules:
            set_schedule_running(context.instance, schedules[change.target], bool(change.running), origin)
    updates = [(change.target, dict(change.fields)) for change in changes if change.side == "ssot"]
    if updates:
        ssot.client().update(PLAYBOOKS_TABLE, updates)
