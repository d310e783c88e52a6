"""Asset jobs. Every playbook schedule targets the one shared ``playbook_run`` job."""

import dagster as dg

from clawbot_assets.assets.hubspot import hubspot_deal_pipelines
from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.assets.task_queue_sales import task_queue_sales
from clawbot_assets.names import (
    AIRTABLE_BUDGET,
    CUTOVER_READINESS,
    NIGHTLY_DEDUPE_JOB,
    ONCALL_HANDOVER,
    ONCALL_HANDOVER_JOB,
    OPS_METRICS,
    OPS_METRICS_JOB,
    PLAYBOOK_RUN_JOB,
    PLAYBOOKS_REFRESH_JOB,
    SSOT_AUDIT,
    SSOT_AUDIT_JOB,
    WHATS_LIVE_PAGE,
)
from clawbot_assets.instance.run_tags import api_tags

playbook_run_job = dg.define_asset_job(
    PLAYBOOK_RUN_JOB,
    selection=dg.AssetSelection.assets(playbook_tasks),
    tags=api_tags(airtable=True, hubspot=True),
    description="One playbook run: its deals become tasks in task_queue_sales. Partitioned by playbook slug.",
)

nightly_dedupe_job = dg.define_asset_job(
    NIGHTLY_DEDUPE_JOB,
    selection=dg.AssetSelection.assets(task_queue_sales),
    tags=api_tags(airtable=True),
    description="Deduplicate task_queue_sales on its Key (archive, then delete), then run its checks.",
)

playbooks_refresh_job = dg.define_asset_job(
    PLAYBOOKS_REFRESH_JOB,
    selection=dg.AssetSelection.assets(playbooks, hubspot_deal_pipelines),
    tags=api_tags(airtable=True, hubspot=True),
    description="Re-read and validate the playbooks and HubSpot's pipelines, then run their checks.",
)

ssot_audit_job = dg.define_asset_job(
    SSOT_AUDIT_JOB,
    selection=dg.AssetSelection.assets(SSOT_AUDIT, WHATS_LIVE_PAGE, CUTOVER_READINESS),
    tags=api_tags(airtable=True),
    description="Audit the SSOT against what really runs in Dagster and n8n, run the audit's checks, render the what's-live page, "
    "and compare settled shadow ticks with n8n (cutover_readiness).",
)

publish_ops_metrics_job = dg.define_asset_job(
    OPS_METRICS_JOB,
    selection=dg.AssetSelection.assets(OPS_METRICS, AIRTABLE_BUDGET),
    tags=api_tags(airtable=True),
    description="Gather the operations figures and the Airtable budget and publish them (CloudWatch when CLAWBOT_METRICS=cloudwatch).",
)

write_oncall_handover_job = dg.define_asset_job(
    ONCALL_HANDOVER_JOB,
    selection=dg.AssetSelection.assets(ONCALL_HANDOVER),
    description="Write the weekly on-call handover from the instance's record (no external system is called).",
)
