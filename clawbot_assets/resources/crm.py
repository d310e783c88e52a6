"""The CRM resources: HubSpot through hubspot-api-client, or the embedded fixtures."""

from __future__ import annotations

from typing import Optional

import dagster as dg

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.resources.backends import (
    DEFAULT_DATA_DIR,
    LOCAL_CRM_FILE,
    BackendConfigError,
    local_path,
)
from clawbot_assets.resources.secrets import HUBSPOT_ACCESS_TOKEN, SecretsResource

DEFAULT_DNC_PROPERTY = "do_not_contact"


class CrmResource(dg.ConfigurableResource):
    """Deal pipelines and the deals in a stage."""

    def client(self) -> CrmClient:
        raise NotImplementedError


class LocalCrmResource(CrmResource):
    """HubSpot-shaped JSON fixtures under ``data_dir``, written on first use."""

    data_dir: str = DEFAULT_DATA_DIR

    def client(self) -> CrmClient:
        from clawbot_assets.adapters.crm_local import LocalCrm
        from clawbot_assets.demo.seed import ensure_crm_fixture

        return LocalCrm(ensure_crm_fixture(local_path(self.data_dir, LOCAL_CRM_FILE)))


class HubSpotCrmResource(CrmResource):
    """HubSpot's v3 CRM API. Its token comes from ``secrets`` at run start."""

    secrets: SecretsResource
    host: Optional[str] = None
    do_not_contact_property: str = DEFAULT_DNC_PROPERTY

    def client(self) -> CrmClient:
        from clawbot_assets.adapters.crm_hubspot import HubSpotCrm

        return HubSpotCrm(
            self.secrets.get(HUBSPOT_ACCESS_TOKEN),
            host=self.host or None,
            do_not_contact_property=self.do_not_contact_property,
        )


class MisconfiguredCrmResource(CrmResource):
    """Stands in when ``CLAWBOT_CRM`` names no backend; runs that need the CRM fail at start."""

    problem: str

    def client(self) -> CrmClient:
        raise BackendConfigError(self.problem)
