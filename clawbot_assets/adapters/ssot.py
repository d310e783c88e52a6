"""The SSOT interface: the Playbooks and task_queue_sales tables, and the dedupe archive.

Records have Airtable's shape everywhere: ``{"id", "createdTime", "fields"}``, with empty
fields left out. ``ssot_airtable.AirtableSsot`` implements it on pyairtable and
``ssot_local.LocalSsot`` on SQLite, with the same semantics, including an upsert that fails
when several records match one key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence

from clawbot_assets.domain.ssot_query import Condition

PLAYBOOKS_TABLE = "Playbooks"
TASKS_TABLE = "task_queue_sales"
KEY_FIELD = "Key"
#: After a 429 Airtable refuses every request to the base for 30 s; clients wait a second more.
AIRTABLE_PENALTY_SECONDS = 30.0
DEFAULT_PENALTY_WAIT = AIRTABLE_PENALTY_SECONDS + 1
#: Airtable accepts at most 10 records per create, update, upsert or delete request.
MAX_RECORDS_PER_WRITE = 10
#: Airtable lists in pages of at most 100 records.
MAX_PAGE_SIZE = 100
#: Values per lookup formula (a page holds 100 records); pyairtable switches to POST listRecords
#: if the url passes 16k characters.
LOOKUP_BATCH = 100

Record = dict[str, Any]


class SsotError(RuntimeError):
    """The SSOT refused or failed a request; the message says which and why, never a secret."""


class UpsertAmbiguousError(SsotError):
    """Several records match one key, so Airtable refuses the whole upsert request."""

    def __init__(self, key: str, record_ids: Sequence[str] = ()):
        self.key = key
        self.record_ids = list(record_ids)
        detail = f" ({', '.join(self.record_ids)})" if self.record_ids else ""
        super().__init__(
            f"Upsert refused: several records share Key {key!r}{detail}. "
            "Run the nightly_dedupe job before enforcing upserts."
        )


class SsotUnavailableError(SsotError):
    """The SSOT kept answering 429/5xx beyond the retry budget, or a non-idempotent call got a 5xx."""


@dataclass(frozen=True)
class UpsertOutcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    #: record id -> Key, for every record the upsert created or matched
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ArchivedRecord:
    run_id: str
    archived_at: str
    record: Record


class SsotClient(Protocol):
    #: Requests sent so far (local: the requests Airtable would have needed).
    requests_made: int
    #: 429 answers received so far, each followed by Airtable's penalty wait (local: always 0).
    rate_limited_responses: int

    def list_records(self, table: str, *, changed_since: dt.datetime | None = None) -> list[Record]:
        """All records, or those created or modified at or after ``changed_since``."""

    def select(self, table: str, where: Condition, fields: Sequence[str] | None = None) -> list[Record]:
        """The records matching ``where`` (``domain.ssot_query``), with only ``fields`` when given:
        what a recurring job reads instead of the whole table."""

    def find_by_keys(self, table: str, keys: Sequence[str]) -> list[Record]: ...

    def find_by_field(self, table: str, field_name: str, values: Sequence[str]) -> list[Record]: ...

    def find_by_ids(self, table: str, record_ids: Sequence[str]) -> list[Record]:
        """The records among ``record_ids`` that still exist."""

    def upsert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> UpsertOutcome:
        """Upsert on ``Key``, 10 a request; a key matching several records fails that request."""

    def update(self, table: str, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> None: ...

    def create(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[Record]: ...

    def delete(self, table: str, record_ids: Sequence[str]) -> list[str]:
        """Delete 10 a request; ids already gone are skipped, so a rerun is harmless."""

    def archive(self, run_id: str, records: Sequence[Record]) -> None:
        """Append whole records to the durable archive; idempotent per (run_id, record id)."""

    def archived(self, run_id: str | None = None) -> list[ArchivedRecord]: ...


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def compact_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Airtable leaves empty fields out of returned records; the local backend does the same.
    It keeps a number 0, which ``0 in (..., False)`` would drop, hence ``is not False``."""
    return {name: value for name, value in fields.items() if value is not False and value not in (None, "", [])}
