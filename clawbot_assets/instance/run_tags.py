"""The tags that say which rate-limited APIs a job's runs talk to.

The production instance queues runs and starts at most so many at a time per tag
(``deploy/dagster.yaml``, ``tag_concurrency_limits``), which keeps concurrent runs within
Airtable's and HubSpot's budgets. A job's ``tags`` become the tags of every run of it, however
it is launched (schedule, sensor, UI). ``tests/deploy/test_run_tags.py`` checks that every job
whose steps need the ``ssot`` or ``crm`` resource carries the matching tag.
"""

from __future__ import annotations

from clawbot_assets.names import AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG


def api_tags(*, airtable: bool = False, hubspot: bool = False) -> dict[str, str]:
    """``{"clawbot/airtable": "true"}`` and/or ``{"clawbot/hubspot": "true"}``."""
    tags = {}
    if airtable:
        tags[AIRTABLE_RUN_TAG] = "true"
    if hubspot:
        tags[HUBSPOT_RUN_TAG] = "true"
    return tags
