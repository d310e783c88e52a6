"""The n8n resources: the public REST API, or the embedded workflow export. Read-only both."""

from __future__ import annotations

import abc
from typing import Optional

import dagster as dg

from clawbot_assets.adapters.n8n import N8nClient
from clawbot_assets.resources.backends import (
    DEFAULT_DATA_DIR,
    LOCAL_N8N_FILE,
    local_path,
    require,
)
from clawbot_assets.resources.secrets import N8N_API_KEY, SecretsResource


class N8nResource(dg.ConfigurableResource):
    """The workflows of the n8n instance that still fires some playbooks."""

    @abc.abstractmethod
    def client(self) -> N8nClient:
        """The backend's client. A misconfigured backend raises ``BackendConfigError`` here, which
        the audit reads as n8n unknown (the audit still runs)."""

    def describe(self) -> str:
        return type(self).__name__


class LocalN8nResource(N8nResource):
    """An n8n workflow export under ``data_dir``, written from its adapter's fixture on first use."""

    data_dir: str = DEFAULT_DATA_DIR

    def client(self) -> N8nClient:
        from clawbot_assets.adapters.n8n import LocalN8n
        from clawbot_assets.adapters.n8n_local_fixture import ensure_n8n_export

        return LocalN8n(ensure_n8n_export(local_path(self.data_dir, LOCAL_N8N_FILE)))

    def describe(self) -> str:
        return "local"


class N8nApiResource(N8nResource):
    """n8n's public API at ``base_url``. Its key comes from ``secrets`` at run start."""

    secrets: SecretsResource
    base_url: Optional[str] = None

    def client(self) -> N8nClient:
        from clawbot_assets.adapters.n8n import N8nApi

        return N8nApi(
            require(self.base_url, "N8N_BASE_URL", "n8n"),
            self.secrets.get(N8N_API_KEY),
        )

    def describe(self) -> str:
        return f"n8n:{self.base_url}"

