"""The ``cutover_readiness`` asset: compares shadow ticks with what n8n wrote, and says which
playbooks in shadow are ready to be cut over to Dagster (``services/cutover.py``).

Each run compares every shadow plan whose tick has settled and has no diff yet, records each
diff on the playbook's partition of ``playbook_tasks``, then judges every playbook in shadow
from the diffs in the event log: 7 consecutive days of empty diffs make it ready, once enough of
them compared tasks (a tick where neither side had a task is no evidence; until there is enough,
the reason says "not enough evidence"). Its check
``cutover_readiness`` judges the same way, from a fresh read.
"""

import datetime as dt

import dagster as dg

from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.assets.shadow_events import diff_observation, read_shadow_history
from clawbot_assets.names import AIRTABLE_429S, AIRTABLE_POOL, CUTOVER_READINESS
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.cutover import assess, compare_settled_plans, playbooks_in_shadow

READINESS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("playbook", "string"),
        dg.TableColumn("ready", "bool", description="7 consecutive days of empty shadow diffs, with compared tasks"),
        dg.TableColumn("clean_days", "int", description="days covered by the current run of empty diffs that compared tasks"),
        dg.TableColumn("days_with_tasks", "int", description="days in that run whose ticks compared tasks (the evidence)"),
        dg.TableColumn("clean_since", "string", description="the first tick of that run"),
        dg.TableColumn("latest_diff", "string", description="the newest comparison with n8n"),
        dg.TableColumn("reason", "string"),
    ]
)


@dg.asset(name=CUTOVER_READINESS, kinds={"airtable"}, group_name="playbooks", pool=AIRTABLE_POOL, deps=[playbook_tasks])
def cutover_readiness(context: dg.AssetExecutionContext, ssot: SsotResource) -> dg.MaterializeResult:
    """For every playbook in shadow: its shadow diffs against n8n (missing, extra, different
    tasks by Key) and whether 7 consecutive days of them were empty, with compared tasks, so it
    can be cut over.
    Each diff is also an observation on the playbook's partition of ``playbook_tasks``."""
    now = dt.datetime.now(dt.timezone.utc)
    client = ssot.client()
    history = read_shadow_history(context.instance, now)
    for diff in compare_settled_plans(history, client, now):
        context.log.info(f"shadow diff of {diff.slug} at {diff.tick.isoformat(timespec='minutes')}: {diff.describe()}")
        context.log_event(diff_observation(diff))
    assessments = assess(history, playbooks_in_shadow(client), now)
    return dg.MaterializeResult(
        metadata={
            "playbooks_in_shadow": dg.MetadataValue.int(len(assessments)),
            "ready": dg.MetadataValue.int(sum(a.readiness.ready for a in assessments)),
            "readiness": dg.MetadataValue.table([dg.TableRecord(a.row()) for a in assessments], schema=READINESS_SCHEMA),
            "ssot_requests": dg.MetadataValue.int(client.requests_made),
            AIRTABLE_429S: dg.MetadataValue.int(client.rate_limited_responses),
        }
    )
