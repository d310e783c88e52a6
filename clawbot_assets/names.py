"""Public names that runbooks, alerts and operators depend on. Renaming one is a breaking change."""

#: The code location's name (workspace.yaml); schedule states are keyed by it.
CODE_LOCATION = "clawbot"
PLAYBOOK_PARTITIONS = "playbook"
SSOT_AUDIT = "ssot_audit"
WHATS_LIVE_PAGE = "whats_live_page"
SSOT_AUDIT_JOB = "ssot_audit_refresh"
SSOT_AUDIT_SCHEDULE = "ssot_audit_schedule"
OPS_METRICS = "ops_metrics"
OPS_METRICS_JOB = "publish_ops_metrics"
OPS_METRICS_SCHEDULE = "ops_metrics_schedule"
RECONCILE_JOB = "reconcile"
PLAYBOOKS_CHANGE_SENSOR = "playbooks_change_sensor"
PLAYBOOKS = "playbooks"
TASK_QUEUE_SALES = "task_queue_sales"
PLAYBOOK_TASKS = "playbook_tasks"
PLAYBOOK_RUN_JOB = "playbook_run"
NIGHTLY_DEDUPE_JOB = "nightly_dedupe"
DEDUPE_DRY_RUN_JOB = "dedupe_dry_run"
RESTORE_DEDUPE_JOB = "restore_dedupe"
ACKNOWLEDGE_CONTACTED_TWICE_JOB = "acknowledge_contacted_twice"
PLAYBOOKS_REFRESH_JOB = "playbooks_refresh"
PLAYBOOKS_REFRESH_SCHEDULE = "playbooks_refresh_schedule"
NIGHTLY_DEDUPE_SCHEDULE = "nightly_dedupe_schedule"
DEDUPE_TIMEZONE_VARIABLE = "CLAWBOT_DEDUPE_TIMEZONE"
PLAYBOOK_SCHEDULE_PREFIX = "playbook__"
AIRTABLE_POOL = "airtable"
#: The folder under clawbot_assets/defs/ that declares the snapshot-built schedules.
PLAYBOOK_SCHEDULES_COMPONENT = "playbook_schedules"
SCHEDULED_FOR_TAG = "clawbot/scheduled_for"
PLAYBOOK_TAG = "clawbot/playbook"
#: Set on a playbook run that wrote nothing because its playbook is disabled or owned by n8n.
SKIPPED_TAG = "clawbot/skipped"
#: Set on a playbook run in shadow: it computed its tasks and wrote none (n8n still writes them).
SHADOW_TAG = "clawbot/shadow"
CUTOVER_READINESS = "cutover_readiness"
#: Airtable requests per job per hour and the share of the base's budget (issue 17).
AIRTABLE_BUDGET = "airtable_budget"
#: The steady-state share of the budget above which ``airtable_budget_steady_state`` warns.
AIRTABLE_BUDGET_WARN_SHARE_VARIABLE = "CLAWBOT_AIRTABLE_BUDGET_WARN_SHARE"
#: Metadata key: the 429s Airtable answered during a run (each one a 30 s penalty for the base),
#: on the materialisations of the assets that talk to Airtable; the post-mortem sums them.
AIRTABLE_429S = "airtable_429s"


class Checks:
    TRIGGER_AND_APPROVAL_PRESENT = "trigger_and_approval_present"
    CRON_VALID = "cron_valid"
    TRIGGER_STAGE_EXISTS = "trigger_stage_exists"
    NAMES_UNIQUE = "names_unique"
    FIELDS_VALID = "fields_valid"
    SCHEDULES_MATCH_SSOT = "schedules_match_ssot"
    ENABLED_MATCHES_SCHEDULE = "enabled_matches_schedule"
    SINGLE_SCHEDULER = "single_scheduler"
    STATUS_REFLECTS_REALITY = "status_reflects_reality"
    UNIQUE_COMPOSITE_KEY = "unique_composite_key"
    EVERY_RECORD_HAS_KEY = "every_record_has_key"
    KEYS_MATCH_FIELDS = "keys_match_fields"
    NO_NEW_DUPLICATES_7D = "no_new_duplicates_7d"
    NO_DEAL_CONTACTED_TWICE = "no_deal_contacted_twice"
    #: On the ``cutover_readiness`` asset: every playbook in shadow has 7 clean days.
    CUTOVER_READINESS = "cutover_readiness"
    #: On ``airtable_budget``: WARN when the steady state passes the configured share of 18,000/h.
    AIRTABLE_BUDGET_STEADY_STATE = "airtable_budget_steady_state"


def schedule_name(slug: str) -> str:
    return f"{PLAYBOOK_SCHEDULE_PREFIX}{slug}"

# Dispatch to the worker, the dead-letter queue and alerts (issue 9).
SALES_DISPATCH = "sales_dispatch"
SALES_DISPATCH_JOB = "dispatch_sales_tasks"
SALES_DISPATCH_SCHEDULE = "sales_dispatch_schedule"
SALES_DLQ = "sales_dlq"
REFERENCE_WORKER_JOB = "reference_worker"
REFERENCE_WORKER_SCHEDULE = "reference_worker_schedule"
DLQ_TRIAGE_JOB = "dlq_triage"
DLQ_DEPTH_SENSOR = "dlq_depth_sensor"
CHECK_FAILURE_ALERT_SENSOR = "check_failure_alert_sensor"
DLQ_INCIDENT_TAG = "clawbot/dlq_incident"

# Run tags the production instance's QueuedRunCoordinator limits (deploy/dagster.yaml
# tag_concurrency_limits): every job that talks to Airtable or HubSpot carries its tag.
AIRTABLE_RUN_TAG = "clawbot/airtable"
HUBSPOT_RUN_TAG = "clawbot/hubspot"

# On-call (issue 19): the weekly handover summary.
ONCALL_HANDOVER = "oncall_handover"
ONCALL_HANDOVER_JOB = "write_oncall_handover"
ONCALL_HANDOVER_SCHEDULE = "oncall_handover_schedule"
