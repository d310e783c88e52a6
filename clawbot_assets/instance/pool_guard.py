"""Say loudly when the instance does not limit the ``airtable`` pool.

Every Airtable-bound step declares ``pool="airtable"`` so the instance runs one at a time
(``deploy/dagster.local.yaml``: ``default_limit: 1``). An instance without that limit runs them
side by side. The shared rate limiter still keeps Airtable below its request rate, and the
writes are safe under concurrency, so this is a warning, not a failure; but runs then compete
for one budget and take longer, and the operator should know.
"""

from __future__ import annotations

import dagster as dg

from clawbot_assets.instance.dagster_internals import pool_limit
from clawbot_assets.names import AIRTABLE_POOL

#: Metadata key set on Airtable-bound outputs when the pool has no limit.
POOL_LIMIT_MISSING = "airtable_pool_limit_missing"


def airtable_pool_limit(instance: dg.DagsterInstance) -> int | None:
    """The limit that applies to the pool: one set for it explicitly (``dagster instance
    concurrency set airtable N``), else the instance's ``concurrency.pools.default_limit``."""
    return pool_limit(instance, AIRTABLE_POOL)


def check_airtable_pool(context: dg.AssetExecutionContext | dg.OpExecutionContext | dg.AssetCheckExecutionContext) -> dict[str, bool]:
    """Logs an error when no limit applies; returns the metadata to add to the step's output."""
    if airtable_pool_limit(context.instance):
        return {}
    context.log.error(
        f"The Dagster pool {AIRTABLE_POOL!r} has no limit on this instance, so Airtable-bound steps run "
        "side by side. The shared rate limiter still protects Airtable, but set "
        "concurrency.pools.default_limit: 1 in dagster.yaml (see deploy/dagster.local.yaml) or run "
        f"`dagster instance concurrency set {AIRTABLE_POOL} 1`."
    )
    return {POOL_LIMIT_MISSING: True}
