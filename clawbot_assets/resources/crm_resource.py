"""The CRM resource: HubSpot through hubspot-api-client, or the embedded fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

import dagster as dg
from pydantic import Field

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.adapters.crm_local import LocalCrm
from clawbot_assets.resources.backends import (
    CRM_BACKENDS,
    CRM_SWITCH,
    LOCAL_CRM_FILE,
    check_backend,
    data_dir,
    require,
    selected_backend,
)


class CrmResource(dg.ConfigurableResource):
    """Deal pipelines and deals. ``backend`` is ``local`` or ``hubspot``."""

    backend: str = "local"
    data_dir: str = ".local_data"
    hubspot_access_token: Optional[str] = Field(default=None, repr=False)
    hubspot_host: Optional[str] = None
    do_not_contact_property: str = "do_not_contact"

    def client(self) -> CrmClient:
        check_backend(CRM_SWITCH, self.backend, CRM_BACKENDS)
        if self.backend == "hubspot":
            from clawbot_assets.adapters.crm_hubspot import HubSpotCrm

            return HubSpotCrm(
                require(self.hubspot_access_token, "HUBSPOT_ACCESS_TOKEN", "The CRM"),
                host=self.hubspot_host or None,
                do_not_contact_property=self.do_not_contact_property,
            )
        from clawbot_assets.demo.seed import ensure_crm_fixture

        return LocalCrm(ensure_crm_fixture(Path(self.data_dir) / LOCAL_CRM_FILE))


def crm_resource_from_env(environ: Mapping[str, str] | None = None) -> CrmResource:
    environ = os.environ if environ is None else environ
    backend = selected_backend(CRM_SWITCH, CRM_BACKENDS, environ)
    if backend != "hubspot":
        return CrmResource(backend=backend, data_dir=data_dir(environ))
    return CrmResource(
        backend="hubspot",
        data_dir=data_dir(environ),
        hubspot_access_token=dg.EnvVar("HUBSPOT_ACCESS_TOKEN"),
        hubspot_host=environ.get("HUBSPOT_HOST"),
        do_not_contact_property=environ.get("HUBSPOT_DNC_PROPERTY") or "do_not_contact",
    )
