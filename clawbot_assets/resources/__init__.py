"""The one place that reads the ``CLAWBOT_*`` switches and picks each system's resource.

``BACKENDS`` is the table: for each switched system, its switch, the abstract resource its
backends implement, and what each value of the switch builds (the first value is the default,
the embedded local implementation). Switching a system to its real backend never falls back to
local: a missing credential fails the run that needs it, naming the variable. Nothing here
touches the network. A value the table does not list builds the one ``MisconfiguredResource``:
the code location still loads, and the system's first use fails naming the switch and the
values it takes, never the value it holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Mapping
from urllib.parse import quote, urlsplit

import dagster as dg

from clawbot_assets.domain.airtable_budget import DEFAULT_WARN_SHARE
from clawbot_assets.names import AIRTABLE_BUDGET_WARN_SHARE_VARIABLE
from clawbot_assets.resources.alerts import (
    AlerterResource,
    LocalAlerterResource,
    RoutingAlerterResource,
    SlackAlerterResource,
    SnsAlerterResource,
)
from clawbot_assets.resources.backends import (
    ALERT_TOPIC_ARN,
    ALERTS_SWITCH,
    ALLOW_UNSIGNED,
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
    RUNBOOK_BASE_URL,
    SECRET_ID,
    SECRETS_SWITCH,
    SLACK_WEBHOOK_URL,
    SSOT_SWITCH,
    UI_URL,
)
from clawbot_assets.resources.crm import DEFAULT_DNC_PROPERTY, CrmResource, HubSpotCrmResource, LocalCrmResource
from clawbot_assets.resources.key_index import KeyIndexResource, LocalKeyIndexResource
from clawbot_assets.resources.live_page import LivePageResource
from clawbot_assets.resources.metrics import CloudWatchMetricsResource, LocalMetricsResource, MetricsResource
from clawbot_assets.resources.misconfigured import MisconfiguredResource
from clawbot_assets.resources.n8n import LocalN8nResource, N8nApiResource, N8nResource
from clawbot_assets.resources.oncall import OncallHandoverResource
from clawbot_assets.resources.queue import LocalQueueResource, QueueResource, SqsQueueResource
from clawbot_assets.resources.secrets import EnvSecretsResource, SecretsResource, UnsignedAllowedEnvSecretsResource
from clawbot_assets.resources.ssot import AirtableSsotResource, LocalSsotResource, SsotResource

Environ = Mapping[str, str]


@dataclass(frozen=True)
class Deployment:
    """The environment the resources are built from."""

    environ: Environ
    resolve_secrets: bool = False
    """Outside Dagster (the snapshot refresh, the post-mortem) a value that may hold a credential
    is read now; inside, it stays an ``EnvVar``, resolved at run start and never shown in the UI."""

    def get(self, variable: str) -> str | None:
        """The variable's value; unset and empty alike are ``None``."""
        return self.environ.get(variable) or None

    @property
    def data_dir(self) -> str:
        """Where the embedded backends and this host's caches live."""
        return self.get(DATA_DIR) or DEFAULT_DATA_DIR

    def secret(self, variable: str) -> str | dg.EnvVar | None:
        """A value that may hold a credential (see ``resolve_secrets``). Unset stays unset."""
        if variable not in self.environ:
            return None
        return self.environ[variable] if self.resolve_secrets else dg.EnvVar(variable)

    def aws(self) -> dict[str, str | None]:
        """Where boto3 clients point: the standard ``AWS_*`` variables."""
        return {"endpoint_url": self.get("AWS_ENDPOINT_URL"), "region_name": self.get("AWS_REGION") or self.get("AWS_DEFAULT_REGION")}


Build = Callable[[Deployment], dg.ConfigurableResource]


@dataclass(frozen=True)
class Switch:
    """One system's switch: the variable, the abstract resource every backend implements, and
    what each value builds; the first value is the default."""

    variable: str
    interface: type[dg.ConfigurableResource]
    backends: Mapping[str, Build]

    @property
    def default(self) -> str:
        return next(iter(self.backends))

    def unknown_value(self) -> str:
        """The value is left out on purpose: a secret pasted into the wrong variable stays secret."""
        return f"{self.variable} names no backend; set it to one of: {', '.join(self.backends)}"


def _in_data_dir(resource: Callable[..., dg.ConfigurableResource]) -> Build:
    """An embedded backend: its files live in the data directory."""
    return lambda deployment: resource(data_dir=deployment.data_dir)


def _env_secrets(deployment: Deployment) -> SecretsResource:
    """``CLAWBOT_ALLOW_UNSIGNED=true`` lets queue messages go unsigned where no password is configured."""
    allow_unsigned = (deployment.get(ALLOW_UNSIGNED) or "").strip().lower() == "true"
    return UnsignedAllowedEnvSecretsResource() if allow_unsigned else EnvSecretsResource()


def _aws_secrets(deployment: Deployment) -> SecretsResource:
    """Imported only when chosen: dagster-aws costs half a second of every code-location load."""
    from dagster_aws.secretsmanager import SecretsManagerResource

    from clawbot_assets.resources.secrets_aws import AwsSecretsManagerSecretsResource

    return AwsSecretsManagerSecretsResource(
        secretsmanager=SecretsManagerResource(endpoint_url=deployment.get("AWS_ENDPOINT_URL")),
        secret_id=deployment.get(SECRET_ID) or "",
    )


def _rate_limiter(deployment: Deployment) -> dict | str:
    """``CLAWBOT_RATE_LIMITER_URL``: a URL, or ``instance`` for the limiter's tables in the Dagster
    instance's own Postgres (``DAGSTER_POSTGRES_*``, as the production dagster.yaml reads
    them), so every ECS task shares it with no second database and no URL to assemble. The
    URL (it can hold a password) and the instance's password stay ``EnvVar``s; the URL shown in
    the UI has none. A string says what is missing."""
    if (deployment.get(RATE_LIMITER_URL) or "").strip().lower() != INSTANCE_LIMITER:
        return {"rate_limiter_url": deployment.secret(RATE_LIMITER_URL)}
    parts = ("DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_DB")
    missing = [name for name in parts if not deployment.get(name)]
    if missing:
        return f"{RATE_LIMITER_URL}=instance needs {', '.join(missing)} (the Dagster instance's Postgres) to be set"
    user, host, db = (quote(deployment.environ[name], safe="") for name in parts)
    port = deployment.get("DAGSTER_POSTGRES_PORT") or "5432"
    return {
        "rate_limiter_url": f"postgresql://{user}@{host}:{port}/{db}",
        "rate_limiter_password": deployment.secret("DAGSTER_POSTGRES_PASSWORD"),
    }


def _paced(system: str, build: Callable[[Deployment, dict], dg.ConfigurableResource]) -> Build:
    """A backend whose requests go through the shared limiter (Airtable, HubSpot): the one
    stand-in, naming what is missing, when the limiter's store is not described."""
    def paced(deployment: Deployment) -> dg.ConfigurableResource:
        limiter = _rate_limiter(deployment)
        if isinstance(limiter, str):
            return MisconfiguredResource(system=system, problem=limiter)
        return build(deployment, limiter)
    return paced


def _airtable_ssot(deployment: Deployment, limiter: dict) -> SsotResource:
    """Its token comes from the secrets resource at run start."""
    return AirtableSsotResource(
        secrets=pick("secrets", deployment),
        base_id=deployment.get("AIRTABLE_BASE_ID"),
        data_dir=deployment.data_dir,
        endpoint_url=deployment.get("AIRTABLE_ENDPOINT_URL"),
        archive_table=deployment.get("AIRTABLE_ARCHIVE_TABLE"),
        archive_dir=deployment.get(DATA_DIR),
        **limiter,
    )


def _hubspot_crm(deployment: Deployment, limiter: dict) -> CrmResource:
    return HubSpotCrmResource(
        secrets=pick("secrets", deployment),
        host=deployment.get("HUBSPOT_HOST"),
        do_not_contact_property=deployment.get("HUBSPOT_DNC_PROPERTY") or DEFAULT_DNC_PROPERTY,
        data_dir=deployment.data_dir,
        **limiter,
    )


def _n8n_api(deployment: Deployment) -> N8nResource:
    """n8n is only read (by the audit). A missing ``N8N_API_KEY`` fails only the n8n read: the
    audit still runs, reading n8n as unknown and saying why."""
    return N8nApiResource(secrets=pick("secrets", deployment), base_url=deployment.get("N8N_BASE_URL"))


def _sqs_queue(deployment: Deployment) -> QueueResource:
    return SqsQueueResource(queue_url=deployment.get(QUEUE_URL), dlq_url=deployment.get(DLQ_URL), **deployment.aws())


def _sns_alerter(deployment: Deployment, topic_variable: str) -> AlerterResource:
    return SnsAlerterResource(topic_arn=deployment.get(topic_variable), topic_variable=topic_variable, **deployment.aws())


def _slack_alerter(deployment: Deployment) -> AlerterResource:
    """The webhook URL is the credential: an ``EnvVar`` always."""
    return SlackAlerterResource(webhook_url=dg.EnvVar(SLACK_WEBHOOK_URL))


BACKENDS: dict[str, Switch] = {
    "secrets": Switch(SECRETS_SWITCH, SecretsResource, {"env": _env_secrets, "aws": _aws_secrets}),
    "ssot": Switch(SSOT_SWITCH, SsotResource, {"local": _in_data_dir(LocalSsotResource), "airtable": _paced("ssot", _airtable_ssot)}),
    "crm": Switch(CRM_SWITCH, CrmResource, {"local": _in_data_dir(LocalCrmResource), "hubspot": _paced("crm", _hubspot_crm)}),
    "n8n": Switch(N8N_SWITCH, N8nResource, {"local": _in_data_dir(LocalN8nResource), "n8n": _n8n_api}),
    "queue": Switch(QUEUE_SWITCH, QueueResource, {"local": _in_data_dir(LocalQueueResource), "sqs": _sqs_queue}),
    "metrics": Switch(METRICS_SWITCH, MetricsResource, {
        "local": lambda _: LocalMetricsResource(),
        "cloudwatch": lambda _: CloudWatchMetricsResource(),
    }),
    "alerts": Switch(ALERTS_SWITCH, AlerterResource, {
        "local": _in_data_dir(LocalAlerterResource),
        "sns": lambda deployment: _sns_alerter(deployment, ALERT_TOPIC_ARN),
        "slack": _slack_alerter,
    }),
}
"""Each switched system: ``{system: Switch(variable, interface, {value: build})}``. ``alerts``
is the alerter's channel; the pager is an SNS topic whatever the channel (``_alerter``)."""


def pick(system: str, deployment: Deployment) -> dg.ConfigurableResource:
    """The resource the system's switch names, or the stand-in when it names none."""
    switch = BACKENDS[system]
    value = (deployment.get(switch.variable) or switch.default).strip().lower()
    build = switch.backends.get(value)
    if build is None:
        return MisconfiguredResource(system=system, problem=switch.unknown_value())
    return build(deployment)


def resource_for(system: str, environ: Environ | None = None, *, resolve_secrets: bool = False) -> dg.ConfigurableResource:
    """One switched system's resource, for tools that need only it: the snapshot refresh and the
    post-mortem read the SSOT outside Dagster (``resolve_secrets=True``)."""
    return pick(system, Deployment(os.environ if environ is None else environ, resolve_secrets))


def _key_index(deployment: Deployment) -> KeyIndexResource:
    """``CLAWBOT_KEY_INDEX_S3_URI`` set: an S3 object (dagster-aws imported only then)."""
    uri = deployment.get(KEY_INDEX_SWITCH)
    if not uri:
        return LocalKeyIndexResource(data_dir=deployment.data_dir)
    from dagster_aws.s3 import S3Resource

    from clawbot_assets.resources.key_index_s3 import S3KeyIndexResource

    location = urlsplit(uri)
    return S3KeyIndexResource(s3=S3Resource(endpoint_url=deployment.get("AWS_ENDPOINT_URL")), bucket=location.netloc, prefix=location.path)


def _alerter(deployment: Deployment) -> AlerterResource:
    """The channel ``CLAWBOT_ALERTS`` names, and the pager when ``CLAWBOT_PAGER_TOPIC_ARN`` is set
    (an SNS topic whatever the channel): ERROR alerts and DLQ incidents page, the rest go to the channel."""
    pager = _sns_alerter(deployment, PAGER_TOPIC_ARN) if (deployment.get(PAGER_TOPIC_ARN) or "").strip() else None
    return RoutingAlerterResource(channel=pick("alerts", deployment), pager=pager)


def _switched(system: str) -> Build:
    return lambda deployment: pick(system, deployment)


RESOURCE_FACTORIES: dict[str, Build] = {
    "secrets": _switched("secrets"),
    "ssot": _switched("ssot"),
    "crm": _switched("crm"),
    "key_index": _key_index,
    "n8n": _switched("n8n"),
    "live_page": lambda deployment: LivePageResource(directory=f"{deployment.data_dir}/{LIVE_PAGE_DIR}"),
    "queue": _switched("queue"),
    "alerter": _alerter,
    "metrics": _switched("metrics"),
    "handover_files": lambda deployment: OncallHandoverResource(directory=f"{deployment.data_dir}/{ONCALL_DIR}"),
}
"""The code location's resources by key, each built from the deployment."""


def resources_from_env(environ: Environ | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources dict for the deployment the environment describes."""
    deployment = Deployment(os.environ if environ is None else environ)
    return {name: build(deployment) for name, build in RESOURCE_FACTORIES.items()}


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
