"""The SSOT resource: Airtable through pyairtable, or the embedded SQLite backend."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

import dagster as dg
from pydantic import Field

from clawbot_assets.adapters.dedupe_state import DedupeState
from clawbot_assets.adapters.ssot import SsotClient
from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot_airtable import DEFAULT_PENALTY_WAIT, AirtableSsot
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.resources.backends import (
    ARCHIVE_FILE,
    DATA_DIR,
    LOCAL_SSOT_FILE,
    RATE_LIMIT_FILE,
    SSOT_BACKENDS,
    SSOT_SWITCH,
    check_backend,
    data_dir,
    dedupe_state_file,
    require,
    selected_backend,
)


class SsotResource(dg.ConfigurableResource):
    """Playbooks and task_queue_sales. ``backend`` is ``local`` or ``airtable``."""

    backend: str = "local"
    data_dir: str = ".local_data"
    seed_demo: bool = True
    airtable_api_key: Optional[str] = Field(default=None, repr=False)
    airtable_base_id: Optional[str] = None
    airtable_endpoint_url: Optional[str] = None
    airtable_archive_table: Optional[str] = None
    local_archive_is_durable: bool = True
    """With Airtable and no archive table, the archive is a file in ``data_dir``: only allowed
    when the operator chose that directory (``CLAWBOT_DATA_DIR``), never by default."""
    rate_limiter_url: Optional[str] = Field(default=None, repr=False)
    """Where the per-base request budget is shared: ``postgresql://...`` across containers;
    by default a SQLite file in ``data_dir``, shared by the processes of one host. Like the API
    key, it stays an ``EnvVar`` inside Dagster: a Postgres URL can hold a password."""
    penalty_seconds: float = DEFAULT_PENALTY_WAIT

    def client(self) -> SsotClient:
        check_backend(SSOT_SWITCH, self.backend, SSOT_BACKENDS)
        if self.backend == "airtable":
            api_key = require(self.airtable_api_key, "AIRTABLE_API_KEY", "The SSOT")
            base_id = require(self.airtable_base_id, "AIRTABLE_BASE_ID", "The SSOT")
            default_url = f"sqlite:///{Path(self.data_dir).resolve() / RATE_LIMIT_FILE}"
            return AirtableSsot(
                api_key,
                base_id,
                endpoint_url=self.airtable_endpoint_url or None,
                rate_limiter=rate_limiter_for(self.rate_limiter_url or default_url, name=f"airtable:{base_id}"),
                penalty_seconds=self.penalty_seconds,
                archive_table=self.airtable_archive_table or None,
                fallback_archive=LocalSsot(Path(self.data_dir) / ARCHIVE_FILE) if self.local_archive_is_durable else None,
            )
        local = LocalSsot(Path(self.data_dir) / LOCAL_SSOT_FILE)
        if self.seed_demo:
            from clawbot_assets.demo.seed import seed_demo_once

            seed_demo_once(local)
        return local

    def dedupe_state(self) -> DedupeState:
        """Dedupe state belongs to one base: each backend and base gets its own file."""
        owner = f"airtable_{self.airtable_base_id}" if self.backend == "airtable" else self.backend
        return DedupeState(Path(self.data_dir) / dedupe_state_file(owner))


def ssot_resource_from_env(environ: Mapping[str, str] | None = None, *, resolve_secrets: bool = False) -> SsotResource:
    """The resource the environment asks for.

    Inside Dagster the API key stays an ``EnvVar``, resolved at run start and never shown in the
    UI; outside Dagster (the snapshot refresh) ``resolve_secrets`` reads it directly.
    """
    environ = os.environ if environ is None else environ
    backend = selected_backend(SSOT_SWITCH, SSOT_BACKENDS, environ)
    if backend != "airtable":
        return SsotResource(backend=backend, data_dir=data_dir(environ))
    api_key = environ.get("AIRTABLE_API_KEY") if resolve_secrets else dg.EnvVar("AIRTABLE_API_KEY")
    limiter_url = environ.get("CLAWBOT_RATE_LIMITER_URL")
    return SsotResource(
        backend="airtable",
        data_dir=data_dir(environ),
        airtable_api_key=api_key,
        airtable_base_id=environ.get("AIRTABLE_BASE_ID"),
        airtable_endpoint_url=environ.get("AIRTABLE_ENDPOINT_URL"),
        airtable_archive_table=environ.get("AIRTABLE_ARCHIVE_TABLE"),
        rate_limiter_url=dg.EnvVar("CLAWBOT_RATE_LIMITER_URL") if limiter_url and not resolve_secrets else limiter_url,
        local_archive_is_durable=bool(environ.get(DATA_DIR)),
    )
