"""The ``ssot_audit`` asset: one row per playbook, what the SSOT says against what really runs."""


from typing import Sequence

import dagster as dg

from clawbot_assets.assets.audit_facts import gather_audit
from clawbot_assets.domain.audit import N8N_SCHEDULE_NEVER_FIRES, AuditReport, PlaybookAudit, dagster_words, n8n_runs_words, n8n_words
from clawbot_assets.domain.audit_summary import report_markdown, summary_rows
from clawbot_assets.names import AIRTABLE_POOL, PLAYBOOKS, SSOT_AUDIT, Checks
from clawbot_assets.resources.n8n import N8nResource
from clawbot_assets.resources.ssot import SsotResource

AUDIT_COLUMNS = [
    ("playbook", "string", ""),
    ("tier", "string", ""),
    ("owner", "string", "the playbook's Owner"),
    ("enabled", "bool", "SSOT Enabled: the intent"),
    ("status", "string", "SSOT Status: what the SSOT claims"),
    ("scheduler", "string", "SSOT Scheduler: n8n, shadow or dagster"),
    ("dagster_schedule", "string", "the Dagster schedule's state as the instance sees it, UI toggles included"),
    ("n8n", "string", "the playbook's n8n workflows and their schedules; unknown when n8n could not be read"),
    ("last_run", "string", "the latest finished run of its partition"),
    ("last_n8n_execution", "string", "the latest n8n execution of its workflows; unknown (and why) when n8n's executions could not be read"),
    ("next_tick", "string", "when a live schedule next fires"),
    ("verdict", "string", "ok, or what is wrong"),
    ("fix", "string", "what to change, and where"),
    ("observed_status", "string", "the Status the facts show; reconcile writes it back"),
]
AUDIT_TABLE_SCHEMA = dg.TableSchema(columns=[dg.TableColumn(name, kind, description=text or None) for name, kind, text in AUDIT_COLUMNS])
SUMMARY_TABLE_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("state", "string", description="BROKEN, UNKNOWN (n8n could not be read) or OK"),
        dg.TableColumn("playbook", "string"),
        dg.TableColumn("owner", "string", description="the playbook's Owner; what is wrong and the fix are in report"),
    ]
)


def _when(value) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def audit_row(item: PlaybookAudit, n8n_problem: str | None) -> dict:
    facts = item.facts
    playbook = facts.playbook
    last = f"{facts.last_run.outcome} at {_when(facts.last_run.at)}" if facts.last_run else "none in Dagster"
    return {
        "playbook": playbook.name,
        "tier": playbook.tier or "",
        "owner": playbook.owner or "",
        "enabled": playbook.enabled,
        "status": playbook.status or "",
        "scheduler": playbook.scheduler,
        "dagster_schedule": dagster_words(facts),
        "n8n": n8n_words(facts, n8n_problem),
        "last_run": last,
        "last_n8n_execution": n8n_runs_words(facts, n8n_problem),
        "next_tick": (item.next_words or _when(item.next_expected)) or "not scheduled",
        "verdict": item.verdict,
        "fix": item.fixes,
        "observed_status": item.observed_status or "",
    }


def audit_rows(report: AuditReport) -> list[dict]:
    """Broken playbooks first, then unknown, then the ones that are fine; by name within each."""
    ordered = sorted(report.playbooks, key=lambda a: (not a.findings, not a.unknown, a.facts.playbook.name))
    return [audit_row(item, report.n8n_problem) for item in ordered]


def build_ssot_audit(schedules: Sequence[dg.ScheduleDefinition]) -> dg.AssetsDefinition:
    """``schedules`` are the code location's schedules, bound when the Definitions are
    assembled (a run does not see its repository's schedules otherwise)."""

    @dg.asset(name=SSOT_AUDIT, kinds={"airtable", "n8n"}, group_name="playbooks", pool=AIRTABLE_POOL, deps=[PLAYBOOKS])
    def ssot_audit(context: dg.AssetExecutionContext, ssot: SsotResource, n8n: N8nResource) -> dg.MaterializeResult:
        """Every playbook's SSOT row (Enabled, Status, Scheduler) against what really runs: its
        Dagster schedule as the instance sees it, its n8n workflows, its last run and next tick,
        its last n8n execution, with a verdict and the fix. The checks ``enabled_matches_schedule``, ``single_scheduler``
        and ``status_reflects_reality`` judge the same facts; whether the loaded schedules match
        the SSOT at all is ``playbooks``' check ``schedules_match_ssot``.
        """
        report = gather_audit(context.instance, schedules, ssot, n8n).report
        if report.n8n_problem:
            context.log.warning(f"n8n could not be read, so its column reads unknown: {report.n8n_problem}")
        for finding in report.findings():
            context.log.info(f"{finding.check}: {finding.playbook}: {finding.problem}. Fix: {finding.fix}")
        return dg.MaterializeResult(metadata=audit_metadata(report, n8n.describe()))

    return ssot_audit


def audit_metadata(report: AuditReport, n8n_backend: str) -> dict[str, dg.MetadataValue]:
    """In the order the UI lists them: what a person reads first (``report``, every fact in
    markdown, opened wide by *Show Markdown*; ``summary``, a table narrow enough for the UI's
    value column), the counts, and last ``audit``, the full table that the what's-live page, the
    post-mortem and scripts read (``domain/audit_summary.py`` says why it is not enough in the UI)."""
    rows = audit_rows(report)
    return {
        "report": dg.MetadataValue.md(report_markdown(rows)),
        "summary": dg.MetadataValue.table([dg.TableRecord(row) for row in summary_rows(rows)], schema=SUMMARY_TABLE_SCHEMA),
        "playbooks": dg.MetadataValue.int(len(rows)),
        "broken": dg.MetadataValue.int(sum(bool(a.findings) for a in report.playbooks)),
        "findings_by_check": dg.MetadataValue.json(
            {check: len(report.findings(check)) for check in (Checks.ENABLED_MATCHES_SCHEDULE, Checks.SINGLE_SCHEDULER, Checks.STATUS_REFLECTS_REALITY)}
        ),
        "n8n": dg.MetadataValue.text(f"unknown: {report.n8n_problem}" if report.n8n_problem else n8n_backend),
        "n8n_workflows_matching_no_playbook": dg.MetadataValue.json([w.describe() for w in report.unmatched_workflows]),
        N8N_SCHEDULE_NEVER_FIRES: dg.MetadataValue.json(
            [f"{finding.playbook}: {finding.problem}" for finding in report.findings() if finding.name == N8N_SCHEDULE_NEVER_FIRES]
        ),
        "schedule_drift_check": dg.MetadataValue.text(
            f"{PLAYBOOKS} › {Checks.SCHEDULES_MATCH_SSOT}: whether the loaded schedules match the SSOT (Catalog → {PLAYBOOKS} → Checks)"
        ),
        "audit": dg.MetadataValue.table([dg.TableRecord(row) for row in rows], schema=AUDIT_TABLE_SCHEMA),
    }
