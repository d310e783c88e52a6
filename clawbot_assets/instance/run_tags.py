"""The tags that say which rate-limited APIs a job's runs talk to.

The production instance queues runs and starts at most so many at a time per tag
(``deploy/dagster.yaml``, ``tag_concurrency_limits``), which keeps concurrent runs within
Airtable's and HubSpot's budgets. A job's ``tags`` become the tags of every run of it, however
it is launched (schedule, sensor, UI). ``tests/deploy/test_run_tags.py`` checks that every job
whose steps need the ``ssot`` or ``crm`` resource carries the matching tag. Runs of Dagster's
implicit asset job (the asset catalog's Materialize) have no job tags: the instance's run
coordinator (``run_coordinator.py``) gives them the same tags from the same resources.
"""

from __future__ import annotations

from typing import Iterable

from clawbot_assets.names import AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG

#: The resource through which a step talks to each rate-limited API -> the run tag it implies.
RUN_TAG_BY_RESOURCE = {"ssot": AIRTABLE_RUN_TAG, "crm": HUBSPOT_RUN_TAG}


def api_tags(*, airtable: bool = False, hubspot: bool = False) -> dict[str, str]:
    """``{"clawbot/airtable": "true"}`` and/or ``{"clawbot/hubspot": "true"}``."""
    tags = {}
    if airtable:
        tags[AIRTABLE_RUN_TAG] = "true"
    if hubspot:
        tags[HUBSPOT_RUN_TAG] = "true"
    return tags


def api_tags_for_resources(resource_keys: Iterable[str]) -> dict[str, str]:
    """The API tags of a run whose steps require ``resource_keys``."""
    keys = set(resource_keys)
    return {tag: "true" for resource, tag in RUN_TAG_BY_RESOURCE.items() if resource in keys}
