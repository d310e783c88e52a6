"""The one place that reads the ``CLAWBOT_*`` switches and picks each system's resource.

Every system defaults to its embedded local implementation. Switching one to its real
backend never falls back to local: a missing credential fails the run that needs it, naming
the variable. Nothing here touches the network, and an unknown switch value still lets the
code location load; runs that need that system fail at start, naming the switch.
"""

from __future__ import annotations

import os
from typing import Callable, Mapping
from urllib.parse import quote, urlsplit

import dagster as dg

from clawbot_assets.domain.airtable_budget import DEFAULT_WARN_SHARE
from clawbot_assets.names import AIRTABLE_BUDGET_WARN_SHARE_VARIABLE
from clawbot_assets.resources.alerts import (
    AlerterResource,
    LocalAlerterResource,
    MisconfiguredAlerterResource,
    RoutingAlerterResource,
    SlackAlerterResource,
    SnsAlerterResource,
)
from clawbot_assets.resources.backends import (
    ALERT_TOPIC_ARN,
    ALERTS_SWITCH,
    CRM_SWITCH,
    DATA_DIR,
    DEFAULT_DATA_DIR,
    DEFAULT_UI_URL,
    DLQ_URL,
    INSTANCE_LIMITER,
    KEY_INDEX_SWITCH,
    LIVE_PAGE_DIR,
    METRICS_SWITCH,
    N8N_SWITCH,
    ONCALL_DIR,
    PAGER_TOPIC_ARN,
    QUEUE_SWITCH,
    QUEUE_URL,
    RATE_LIMITER_URL,
    ALLOW_UNSIGNED,
    RUNBOOK_BASE_URL,
    SECRET_ID,
    SECRETS_SWITCH,
    SLACK_WEBHOOK_URL,
    SSOT_SWITCH,
    UI_URL,
)
from clawbot_assets.resources.crm import (
    DEFAULT_DNC_PROPERTY,
    CrmResource,
    HubSpotCrmResource,
    LocalCrmResource,
    MisconfiguredCrmResource,
)
from clawbot_assets.resources.key_index import KeyIndexResource, LocalKeyIndexResource
from clawbot_assets.resources.live_page import LivePageResource
from clawbot_assets.resources.oncall import OncallHandoverResource
from clawbot_assets.resources.metrics import (
    CloudWatchMetricsResource,
    LocalMetricsResource,
    MetricsResource,
    MisconfiguredMetricsResource,
)
from clawbot_assets.resources.n8n import LocalN8nResource, MisconfiguredN8nResource, N8nApiResource, N8nResource
from clawbot_assets.resources.queue import (
    LocalQueueResource,
    MisconfiguredQueueResource,
    QueueResource,
    SqsQueueResource,
)
from clawbot_assets.resources.secrets import (
    EnvSecretsResource,
    MisconfiguredSecretsResource,
    SecretsResource,
    UnsignedAllowedEnvSecretsResource,
)
from clawbot_assets.resources.ssot import (
    AirtableSsotResource,
    LocalSsotResource,
    MisconfiguredSsotResource,
    SsotResource,
)

Environ = Mapping[str, str]


def _switch(environ: Environ, variable: str) -> str:
    return (environ.get(variable) or "local").strip().lower()


def _unknown(variable: str, allowed: tuple[str, ...]) -> str:
    """The value is left out on purpose: a secret pasted into the wrong variable stays secret."""
    return f"{variable} names no backend; set it to one of: {', '.join(allowed)}"


def _data_dir(environ: Environ) -> str:
    """Where the embedded backends and this host's caches live."""
    return environ.get(DATA_DIR) or DEFAULT_DATA_DIR


def _secret(environ: Environ, variable: str, resolve: bool) -> str | dg.EnvVar | None:
    """A value that may hold a credential: an ``EnvVar`` inside Dagster (resolved at run start,
    never shown in the UI), the value itself outside it. Unset stays unset."""
    if variable not in environ:
        return None
    return environ[variable] if resolve else dg.EnvVar(variable)


def secrets_from_env(environ: Environ) -> SecretsResource:
    """Credentials from the environment (default) or one Secrets Manager secret.
    ``CLAWBOT_ALLOW_UNSIGNED=true`` lets queue messages go unsigned where no password is configured."""
    backend = (environ.get(SECRETS_SWITCH) or "env").strip().lower()
    allow_unsigned = (environ.get(ALLOW_UNSIGNED) or "").strip().lower() == "true"
    if backend == "env":
        return UnsignedAllowedEnvSecretsResource() if allow_unsigned else EnvSecretsResource()
    if backend != "aws":
        return MisconfiguredSecretsResource(problem=_unknown(SECRETS_SWITCH, ("env", "aws")))
    from dagster_aws.secretsmanager import SecretsManagerResource

    from clawbot_assets.resources.secrets_aws import AwsSecretsManagerSecretsResource

    return AwsSecretsManagerSecretsResource(
        secretsmanager=SecretsManagerResource(endpoint_url=environ.get("AWS_ENDPOINT_URL") or None),
        secret_id=environ.get(SECRET_ID) or "",
    )


def ssot_from_env(environ: Environ, *, resolve_secrets: bool = False) -> SsotResource:
    """Credentials come from the secrets resource at run start. The rate-limiter URL (it can
    hold a Postgres password) stays an ``EnvVar`` inside Dagster, never shown in the UI;
    outside Dagster (the snapshot refresh) ``resolve_secrets`` reads it directly."""
    data_dir = _data_dir(environ)
    backend = _switch(environ, SSOT_SWITCH)
    if backend == "local":
        return LocalSsotResource(data_dir=data_dir)
    if backend != "airtable":
        return MisconfiguredSsotResource(problem=_unknown(SSOT_SWITCH, ("local", "airtable")))
    limiter = rate_limiter_from_env(environ, resolve_secrets)
    if isinstance(limiter, str):
        return MisconfiguredSsotResource(problem=limiter)
    return AirtableSsotResource(
        secrets=secrets_from_env(environ),
        base_id=environ.get("AIRTABLE_BASE_ID"),
        data_dir=data_dir,
        endpoint_url=environ.get("AIRTABLE_ENDPOINT_URL"),
        archive_table=environ.get("AIRTABLE_ARCHIVE_TABLE"),
        archive_dir=environ.get(DATA_DIR),
        **limiter,
    )


def rate_limiter_from_env(environ: Environ, resolve_secrets: bool) -> dict | str:
    """``CLAWBOT_RATE_LIMITER_URL``: a URL, or ``instance`` for the limiter's tables in the Dagster
    instance's own Postgres (``DAGSTER_POSTGRES_*``, as the production dagster.yaml reads
    them), so every ECS task shares it with no second database and no URL to assemble. The
    password stays an ``EnvVar`` of its own; the URL shown in the UI has none. A string says
    what is missing."""
    if (environ.get(RATE_LIMITER_URL) or "").strip().lower() != INSTANCE_LIMITER:
        return {"rate_limiter_url": _secret(environ, RATE_LIMITER_URL, resolve_secrets)}
    missing = [name for name in ("DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_DB") if not environ.get(name)]
    if missing:
        return f"{RATE_LIMITER_URL}=instance needs {', '.join(missing)} (the Dagster instance's Postgres) to be set"
    user, host, db = (quote(environ[name], safe="") for name in ("DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_DB"))
    port = environ.get("DAGSTER_POSTGRES_PORT") or "5432"
    return {
        "rate_limiter_url": f"postgresql://{user}@{host}:{port}/{db}",
        "rate_limiter_password": _secret(environ, "DAGSTER_POSTGRES_PASSWORD", resolve_secrets),
    }


def crm_from_env(environ: Environ) -> CrmResource:
    backend = _switch(environ, CRM_SWITCH)
    if backend == "local":
        return LocalCrmResource(data_dir=_data_dir(environ))
    if backend != "hubspot":
        return MisconfiguredCrmResource(problem=_unknown(CRM_SWITCH, ("local", "hubspot")))
    limiter = rate_limiter_from_env(environ, resolve_secrets=False)
    if isinstance(limiter, str):
        return MisconfiguredCrmResource(problem=limiter)
    return HubSpotCrmResource(
        secrets=secrets_from_env(environ),
        host=environ.get("HUBSPOT_HOST"),
        do_not_contact_property=environ.get("HUBSPOT_DNC_PROPERTY") or DEFAULT_DNC_PROPERTY,
        data_dir=_data_dir(environ),
        **limiter,
    )


def key_index_from_env(environ: Environ) -> KeyIndexResource:
    uri = environ.get(KEY_INDEX_SWITCH)
    if not uri:
        return LocalKeyIndexResource(data_dir=_data_dir(environ))
    from dagster_aws.s3 import S3Resource

    from clawbot_assets.resources.key_index_s3 import S3KeyIndexResource

    location = urlsplit(uri)
    return S3KeyIndexResource(
        s3=S3Resource(endpoint_url=environ.get("AWS_ENDPOINT_URL") or None),
        bucket=location.netloc,
        prefix=location.path,
    )


def n8n_from_env(environ: Environ) -> N8nResource:
    """n8n is only read (by the audit). A missing ``N8N_API_KEY`` fails only the n8n read: the
    audit still runs, reading n8n as unknown and saying why."""
    backend = _switch(environ, N8N_SWITCH)
    if backend == "local":
        return LocalN8nResource(data_dir=_data_dir(environ))
    if backend != "n8n":
        return MisconfiguredN8nResource(problem=_unknown(N8N_SWITCH, ("local", "n8n")))
    return N8nApiResource(
        secrets=secrets_from_env(environ),
        base_url=environ.get("N8N_BASE_URL"),
    )


def metrics_from_env(environ: Environ) -> MetricsResource:
    backend = _switch(environ, METRICS_SWITCH)
    if backend == "local":
        return LocalMetricsResource()
    if backend != "cloudwatch":
        return MisconfiguredMetricsResource(problem=_unknown(METRICS_SWITCH, ("local", "cloudwatch")))
    return CloudWatchMetricsResource()


def live_page_from_env(environ: Environ) -> LivePageResource:
    return LivePageResource(directory=f"{_data_dir(environ)}/{LIVE_PAGE_DIR}")
def queue_from_env(environ: Environ) -> QueueResource:
    backend = _switch(environ, QUEUE_SWITCH)
    if backend == "local":
        return LocalQueueResource(data_dir=_data_dir(environ))
    if backend != "sqs":
        return MisconfiguredQueueResource(problem=_unknown(QUEUE_SWITCH, ("local", "sqs")))
    return SqsQueueResource(
        queue_url=environ.get(QUEUE_URL),
        dlq_url=environ.get(DLQ_URL),
        endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None,
    )


def _sns_alerter(environ: Environ, topic_variable: str) -> SnsAlerterResource:
    return SnsAlerterResource(
        topic_arn=environ.get(topic_variable),
        topic_variable=topic_variable,
        endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None,
    )


def channel_alerter_from_env(environ: Environ) -> AlerterResource:
    """The channel: ``CLAWBOT_ALERTS`` names its backend."""
    backend = _switch(environ, ALERTS_SWITCH)
    if backend == "local":
        return LocalAlerterResource(data_dir=_data_dir(environ))
    if backend == "sns":
        return _sns_alerter(environ, ALERT_TOPIC_ARN)
    if backend == "slack":
        return SlackAlerterResource(webhook_url=dg.EnvVar(SLACK_WEBHOOK_URL))
    return MisconfiguredAlerterResource(problem=_unknown(ALERTS_SWITCH, ("local", "sns", "slack")))


def alerter_from_env(environ: Environ) -> AlerterResource:
    """The channel, and the pager when ``CLAWBOT_PAGER_TOPIC_ARN`` is set (an SNS topic
    whatever the channel's backend): ERROR alerts and DLQ incidents page, the rest go to the channel."""
    pager = _sns_alerter(environ, PAGER_TOPIC_ARN) if (environ.get(PAGER_TOPIC_ARN) or "").strip() else None
    return RoutingAlerterResource(channel=channel_alerter_from_env(environ), pager=pager)


def oncall_handover_from_env(environ: Environ) -> OncallHandoverResource:
    return OncallHandoverResource(directory=f"{_data_dir(environ)}/{ONCALL_DIR}")


RESOURCE_FACTORIES: dict[str, Callable[[Environ], dg.ConfigurableResource]] = {
    "secrets": secrets_from_env,
    "ssot": ssot_from_env,
    "crm": crm_from_env,
    "key_index": key_index_from_env,
    "n8n": n8n_from_env,
    "live_page": live_page_from_env,
    "queue": queue_from_env,
    "alerter": alerter_from_env,
    "metrics": metrics_from_env,
    "handover_files": oncall_handover_from_env,
}


def resources_from_env(environ: Environ | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources dict for the deployment the environment describes."""
    environ = os.environ if environ is None else environ
    return {name: factory(environ) for name, factory in RESOURCE_FACTORIES.items()}


DLQ_THRESHOLD = "CLAWBOT_DLQ_ALERT_THRESHOLD"


def ui_url_from_env(environ: Environ | None = None) -> str:
    """The Dagster UI that alerts link to (``CLAWBOT_UI_URL``)."""
    environ = os.environ if environ is None else environ
    return (environ.get(UI_URL) or DEFAULT_UI_URL).rstrip("/")


def runbook_base_url_from_env(environ: Environ | None = None) -> str:
    """What alerts prefix runbook paths with (``CLAWBOT_RUNBOOK_BASE_URL``); empty: the repository path."""
    environ = os.environ if environ is None else environ
    return (environ.get(RUNBOOK_BASE_URL) or "").strip().rstrip("/")


def dlq_threshold_from_env(environ: Environ | None = None) -> int:
    """The DLQ depth above which ``dlq_depth_sensor`` opens an incident (default 0)."""
    environ = os.environ if environ is None else environ
    try:
        return max(0, int(environ.get(DLQ_THRESHOLD) or 0))
    except ValueError:
        return 0


def budget_warn_share_from_env(environ: Environ | None = None) -> float:
    """The steady-state share of Airtable's hourly budget above which ``airtable_budget_steady_state``
    warns (``CLAWBOT_AIRTABLE_BUDGET_WARN_SHARE``, a fraction; default 0.2)."""
    environ = os.environ if environ is None else environ
    try:
        share = float(environ.get(AIRTABLE_BUDGET_WARN_SHARE_VARIABLE) or DEFAULT_WARN_SHARE)
    except ValueError:
        return DEFAULT_WARN_SHARE
    return share if 0 < share <= 1 else DEFAULT_WARN_SHARE


def local_resources(data_dir: str) -> dict[str, dg.ConfigurableResource]:
    """Every system on its embedded backend under ``data_dir``: the demo, tests and benchmarks.
    Queue messages go unsigned unless a ClawBot password is given (``CLAWBOT_ALLOW_UNSIGNED``)."""
    return resources_from_env({DATA_DIR: data_dir, ALLOW_UNSIGNED: "true"})
