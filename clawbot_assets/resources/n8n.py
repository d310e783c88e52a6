"""The n8n resources: the public REST API, or the embedded workflow export. Read-only both."""

from __future__ import annotations

from typing import Optional

import dagster as dg

from clawbot_assets.adapters.n8n import N8nClient
from clawbot_assets.resources.backends import (
    DEFAULT_DATA_DIR,
    LOCAL_N8N_FILE,
    BackendConfigError,
    local_path,
    require,
)
from clawbot_assets.resources.secrets import N8N_API_KEY, SecretsResource


class N8nResource(dg.ConfigurableResource):
    """The workflows of the n8n instance that still fires some playbooks."""

    def client(self) -> N8nClient:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__


class LocalN8nResource(N8nResource):
    """An n8n workflow export under ``data_dir``, written from the demo on first use."""

    data_dir: str = DEFAULT_DATA_DIR

    def client(self) -> N8nClient:
        from clawbot_assets.adapters.n8n import LocalN8n
        from clawbot_assets.demo.seed import ensure_n8n_export

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


class MisconfiguredN8nResource(N8nResource):
    """Stands in when ``CLAWBOT_N8N`` names no backend; the audit reads n8n as unknown."""

    problem: str

    def client(self) -> N8nClient:
        raise BackendConfigError(self.problem)
