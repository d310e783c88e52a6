"""The ``cutover_readiness`` check: green when every playbook in shadow has had 7 consecutive
days of empty shadow diffs with compared tasks, judged from the event log and a fresh read of
the playbooks. Days where nothing was compared are "not enough evidence", never green."""

import datetime as dt

import dagster as dg

from clawbot_assets.assets.cutover_readiness import cutover_readiness
from clawbot_assets.assets.shadow_events import read_shadow_history
from clawbot_assets.domain.shadow import NOT_ENOUGH_EVIDENCE
from clawbot_assets.names import AIRTABLE_POOL, Checks
from clawbot_assets.resources.ssot import SsotResource
from clawbot_assets.services.cutover import assess, playbooks_in_shadow


@dg.asset_check(asset=cutover_readiness, name=Checks.CUTOVER_READINESS, pool=AIRTABLE_POOL)
def cutover_readiness_check(context: dg.AssetCheckExecutionContext, ssot: SsotResource) -> dg.AssetCheckResult:
    """Every playbook whose Scheduler is shadow has 7 consecutive days of empty shadow diffs,
    enough of them over compared tasks (WARN: a playbook not ready yet is not an incident; its cut-over waits). With no playbook in
    shadow there is nothing to wait for, and it passes, saying so."""
    now = dt.datetime.now(dt.timezone.utc)
    assessments = assess(read_shadow_history(context.instance, now), playbooks_in_shadow(ssot.client()), now)
    offenders = {a.playbook.name: a.readiness.reason for a in assessments if not a.readiness.ready}
    return dg.AssetCheckResult(
        passed=not offenders,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "offenders": dg.MetadataValue.json(offenders),
            "ready": dg.MetadataValue.json(sorted(a.playbook.name for a in assessments if a.readiness.ready)),
            "not_enough_evidence": dg.MetadataValue.json(
                sorted(name for name, reason in offenders.items() if reason.startswith(NOT_ENOUGH_EVIDENCE))
            ),
            "playbooks_in_shadow": dg.MetadataValue.int(len(assessments)),
            "summary": dg.MetadataValue.text(
                f"{len(assessments) - len(offenders)} of {len(assessments)} playbooks in shadow are ready" if assessments else "no playbook is in shadow"
            ),
        },
    )
