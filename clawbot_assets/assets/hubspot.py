"""The ``hubspot_deal_pipelines`` asset: deal pipelines and their stages, from the CRM."""

import dagster as dg

from clawbot_assets.resources.crm import CrmResource


@dg.asset(kinds={"hubspot"}, group_name="playbooks")
def hubspot_deal_pipelines(crm: CrmResource) -> dg.MaterializeResult:
    """Deal pipelines and stages; playbook Triggers must name one of these stages."""
    client = crm.client()
    pipelines = client.deal_pipelines()
    return dg.MaterializeResult(
        metadata={
            "pipelines": len(pipelines),
            "stages": sum(len(pipeline.stages) for pipeline in pipelines),
            "stage_ids": dg.MetadataValue.json({pipeline.id: [stage.id for stage in pipeline.stages] for pipeline in pipelines}),
            "crm_requests": client.requests_made,
        }
    )
