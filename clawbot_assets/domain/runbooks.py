"""Which runbook an alert sends the on-call person to. Pure.

Every check of ``names.Checks`` and every alert kind maps to a page under ``docs/runbooks/``.
A check without a page of its own maps to its section of ``oncall.md``, which says what the
failure means and which page or command follows. A check this table does not know (a new
one, or one a test defines) still names a runbook: the on-call page's section for any check.
``tests/unit/test_runbook_map.py`` holds every entry to a file (and section) that exists.
"""

from __future__ import annotations

from clawbot_assets.names import Checks

RUNBOOK_DIR = "docs/runbooks"
ONCALL = f"{RUNBOOK_DIR}/oncall.md"
PLAYBOOK_CHECKS = f"{ONCALL}#playbook-checks"
AUDIT_CHECKS = f"{ONCALL}#ssot-audit-checks"
QUEUE_CHECKS = f"{ONCALL}#task-queue-checks"
CUTOVER_CHECKS = f"{ONCALL}#cut-over-checks"
BUDGET_CHECKS = f"{ONCALL}#airtable-budget"
ANY_CHECK = f"{ONCALL}#any-other-check"
DLQ_NOT_EMPTY = f"{RUNBOOK_DIR}/dlq_not_empty.md"

CHECK_RUNBOOKS: dict[str, str] = {
    Checks.TRIGGER_AND_APPROVAL_PRESENT: PLAYBOOK_CHECKS,
    Checks.CRON_VALID: PLAYBOOK_CHECKS,
    Checks.NAMES_UNIQUE: PLAYBOOK_CHECKS,
    Checks.FIELDS_VALID: PLAYBOOK_CHECKS,
    Checks.SCHEDULES_MATCH_SSOT: PLAYBOOK_CHECKS,
    Checks.TRIGGER_STAGE_EXISTS: f"{RUNBOOK_DIR}/hubspot_api_change.md",
    Checks.ENABLED_MATCHES_SCHEDULE: AUDIT_CHECKS,
    Checks.SINGLE_SCHEDULER: f"{RUNBOOK_DIR}/playbook_double_scheduled.md",
    Checks.STATUS_REFLECTS_REALITY: AUDIT_CHECKS,
    Checks.UNIQUE_COMPOSITE_KEY: f"{RUNBOOK_DIR}/failed_dedupe_and_restore.md",
    Checks.NO_NEW_DUPLICATES_7D: f"{RUNBOOK_DIR}/failed_dedupe_and_restore.md",
    Checks.EVERY_RECORD_HAS_KEY: QUEUE_CHECKS,
    Checks.KEYS_MATCH_FIELDS: QUEUE_CHECKS,
    Checks.NO_DEAL_CONTACTED_TWICE: QUEUE_CHECKS,
    Checks.CUTOVER_READINESS: CUTOVER_CHECKS,
    Checks.AIRTABLE_BUDGET_STEADY_STATE: BUDGET_CHECKS,
}

#: Alert kinds whose runbook does not depend on a check.
KIND_RUNBOOKS: dict[str, str] = {"dlq_incident": DLQ_NOT_EMPTY}
#: Alert kinds about a check: their runbook is the check's.
CHECK_KINDS = ("check_failed", "check_recovered")


#: CloudWatch alarms (``observability/dashboards.py``) by name; the ECS services' alarms
#: (``<service>-not-running``) share one section.
ALARMS = f"{ONCALL}#cloudwatch-alarms"
ALARM_RUNBOOKS: dict[str, str] = {
    "clawbot-dlq-not-empty": DLQ_NOT_EMPTY,
    "clawbot-dlq-oldest-message-age": DLQ_NOT_EMPTY,
    "clawbot-queue-backlog": f"{ONCALL}#the-sales-queue-backs-up",
    "clawbot-queue-oldest-message-age": f"{ONCALL}#the-sales-queue-backs-up",
    "clawbot-alb-5xx": f"{ONCALL}#the-load-balancer-answers-5xx",
    "clawbot-database-cpu-high": f"{ONCALL}#dagsters-database",
    "clawbot-database-storage-low": f"{ONCALL}#dagsters-database",
    "clawbot-daemon-heartbeat-stopped": f"{ONCALL}#the-daemons-heartbeat-stopped",
    "clawbot-send-rate-zero-in-business-hours": f"{ONCALL}#no-task-sent-in-business-hours",
    "clawbot-intercept-spike": f"{ONCALL}#an-intercept-spike",
}
SERVICE_NOT_RUNNING = f"{ONCALL}#a-service-has-no-running-task"


def alarm_runbook(name: str) -> str:
    """The runbook a CloudWatch alarm names in its description; an alarm this table does not
    know still names one (the alarms' section)."""
    if name.endswith("-not-running"):
        return SERVICE_NOT_RUNNING
    return ALARM_RUNBOOKS.get(name, ALARMS)


def runbook_path(kind: str, check: str = "") -> str:
    """The repository-relative runbook (with its section, if any) for an alert."""
    if kind in KIND_RUNBOOKS:
        return KIND_RUNBOOKS[kind]
    return CHECK_RUNBOOKS.get(check, ANY_CHECK)


def runbook_reference(path: str, base_url: str = "") -> str:
    """``path`` as the alert shows it: under ``base_url`` (a repository's web address, e.g.
    ``https://github.com/acme/clawbot/blob/main``) when one is given, else as it is."""
    base = base_url.strip().rstrip("/")
    return f"{base}/{path}" if base else path
