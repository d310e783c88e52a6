"""Names shared by the resources: the backend switches, the data directory, and the error
a misconfigured backend raises. Nothing here reads the environment; ``resources.__init__``
does, once, when the code location loads."""

from __future__ import annotations

from pathlib import Path

SSOT_SWITCH = "CLAWBOT_SSOT"
CRM_SWITCH = "CLAWBOT_CRM"
N8N_SWITCH = "CLAWBOT_N8N"
KEY_INDEX_SWITCH = "CLAWBOT_KEY_INDEX_S3_URI"
RATE_LIMITER_URL = "CLAWBOT_RATE_LIMITER_URL"
#: ``CLAWBOT_RATE_LIMITER_URL=instance``: the limiter's bucket lives in the Dagster instance's Postgres.
INSTANCE_LIMITER = "instance"
SECRETS_SWITCH = "CLAWBOT_SECRETS"
SECRET_ID = "CLAWBOT_SECRET_ID"
#: ``true``: queue messages may go unsigned where no ClawBot password is configured (the demo).
ALLOW_UNSIGNED = "CLAWBOT_ALLOW_UNSIGNED"
METRICS_SWITCH = "CLAWBOT_METRICS"
DATA_DIR = "CLAWBOT_DATA_DIR"
DEFAULT_DATA_DIR = ".local_data"
#: Files of the embedded backend inside the data directory.
LOCAL_SSOT_FILE = "ssot.sqlite"
ARCHIVE_FILE = "dedupe_archive.sqlite"
LOCAL_CRM_FILE = "hubspot_fixture.json"
LOCAL_N8N_FILE = "n8n_workflows.json"
#: The "what's live" page (HTML and markdown) inside the data directory.
LIVE_PAGE_DIR = "whats_live"
KEY_INDEX_FILE = "dedupe_key_index.json.gz"
RATE_LIMIT_FILE = "airtable_rate_limit.sqlite"


class BackendConfigError(ValueError):
    """A backend switch or a credential is wrong; the message names the variable, never its value."""


def require(value: str | None, variable: str, system: str) -> str:
    if not value or not str(value).strip():
        raise BackendConfigError(f"{system} is switched to its real backend but {variable} is not set")
    return value


def local_path(data_dir: str, name: str) -> Path:
    """A file of the embedded backend. ``data_dir`` stays relative in the resource's config
    (the Launchpad shows ``.local_data``, not a path on someone's disk) and is resolved here."""
    return Path(data_dir).resolve() / name

QUEUE_SWITCH = "CLAWBOT_QUEUE"
QUEUE_URL = "CLAWBOT_QUEUE_URL"
DLQ_URL = "CLAWBOT_DLQ_URL"
ALERTS_SWITCH = "CLAWBOT_ALERTS"
ALERT_TOPIC_ARN = "CLAWBOT_ALERT_TOPIC_ARN"
SLACK_WEBHOOK_URL = "CLAWBOT_SLACK_WEBHOOK_URL"
#: The SNS topic the pager subscribes to: ERROR alerts and DLQ incidents go there when it is set.
PAGER_TOPIC_ARN = "CLAWBOT_PAGER_TOPIC_ARN"
#: Where alerts link runbooks to (a repository's web address); unset, alerts give the repository path.
RUNBOOK_BASE_URL = "CLAWBOT_RUNBOOK_BASE_URL"
#: The weekly on-call handover's markdown copies inside the data directory.
ONCALL_DIR = "oncall"
UI_URL = "CLAWBOT_UI_URL"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
LOCAL_QUEUE_FILE = "queue.sqlite"
LOCAL_ALERTS_FILE = "alerts.jsonl"
