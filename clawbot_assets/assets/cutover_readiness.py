"""The ``cutover_readiness`` asset: compares shadow ticks with what n8n wrote, and says which
playbooks in shadow are ready to be cut over to Dagster.

Each run compares every shadow plan whose tick has settled (``domain/shadow.SETTLE``) and has no
diff yet with the tasks stored since that tick, one read of the records changed since the
oldest such tick, and records each diff on the playbook's partition of ``playbook_tasks``. Then
it judges every playbook in shadow from the diffs in the event log: 7 consecutive days of empty
diffs make it ready. Its check ``cutover_readiness`` judges the same way, from a fresh read.
"""


import datetime as dt
from dataclasses import dataclass

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE, SsotClient
from clawbot_assets.assets.playbook_tasks import playbook_tasks
from clawbot_assets.assets.shadow_events import ShadowHistory, diff_observation, read_shadow_history
from clawbot_assets.domain.playbook import Playbook, validate_playbooks
from clawbot_assets.domain.shadow import Readiness, ShadowDiff, diff_shadows, readiness
from clawbot_assets.names import AIRTABLE_POOL, CUTOVER_READINESS
from clawbot_assets.resources.ssot import SsotResource

#: n8n's clock and Dagster's may disagree a little: read from this long before the oldest tick.
CLOCK_MARGIN = dt.timedelta(minutes=5)

READINESS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("playbook", "string"),
        dg.TableColumn("ready", "bool", description="7 consecutive days of empty shadow diffs"),
        dg.TableColumn("clean_days", "int", description="days covered by the current run of empty diffs"),
        dg.TableColumn("clean_since", "string", description="the first tick of that run"),
        dg.TableColumn("latest_diff", "string", description="the newest comparison with n8n"),
        dg.TableColumn("reason", "string"),
    ]
)


@dataclass(frozen=True)
class CutoverAssessment:
    playbook: Playbook
    readiness: Readiness
    latest: ShadowDiff | None

    def row(self) -> dict:
        latest = self.latest
        return {
            "playbook": self.playbook.name,
            "ready": self.readiness.ready,
            "clean_days": self.readiness.clean_days,
            "clean_since": self.readiness.clean_since.isoformat(timespec="minutes") if self.readiness.clean_since else "",
            "latest_diff": f"{latest.tick.isoformat(timespec='minutes')}: {latest.describe()}" if latest else "none yet",
            "reason": self.readiness.reason,
        }


def playbooks_in_shadow(ssot: SsotClient) -> list[Playbook]:
    validations = validate_playbooks(ssot.list_records(PLAYBOOKS_TABLE))
    return sorted((v.playbook for v in validations if v.playbook and v.playbook.in_shadow), key=lambda p: p.name)


def assess(history: ShadowHistory, playbooks: list[Playbook], now: dt.datetime) -> list[CutoverAssessment]:
    assessments = []
    for playbook in playbooks:
        diffs = history.diffs_of(playbook.slug)
        verdict = readiness(playbook.slug, playbook.cron, playbook.timezone, diffs, now)
        assessments.append(CutoverAssessment(playbook, verdict, max(diffs, key=lambda d: d.tick) if diffs else None))
    return assessments


def compare_settled_plans(history: ShadowHistory, ssot: SsotClient, now: dt.datetime) -> list[ShadowDiff]:
    """Diff every settled plan not compared yet; they are added to ``history`` too."""
    plans = history.to_compare(now)
    if not plans:
        return []
    records = ssot.list_records(TASKS_TABLE, changed_since=min(plan.tick for plan in plans) - CLOCK_MARGIN)
    diffs = diff_shadows(plans, records)
    for diff in diffs:
        history.add_diff(diff)
    return diffs


@dg.asset(name=CUTOVER_READINESS, kinds={"airtable"}, group_name="playbooks", pool=AIRTABLE_POOL, deps=[playbook_tasks])
def cutover_readiness(context: dg.AssetExecutionContext, ssot: SsotResource) -> dg.MaterializeResult:
    """For every playbook in shadow: its shadow diffs against n8n (missing, extra, different
    tasks by Key) and whether 7 consecutive days of them were empty, so it can be cut over.
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
        }
    )
