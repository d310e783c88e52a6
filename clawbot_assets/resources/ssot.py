"""The SSOT resources: one class per backend, sharing ``SsotResource``'s interface.

``LocalSsotResource`` is the embedded SQLite twin, seeded with its adapter's fixture on first use.
``AirtableSsotResource`` is pyairtable against one base, paced by the limiter that every
process talking to that base shares.
"""

from __future__ import annotations

import abc
import datetime as dt
from typing import TYPE_CHECKING, Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from clawbot_assets.adapters.ssot import DEFAULT_PENALTY_WAIT, SsotClient
from clawbot_assets.resources.backends import (
    ARCHIVE_FILE,
    DEFAULT_DATA_DIR,
    LOCAL_SSOT_FILE,
    RATE_LIMIT_FILE,
    local_path,
    require,
)
from clawbot_assets.resources.secrets import AIRTABLE_API_KEY, SecretsResource

if TYPE_CHECKING:
    from clawbot_assets.adapters.rate_limit import SharedRateLimiter
    from clawbot_assets.adapters.rate_limit_stores import HourlyRequests


class SsotResource(dg.ConfigurableResource):
    """Playbooks and task_queue_sales, wherever they live."""

    @abc.abstractmethod
    def client(self) -> SsotClient:
        """The backend's client; a misconfigured backend raises here, at the run's first use."""

    def describe(self) -> str:
        """Which backend this is, for run metadata; never a credential."""
        return type(self).__name__

    def request_counts(self, since: dt.datetime) -> list["HourlyRequests"]:
        """Airtable requests per job and hour since ``since``; none for a backend that is not Airtable."""
        return []


class LocalSsotResource(SsotResource):
    """The embedded backend: SQLite under ``data_dir``, with Airtable's semantics."""

    data_dir: str = DEFAULT_DATA_DIR

    def client(self) -> SsotClient:
        from clawbot_assets.adapters.ssot_local import LocalSsot
        from clawbot_assets.adapters.ssot_local_fixture import seed_demo_once

        local = LocalSsot(local_path(self.data_dir, LOCAL_SSOT_FILE))
        seed_demo_once(local)
        return local

    def describe(self) -> str:
        return "local"


class AirtableSsotResource(SsotResource):
    """One Airtable base through pyairtable. Its token comes from ``secrets`` at run start."""

    secrets: SecretsResource
    base_id: Optional[str] = None
    data_dir: str = DEFAULT_DATA_DIR
    """Where this host keeps caches: the default rate-limiter file lives here."""
    endpoint_url: Optional[str] = None
    archive_table: Optional[str] = None
    """The Airtable table that keeps what the dedupe removed (text fields Run ID, Record ID, Record)."""
    archive_dir: Optional[str] = None
    """Without an archive table, a directory on durable storage for the archive file; without
    either, the dedupe refuses to delete anything."""
    rate_limiter_url: Optional[str] = Field(default=None, repr=False)
    """Where the per-base request budget is shared: ``postgresql://...`` across containers;
    by default a SQLite file in ``data_dir``, shared by the processes of one host. Like the API
    key, it stays an ``EnvVar`` inside Dagster: a Postgres URL can hold a password."""
    rate_limiter_password: Optional[str] = Field(default=None, repr=False)
    """The password of a Postgres ``rate_limiter_url`` that carries none (the instance's own
    database, ``CLAWBOT_RATE_LIMITER_URL=instance``)."""
    penalty_seconds: float = DEFAULT_PENALTY_WAIT
    #: The Dagster job of the run using this resource: its requests are counted against it.
    _job: Optional[str] = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run
        self._job = run.job_name if run is not None else None

    def _limiter(self) -> "SharedRateLimiter":
        from clawbot_assets.adapters.rate_limit import rate_limiter_for, with_password

        base_id = require(self.base_id, "AIRTABLE_BASE_ID", "The SSOT")
        return rate_limiter_for(
            with_password(self.rate_limiter_url, self.rate_limiter_password)
            or f"sqlite:///{local_path(self.data_dir, RATE_LIMIT_FILE)}",
            name=f"airtable:{base_id}",
        )

    def client(self) -> SsotClient:
        from clawbot_assets.adapters.ssot_airtable import AirtableSsot
        from clawbot_assets.adapters.ssot_local import LocalSsot

        api_key = self.secrets.get(AIRTABLE_API_KEY)
        base_id = require(self.base_id, "AIRTABLE_BASE_ID", "The SSOT")
        airtable = AirtableSsot(
            api_key,
            base_id,
            endpoint_url=self.endpoint_url or None,
            rate_limiter=self._limiter(),
            penalty_seconds=self.penalty_seconds,
            archive_table=self.archive_table or None,
            fallback_archive=LocalSsot(local_path(self.archive_dir, ARCHIVE_FILE)) if self.archive_dir else None,
        )
        airtable.session.job = self._job
        return airtable

    def request_counts(self, since: dt.datetime) -> list["HourlyRequests"]:
        limiter = self._limiter()
        return [row for row in limiter.hourly_requests(since) if row.name == limiter.name]

    def describe(self) -> str:
        return f"airtable:{self.base_id}"

