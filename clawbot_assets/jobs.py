"""Jobs. Every playbook schedule targets the one shared ``playbook_run`` job."""

import dagster as dg

from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.names import PLAYBOOK_RUN_JOB
from clawbot_assets.partitions import playbook_partitions

playbook_run_job = dg.define_asset_job(
    PLAYBOOK_RUN_JOB,
    selection=dg.AssetSelection.assets(playbook_tasks),
    partitions_def=playbook_partitions,
    description="One playbook run: its deals become tasks in task_queue_sales. Partitioned by playbook slug.",
)
