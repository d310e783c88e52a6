"""Checks on ``ssot_audit``, judged together from one fresh gathering of the facts, so a check
executed on its own from the UI sees a schedule toggled a moment ago.

Failure metadata names each offending playbook with the problem and the fix. When n8n cannot
be read, a check with nothing definite to report fails as WARN, saying why.
"""

from typing import Iterable, Sequence

import dagster as dg

from clawbot_assets.assets.audit_facts import gather_audit
from clawbot_assets.checks.selection import selected_check_names
from clawbot_assets.domain.audit import AuditReport
from clawbot_assets.names import AIRTABLE_POOL, SSOT_AUDIT, Checks
from clawbot_assets.resources.n8n import N8nResource
from clawbot_assets.resources.ssot import SsotResource

SEVERITY = {
    Checks.ENABLED_MATCHES_SCHEDULE: dg.AssetCheckSeverity.ERROR,
    Checks.SINGLE_SCHEDULER: dg.AssetCheckSeverity.ERROR,
    Checks.STATUS_REFLECTS_REALITY: dg.AssetCheckSeverity.WARN,
}
DESCRIPTIONS = {
    Checks.ENABLED_MATCHES_SCHEDULE: "Enabled if and only if the scheduler its Scheduler names has exactly one live schedule for it "
    "(shadow is fired by n8n); a disabled playbook is live nowhere.",
    Checks.SINGLE_SCHEDULER: "No playbook is live in both n8n and Dagster (a shadow playbook's Dagster schedule writes nothing, so it is not live).",
    Checks.STATUS_REFLECTS_REALITY: "Live means Enabled, scheduled and a successful run within two cron intervals (runs visible in Dagster only); "
    "Paused or Retired means scheduled nowhere. Reconcile writes the observed Status back.",
}


def check_result(name: str, report: AuditReport) -> dg.AssetCheckResult:
    findings = report.findings(name)
    offenders: dict[str, str] = {}
    for finding in findings:
        text = f"{finding.problem}. Fix ({finding.side}): {finding.fix}"
        offenders[finding.playbook] = f"{offenders[finding.playbook]} | {text}" if finding.playbook in offenders else text
    unknown = report.unknown() if report.n8n_problem else {}
    severity = SEVERITY[name] if findings else dg.AssetCheckSeverity.WARN
    metadata = {
        "failing_playbooks": dg.MetadataValue.int(len(offenders)),
        "offenders": dg.MetadataValue.json(offenders),
        "checked_playbooks": dg.MetadataValue.int(len(report.playbooks)),
    }
    if report.n8n_problem:
        metadata["n8n_unknown"] = dg.MetadataValue.text(f"n8n could not be read: {report.n8n_problem}")
        metadata["unknown_playbooks"] = dg.MetadataValue.json(unknown)
    return dg.AssetCheckResult(check_name=name, passed=not findings and not unknown, severity=severity, metadata=metadata)


def build_audit_checks(schedules: Sequence[dg.ScheduleDefinition]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="audit_checks",
        pool=AIRTABLE_POOL,
        can_subset=True,
        specs=[dg.AssetCheckSpec(name, asset=SSOT_AUDIT, description=text) for name, text in DESCRIPTIONS.items()],
    )
    def _checks(context: dg.AssetCheckExecutionContext, ssot: SsotResource, n8n: N8nResource) -> Iterable[dg.AssetCheckResult]:
        report = gather_audit(context.instance, schedules, ssot, n8n).report
        selected = selected_check_names(context)
        for name in DESCRIPTIONS:
            if name in selected:
                yield check_result(name, report)

    return _checks
