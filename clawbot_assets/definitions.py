"""The one place that assembles the code location's Definitions (location ``clawbot``)."""

import os
from pathlib import Path
from typing import Mapping

import dagster as dg

from clawbot_assets.instance.dagster_warnings import silence_internal_beta_warnings

silence_internal_beta_warnings()

from clawbot_assets.assets.airtable_budget import build_airtable_budget  # noqa: E402 (the filters first)
from clawbot_assets.assets.cutover_readiness import cutover_readiness
from clawbot_assets.assets.hubspot import hubspot_deal_pipelines
from clawbot_assets.assets.live_page import whats_live_page
from clawbot_assets.assets.oncall_handover import build_oncall_handover
from clawbot_assets.assets.ops_metrics import ops_metrics
from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.assets.sales_dispatch import sales_dispatch
from clawbot_assets.assets.sales_dlq import sales_dlq
from clawbot_assets.assets.ssot_audit import build_ssot_audit
from clawbot_assets.assets.task_queue_sales import task_queue_sales
from clawbot_assets.checks import queue_checks
from clawbot_assets.checks.audit_checks import build_audit_checks
from clawbot_assets.checks.cutover_checks import cutover_readiness_check
from clawbot_assets.checks.playbook_checks import build_playbook_checks, loaded_schedules
from clawbot_assets.jobs.dedupe import acknowledge_contacted_twice, dedupe_dry_run, restore_dedupe
from clawbot_assets.jobs.asset_jobs import (
    nightly_dedupe_job,
    write_oncall_handover_job,
    publish_ops_metrics_job,
    playbook_run_job,
    playbooks_refresh_job,
    ssot_audit_job,
)
from clawbot_assets.domain.airtable_budget import DEFAULT_WARN_SHARE
from clawbot_assets.jobs.queue import dlq_triage, reference_worker, dispatch_sales_tasks_job
from clawbot_assets.jobs.reconcile import build_reconcile_job
from clawbot_assets.names import DEDUPE_TIMEZONE_VARIABLE, PLAYBOOK_SCHEDULES_COMPONENT
from clawbot_assets.resources import (
    budget_warn_share_from_env,
    dlq_threshold_from_env,
    resources_from_env,
    runbook_base_url_from_env,
    ui_url_from_env,
)
from clawbot_assets.resources.queue import LocalQueueResource
from schedules.nightly_dedupe import build_nightly_dedupe_schedule
from schedules.oncall_handover import oncall_handover_schedule
from schedules.ops_metrics import ops_metrics_schedule
from schedules.playbooks_refresh import playbooks_refresh_schedule
from schedules.queue_schedules import build_queue_schedules
from schedules.ssot_audit import ssot_audit_schedule
from sensors.check_alerts import build_check_failure_alert_sensor
from sensors.dlq_depth import build_dlq_depth_sensor
from sensors.playbooks_change import playbooks_change_sensor


#: Every job's executor, the implicit asset job's too (a run launched from the Catalog). A run's
#: steps share its process: they are few and sequential, a subprocess per step would cost more
#: than the step (it imports the code location again), and what bounds concurrency is across
#: runs (the run queue's tag limits, the ``airtable`` pool), not within one.
RUN_EXECUTOR = dg.in_process_executor


def build_defs(
    resources: Mapping[str, dg.ConfigurableResource],
    dedupe_timezone: str = "UTC",
    playbook_schedules: dg.Definitions | None = None,
    ui_url: str = "http://127.0.0.1:3000",
    dlq_threshold: int = 0,
    budget_warn_share: float = DEFAULT_WARN_SHARE,
    runbook_base_url: str = "",
) -> dg.Definitions:
    """``playbook_schedules`` defaults to the snapshot-built component; tests pass their own."""
    playbook_schedules = playbook_schedule_defs() if playbook_schedules is None else playbook_schedules
    schedules = list(playbook_schedules.schedules or [])
    airtable_budget = build_airtable_budget(budget_warn_share)
    asset_checks = [
        build_playbook_checks(loaded_schedules(schedules)),
        *dg.load_asset_checks_from_modules([queue_checks]),
        build_audit_checks(schedules),
        cutover_readiness_check,
    ]
    core = dg.Definitions(
        assets=[
            playbooks,
            hubspot_deal_pipelines,
            playbook_tasks,
            task_queue_sales,
            build_ssot_audit(schedules),
            whats_live_page,
            sales_dispatch,
            sales_dlq,
            ops_metrics,
            airtable_budget,
            cutover_readiness,
            build_oncall_handover(
                [key for definition in (*asset_checks, airtable_budget) for key in definition.check_keys], runbook_base_url
            ),
        ],
        asset_checks=asset_checks,
        jobs=[
            playbook_run_job,
            playbooks_refresh_job,
            nightly_dedupe_job,
            ssot_audit_job,
            dedupe_dry_run,
            restore_dedupe,
            acknowledge_contacted_twice,
            build_reconcile_job(schedules),
            dispatch_sales_tasks_job,
            reference_worker,
            dlq_triage,
            publish_ops_metrics_job,
            write_oncall_handover_job,
        ],
        schedules=[
            build_nightly_dedupe_schedule(dedupe_timezone),
            playbooks_refresh_schedule,
            ssot_audit_schedule,
            ops_metrics_schedule,
            oncall_handover_schedule,
            *build_queue_schedules(isinstance(resources.get("queue"), LocalQueueResource)),
        ],
        sensors=[
            playbooks_change_sensor,
            build_dlq_depth_sensor(dlq_threshold, ui_url, runbook_base_url),
            build_check_failure_alert_sensor(ui_url, runbook_base_url),
        ],
        resources=dict(resources),
        executor=RUN_EXECUTOR,
    )
    return dg.Definitions.merge(core, playbook_schedules)


def playbook_schedule_defs() -> dg.Definitions:
    """The playbook-schedules component from the defs folder.

    Built at its own location in the component tree rather than through
    ``load_from_defs_folder``, whose root also imports every installed component library to
    describe it to the UI: building it here brought loading from 1.6 s to 0.7 s (importing
    pandas lazily did the rest, down to 0.4 s).
    """
    tree = dg.ComponentTree.for_project(Path(__file__).parent)
    return dg.Definitions.merge(tree.build_defs(PLAYBOOK_SCHEDULES_COMPONENT), dg.Definitions(component_tree=tree))


@dg.definitions
def defs() -> dg.Definitions:
    """Environment is read here, when the code location loads, never at import."""
    return build_defs(
        resources_from_env(),
        dedupe_timezone=os.environ.get(DEDUPE_TIMEZONE_VARIABLE) or "UTC",
        ui_url=ui_url_from_env(),
        dlq_threshold=dlq_threshold_from_env(),
        budget_warn_share=budget_warn_share_from_env(),
        runbook_base_url=runbook_base_url_from_env(),
    )
