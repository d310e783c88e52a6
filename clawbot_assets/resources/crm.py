"""The CRM resources: HubSpot through hubspot-api-client, or the embedded fixtures."""

from __future__ import annotations

import abc
from typing import Optional

import dagster as dg
from pydantic import Field

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.resources.backends import (
    DEFAULT_DATA_DIR,
    LOCAL_CRM_FILE,
    RATE_LIMIT_FILE,
    local_path,
)
from clawbot_assets.resources.secrets import HUBSPOT_ACCESS_TOKEN, SecretsResource

DEFAULT_DNC_PROPERTY = "do_not_contact"


class CrmResource(dg.ConfigurableResource):
    """Deal pipelines and the deals in a stage."""

    @abc.abstractmethod
    def client(self) -> CrmClient:
        """The backend's client; a misconfigured backend raises here, at the run's first use."""


class LocalCrmResource(CrmResource):
    """HubSpot-shaped JSON fixtures under ``data_dir``, written on first use."""

    data_dir: str = DEFAULT_DATA_DIR

    def client(self) -> CrmClient:
        from clawbot_assets.adapters.crm_local import LocalCrm
        from clawbot_assets.adapters.crm_local_fixture import ensure_crm_fixture

        return LocalCrm(ensure_crm_fixture(local_path(self.data_dir, LOCAL_CRM_FILE)))


class HubSpotCrmResource(CrmResource):
    """HubSpot's v3 CRM API. Its token comes from ``secrets`` at run start."""

    secrets: SecretsResource
    host: Optional[str] = None
    do_not_contact_property: str = DEFAULT_DNC_PROPERTY
    data_dir: str = DEFAULT_DATA_DIR
    rate_limiter_url: Optional[str] = Field(default=None, repr=False)
    """The store HubSpot's per-account pacing shares with every process and container: the
    Airtable limiter's (``CLAWBOT_RATE_LIMITER_URL``); by default a SQLite file in ``data_dir``."""
    rate_limiter_password: Optional[str] = Field(default=None, repr=False)

    def client(self) -> CrmClient:
        from urllib.parse import urlsplit

        from clawbot_assets.adapters.crm_hubspot import HubSpotCrm
        from clawbot_assets.adapters.hubspot_pacing import HubSpotPacer
        from clawbot_assets.adapters.rate_limit import with_password

        store = with_password(self.rate_limiter_url, self.rate_limiter_password) or f"sqlite:///{local_path(self.data_dir, RATE_LIMIT_FILE)}"
        account = urlsplit(self.host).netloc if self.host else "api.hubapi.com"
        return HubSpotCrm(
            self.secrets.get(HUBSPOT_ACCESS_TOKEN),
            host=self.host or None,
            do_not_contact_property=self.do_not_contact_property,
            pacer=HubSpotPacer(store, account=account),
        )

