"""The ``playbooks`` asset: every row of the SSOT's Playbooks table, validated."""


from collections import Counter

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.domain.playbook import PlaybookValidation, validate_playbooks
from clawbot_assets.names import AIRTABLE_POOL, PLAYBOOK_PARTITIONS
from clawbot_assets.resources.ssot_resource import SsotResource


def catalog_metadata(validations: list[PlaybookValidation]) -> dict[str, dg.MetadataValue]:
    playbooks = [validation.playbook for validation in validations if validation.playbook]
    by_problem = Counter(code for validation in validations for code in validation.codes)
    return {
        "playbooks": dg.MetadataValue.int(len(validations)),
        "by_tier": dg.MetadataValue.json(dict(Counter(playbook.tier or "unknown" for playbook in playbooks))),
        "enabled": dg.MetadataValue.int(sum(playbook.enabled for playbook in playbooks)),
        "disabled": dg.MetadataValue.int(sum(not playbook.enabled for playbook in playbooks)),
        "scheduled_by_dagster": dg.MetadataValue.int(sum(playbook.scheduled_by_dagster for playbook in playbooks)),
        "by_problem": dg.MetadataValue.json(dict(by_problem)),
        "with_problems": dg.MetadataValue.int(sum(bool(validation.problems) for validation in validations)),
    }


@dg.asset(kinds={"airtable"}, group_name="playbooks", pool=AIRTABLE_POOL)
def playbooks(context: dg.AssetExecutionContext, ssot: SsotResource) -> list[PlaybookValidation]:
    """The 16 sales motions as the SSOT defines them, each with the problems found in its row.

    Registers one ``playbook`` partition per schedulable playbook, so ``playbook_tasks`` can run
    for it. Problems are reported by the checks on this asset, never raised here.
    """
    client = ssot.client()
    validations = validate_playbooks(client.list_records(PLAYBOOKS_TABLE))
    for validation in validations:
        if validation.problems:
            context.log.warning(f"playbook {validation.name or validation.record_id!r}: {validation.describe()}")
    slugs = [validation.playbook.slug for validation in validations if validation.schedulable and validation.playbook]
    new_slugs = [slug for slug in slugs if not context.instance.has_dynamic_partition(PLAYBOOK_PARTITIONS, slug)]
    if new_slugs:
        context.instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, new_slugs)
    context.add_output_metadata({**catalog_metadata(validations), "ssot_requests": client.requests_made})
    return validations
