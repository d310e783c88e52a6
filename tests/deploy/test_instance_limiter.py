"""``CLAWBOT_RATE_LIMITER_URL=instance``: the Airtable limiter's slots live in the Dagster
instance's own Postgres, from the same ``DAGSTER_POSTGRES_*`` variables the production
dagster.yaml reads, so every ECS task shares one budget. The password never shows."""

from __future__ import annotations

from urllib.parse import urlsplit

import dagster as dg

from clawbot_assets.resources import resource_for
from clawbot_assets.resources.misconfigured import MisconfiguredResource
from tests.conftest import TOKEN
from tests.deploy.production_home import postgres_environment

PASSWORD = "Instance-pw/with:odd@chars"


def instance_environ(postgres_url: str) -> dict[str, str]:
    return {
        "CLAWBOT_SSOT": "airtable",
        "AIRTABLE_API_KEY": TOKEN,
        "AIRTABLE_BASE_ID": "appInstanceLimiter",
        "CLAWBOT_RATE_LIMITER_URL": "instance",
        **postgres_environment(postgres_url, PASSWORD),
    }


def test_the_limiter_lives_in_the_instance_database_and_its_password_never_shows(postgres_url, monkeypatch):
    environ = instance_environ(postgres_url)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    resource = resource_for("ssot", environ)
    assert PASSWORD not in repr(resource) and isinstance(resource.rate_limiter_password, dg.EnvVar)
    with dg.build_resources({"ssot": resource}) as built:
        limiter = built.ssot.client().rate_limiter
    parts = urlsplit(postgres_url)
    assert limiter.store.startswith("postgresql://") and f"{parts.hostname}:{parts.port}" in limiter.store
    assert PASSWORD not in limiter.store and "***" in limiter.store
    assert limiter.acquire() >= 0


def test_instance_without_its_postgres_variables_is_a_clear_misconfiguration():
    resource = resource_for("ssot", {"CLAWBOT_SSOT": "airtable", "CLAWBOT_RATE_LIMITER_URL": "instance", "DAGSTER_POSTGRES_USER": "dagster"})
    assert isinstance(resource, MisconfiguredResource) and resource.system == "ssot"
    assert "DAGSTER_POSTGRES_HOST, DAGSTER_POSTGRES_DB" in resource.problem
