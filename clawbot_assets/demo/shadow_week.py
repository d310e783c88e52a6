"""``python -m clawbot_assets.demo shadow-week [slug]``: a week of shadow mode, simulated.

Embedded backend only. It puts one playbook (or several) in shadow, then for each settled tick
of its cron over the last 8 days (or ``days``) plays both sides: n8n's old worker writes the tick's tasks the way it did (loose spelling, no Key, every
third tick fired twice), and Dagster runs the playbook in shadow for the same tick. Finally it
materialises ``cutover_readiness``, whose check then passes for that playbook.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

import dagster as dg

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE, SsotClient
from clawbot_assets.domain.keys import DEFAULT_STEP
from clawbot_assets.domain.shadow import CLEAN_DAYS_REQUIRED, SETTLE, settled_ticks
from clawbot_assets.domain.tasks import DO_NOT_CONTACT_REASON, INTERCEPTED_STATUS, NEW_TASK_STATUS, due_date_for
from clawbot_assets.demo.ticks import play_tick
from clawbot_assets.names import CUTOVER_READINESS, PLAYBOOK_PARTITIONS, PLAYBOOK_RUN_JOB, SCHEDULED_FOR_TAG, schedule_name
from clawbot_assets.resources.ssot import LocalSsotResource
from clawbot_assets.services.playbook_run import load_playbook

DEFAULT_PLAYBOOK = "renewal_reminder_30_days"
#: Simulated shadow days: a week of daily ticks, and two ticks a week apart for a playbook that
#: fires weekly (what cutover_readiness requires, docs/cutover.md step 2).
SHADOW_DAYS = 2 * CLEAN_DAYS_REQUIRED + 1


def put_in_shadow(ssot: SsotClient, slug: str) -> None:
    playbook = load_playbook(ssot, slug)
    ssot.update(PLAYBOOKS_TABLE, [(playbook.record_id, {"Scheduler": "shadow"})])


def write_like_n8n(ssot: SsotClient, crm: CrmClient, slug: str, tick: dt.datetime, firings: int = 1) -> int:
    """The tasks n8n's worker stored for one tick: US slash dates, padded names, no Key."""
    playbook = load_playbook(ssot, slug)
    assert playbook.trigger is not None
    due = due_date_for(playbook, tick)
    rows = []
    for deal in crm.deals_in_stage(playbook.trigger.pipeline_id, playbook.trigger.stage_id):
        status = {"Status": INTERCEPTED_STATUS, "Intercept Reason": DO_NOT_CONTACT_REASON} if deal.do_not_contact else {"Status": NEW_TASK_STATUS}
        rows.append({
            "Playbook": f" {playbook.name} ",
            "Deal ID": deal.id,
            "Step": DEFAULT_STEP,
            "Due Date": due.strftime("%m/%d/%Y"),
            "Source": "n8n",
            **status,
        })
    for _ in range(firings):
        ssot.create(TASKS_TABLE, rows)
    return len(rows) * firings


def simulate_shadow_week(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    slug: str | Sequence[str],
    now: dt.datetime | None = None,
    days: int = SHADOW_DAYS,
) -> dg.ExecuteInProcessResult:
    """Shadows ``slug`` (one playbook or several) over the last ``days`` days, then materialises
    ``cutover_readiness`` once. Each tick goes through the playbook's schedule when ``defs`` has
    one (as the daemon would launch it), else straight to ``playbook_run``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    resources = defs.resources
    if not isinstance(resources["ssot"], LocalSsotResource):
        raise RuntimeError(
            f"shadow-week writes simulated n8n tasks: it runs on the embedded backend only, not on {resources['ssot'].describe()}"
        )
    ssot, crm = resources["ssot"].client(), resources["crm"].client()
    scheduled = {schedule.name for schedule in defs.schedules or []}
    for one in [slug] if isinstance(slug, str) else list(slug):
        put_in_shadow(ssot, one)
        playbook = load_playbook(ssot, one)
        if not instance.has_dynamic_partition(PLAYBOOK_PARTITIONS, one):
            instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, [one])
        job = defs.resolve_job_def(PLAYBOOK_RUN_JOB)
        for index, tick in enumerate(settled_ticks(playbook.cron, playbook.timezone, now - dt.timedelta(days=days), now - SETTLE)):
            write_like_n8n(ssot, crm, one, tick, firings=2 if index % 3 == 0 else 1)
            if schedule_name(one) in scheduled:
                play_tick(defs, instance, schedule_name(one), tick)
            else:
                job.execute_in_process(instance=instance, partition_key=one, tags={SCHEDULED_FOR_TAG: tick.isoformat()})
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(CUTOVER_READINESS)]
    )
