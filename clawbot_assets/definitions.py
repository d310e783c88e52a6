"""The one place that assembles the code location's Definitions (location ``clawbot``)."""


from pathlib import Path

import dagster as dg

from clawbot_assets.assets.hubspot import hubspot_deal_pipelines
from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.checks import playbook_checks
from clawbot_assets.jobs import playbook_run_job
from clawbot_assets.resources.crm_resource import crm_resource_from_env
from clawbot_assets.resources.ssot_resource import ssot_resource_from_env


@dg.definitions
def defs() -> dg.Definitions:
    core = dg.Definitions(
        assets=[playbooks, hubspot_deal_pipelines, playbook_tasks],
        asset_checks=dg.load_asset_checks_from_modules([playbook_checks]),
        jobs=[playbook_run_job],
        resources={"ssot": ssot_resource_from_env(), "crm": crm_resource_from_env()},
    )
    return dg.Definitions.merge(core, dg.load_from_defs_folder(path_within_project=Path(__file__).parent))
