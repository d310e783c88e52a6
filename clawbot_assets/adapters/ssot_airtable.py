"""The SSOT on Airtable, through pyairtable, paced and retried the way Airtable requires.

pyairtable retries 429 for about 3 s and has no pacing (DESIGN §5), so its retry is turned off
and ``PacedSession`` takes over at the one place every HTTP request passes:
- each request holds a slot of the per-base ``SharedRateLimiter`` from its send until one
  window after its response (never 6 arrivals in one Airtable second, shared by every process
  and container on the base), counted against the job that sent it;
- a 429 waits out Airtable's 30-second penalty, then resends;
- a 502/503/504 is resent only when the call is idempotent (reads, updates, upserts).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Mapping, Sequence
from urllib.parse import unquote, urlsplit

import requests
from pyairtable import Api
from pyairtable import formulas as F

from clawbot_assets.adapters.rate_limit import SharedRateLimiter, rate_limiter_for
from clawbot_assets.adapters.ssot import (
    DEFAULT_PENALTY_WAIT,
    KEY_FIELD,
    LOOKUP_BATCH,
    MAX_PAGE_SIZE,
    MAX_RECORDS_PER_WRITE,
    ArchivedRecord,
    Record,
    SsotError,
    SsotUnavailableError,
    UpsertAmbiguousError,
    UpsertOutcome,
    chunks,
)
from clawbot_assets.domain.ssot_query import AllOf, ChangedSince, Condition, FieldIn, FieldOnOrAfter, as_utc
from clawbot_assets.observability.tracing import external_call

DEFAULT_ENDPOINT_URL = "https://api.airtable.com"
_TRANSIENT_STATUSES = (502, 503, 504)
_EXPIRED_OFFSET = "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


class PacedSession(requests.Session):
    def __init__(
        self,
        rate_limiter: SharedRateLimiter,
        penalty_seconds: float = DEFAULT_PENALTY_WAIT,
        max_rate_limit_retries: int = 5,
        max_transient_retries: int = 4,
        transient_backoff_seconds: float = 1.0,
    ):
        super().__init__()
        self.rate_limiter = rate_limiter
        self.penalty_seconds = penalty_seconds
        self.max_rate_limit_retries = max_rate_limit_retries
        self.max_transient_retries = max_transient_retries
        self.transient_backoff_seconds = transient_backoff_seconds
        #: The job requests are counted against; ``None``: whoever ``attributed_to`` names.
        self.job: str | None = None
        self.requests_sent = 0
        self.rate_limited = 0
        self.transient_failures = 0

    @staticmethod
    def is_idempotent(method: str, url: str) -> bool:
        method = method.upper()
        return method in ("GET", "PATCH") or (method == "POST" and str(url).endswith("/listRecords"))

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """One Airtable call, in one span, however many attempts it takes."""
        with external_call("airtable", method.upper(), _table_of(url)) as span:
            attempts_before, rate_limited_before = self.requests_sent, self.rate_limited
            try:
                response = self._send(method, url, *args, **kwargs)
                span.record(status=response.status_code)
                return response
            finally:
                attempts = self.requests_sent - attempts_before
                span.record(attempts=attempts, retries=attempts - 1, rate_limited=self.rate_limited - rate_limited_before)

    def _send(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        rate_limited = transient = 0
        while True:
            try:
                with self.rate_limiter.turn(self.job):
                    self.requests_sent += 1
                    response = super().request(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                if not self.is_idempotent(method, url) or transient >= self.max_transient_retries:
                    raise SsotUnavailableError(f"Airtable {method} could not connect: {type(error).__name__}") from None
                transient += 1
                time.sleep(self.transient_backoff_seconds * 2 ** (transient - 1))
                continue
            if response.status_code == 429:
                self.rate_limited += 1
                rate_limited += 1
                if rate_limited > self.max_rate_limit_retries:
                    raise SsotUnavailableError(
                        f"Airtable answered 429 to {method} {rate_limited} times in a row; "
                        f"gave up after {rate_limited * self.penalty_seconds:.0f}s of penalties"
                    )
                self.rate_limiter.penalise(self.penalty_seconds)
                continue
            if response.status_code in _TRANSIENT_STATUSES:
                self.transient_failures += 1
                if not self.is_idempotent(method, url):
                    raise SsotUnavailableError(
                        f"Airtable answered {response.status_code} to a {method}, which is not safe to resend; "
                        "rerun the job: its writes are idempotent"
                    )
                if transient >= self.max_transient_retries:
                    raise SsotUnavailableError(
                        f"Airtable answered {response.status_code} to {method} {transient + 1} times; giving up"
                    )
                transient += 1
                time.sleep(self.transient_backoff_seconds * 2 ** (transient - 1))
                continue
            return response


def _table_of(url: Any) -> str:
    """``<base>/<table>`` from ``.../v0/<base>/<table>[/listRecords]``: never a query or a header."""
    parts = [part for part in urlsplit(str(url)).path.split("/") if part]
    return "/".join(unquote(part) for part in parts[1:3]) if parts[:1] == ["v0"] else ""


def _airtable_error_type(error: requests.HTTPError) -> str:
    try:
        body = error.response.json() if error.response is not None else {}
    except ValueError:
        return ""
    detail = body.get("error") if isinstance(body, dict) else None
    return str(detail.get("type", "")) if isinstance(detail, dict) else str(detail or "")


def _at_or_after(moment: dt.datetime) -> str:
    """IS_AFTER is strict and Airtable times have milliseconds: 1 ms earlier means "at or after"."""
    moment = as_utc(moment) - dt.timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def airtable_formula(condition: Condition) -> F.Formula:
    """``condition`` as an Airtable formula, built with ``pyairtable.formulas`` (which quotes)."""
    if isinstance(condition, FieldIn):
        if not condition.values:
            return F.EQ(F.RECORD_ID(), "")  # no record has an empty id: matches nothing
        terms = [F.EQ(F.Field(condition.field), value) for value in condition.values]
        return terms[0] if len(terms) == 1 else F.OR(*terms)
    if isinstance(condition, FieldOnOrAfter):
        return F.IS_AFTER(F.Field(condition.field), _at_or_after(condition.moment))
    if isinstance(condition, ChangedSince):
        since = _at_or_after(condition.moment)
        return F.OR(F.IS_AFTER(F.CREATED_TIME(), since), F.IS_AFTER(F.LAST_MODIFIED_TIME(), since))
    parts = [airtable_formula(part) for part in condition.conditions]
    if not parts:
        raise ValueError(f"{type(condition).__name__} needs at least one condition")
    if len(parts) == 1:
        return parts[0]
    return F.AND(*parts) if isinstance(condition, AllOf) else F.OR(*parts)


class AirtableSsot:
    """``SsotClient`` on one Airtable base. The archive goes to an Airtable table when one is
    named, else to ``fallback_archive`` (a ``LocalSsot`` on durable storage).

    ``rate_limiter`` should be shared by every process on the base (``rate_limiter_for`` with a
    SQLite or Postgres URL); without one, this client paces only itself, in memory."""

    def __init__(
        self,
        api_key: str,
        base_id: str,
        *,
        endpoint_url: str | None = None,
        rate_limiter: SharedRateLimiter | None = None,
        penalty_seconds: float = DEFAULT_PENALTY_WAIT,
        transient_backoff_seconds: float = 1.0,
        archive_table: str | None = None,
        fallback_archive: Any = None,
        max_listing_restarts: int = 3,
    ):
        self.base_id = base_id
        self.rate_limiter = rate_limiter or rate_limiter_for(None, name=f"airtable:{base_id}")
        self.session = PacedSession(
            self.rate_limiter, penalty_seconds=penalty_seconds, transient_backoff_seconds=transient_backoff_seconds
        )
        self.api = Api(api_key, retry_strategy=None, endpoint_url=endpoint_url or DEFAULT_ENDPOINT_URL, timeout=(10, 60))
        self.api.session = self.session
        self.api.api_key = api_key
        self.archive_table = archive_table
        self.fallback_archive = fallback_archive
        self.max_listing_restarts = max_listing_restarts
        self.listing_restarts = 0

    def __repr__(self) -> str:
        return f"AirtableSsot(base_id={self.base_id!r})"

    @property
    def requests_made(self) -> int:
        return self.session.requests_sent

    @property
    def rate_limited_responses(self) -> int:
        return self.session.rate_limited

    def _table(self, name: str):
        return self.api.table(self.base_id, name)

    def _call(self, description: str, function, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else "?"
            raise SsotError(f"Airtable refused {description}: HTTP {status} {_airtable_error_type(error)}") from None

    def _list(self, table: str, formula: str | None = None, fields: Sequence[str] | None = None) -> list[Record]:
        """List every page; an expired offset restarts the listing from the first page."""
        options: dict[str, Any] = {"page_size": MAX_PAGE_SIZE}
        if formula:
            options["formula"] = formula
        if fields is not None:
            options["fields"] = list(fields)
        for _attempt in range(self.max_listing_restarts + 1):
            records: dict[str, Record] = {}
            try:
                for page in self._table(table).iterate(**options):
                    records.update((record["id"], dict(record)) for record in page)
                return list(records.values())
            except requests.HTTPError as error:
                if error.response is None or error.response.status_code != 422 or _airtable_error_type(error) != _EXPIRED_OFFSET:
                    status = error.response.status_code if error.response is not None else "?"
                    raise SsotError(f"Airtable refused listing {table}: HTTP {status} {_airtable_error_type(error)}") from None
                self.listing_restarts += 1
        raise SsotUnavailableError(f"Listing {table} kept losing its offset after {self.max_listing_restarts} restarts")

    def list_records(self, table: str, *, changed_since: dt.datetime | None = None) -> list[Record]:
        formula = None if changed_since is None else F.to_formula_str(airtable_formula(ChangedSince(changed_since)))
        return self._list(table, formula)

    def select(self, table: str, where: Condition, fields: Sequence[str] | None = None) -> list[Record]:
        return self._list(table, F.to_formula_str(airtable_formula(where)), fields)

    def find_by_keys(self, table: str, keys: Sequence[str]) -> list[Record]:
        return self.find_by_field(table, KEY_FIELD, keys)

    def find_by_field(self, table: str, field_name: str, values: Sequence[str]) -> list[Record]:
        return self._find(table, F.Field(field_name), values)

    def find_by_ids(self, table: str, record_ids: Sequence[str]) -> list[Record]:
        return self._find(table, F.RECORD_ID(), record_ids)

    def _find(self, table: str, subject: F.Formula, values: Sequence[str]) -> list[Record]:
        found: list[Record] = []
        for batch in chunks(list(dict.fromkeys(values)), LOOKUP_BATCH):
            found += self._list(table, F.to_formula_str(F.OR(*(F.EQ(subject, value) for value in batch))))
        return found

    def upsert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> UpsertOutcome:
        outcome = UpsertOutcome()
        for batch in chunks(list(rows), MAX_RECORDS_PER_WRITE):
            try:
                result = self._table(table).batch_upsert([{"fields": dict(row)} for row in batch], key_fields=[KEY_FIELD])
            except requests.HTTPError as error:
                if error.response is not None and error.response.status_code == 422:
                    if ambiguous := self._ambiguous_key(table, batch):
                        raise UpsertAmbiguousError(ambiguous) from None
                raise SsotError(f"Airtable refused an upsert on {table}: {_airtable_error_type(error)}") from None
            outcome.created.extend(result["createdRecords"])
            outcome.updated.extend(result["updatedRecords"])
            outcome.keys.update((record["id"], record["fields"].get(KEY_FIELD, "")) for record in result["records"])
        return outcome

    def _ambiguous_key(self, table: str, batch: Sequence[Mapping[str, Any]]) -> str | None:
        """Airtable's 422 does not say which key matched several records; find it."""
        counts: dict[str, int] = {}
        for record in self.find_by_keys(table, [row[KEY_FIELD] for row in batch]):
            key = record["fields"].get(KEY_FIELD, "")
            counts[key] = counts.get(key, 0) + 1
        return next((key for key, count in counts.items() if count > 1), None)

    def update(self, table: str, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        self._call(
            f"an update on {table}",
            self._table(table).batch_update,
            [{"id": record_id, "fields": dict(fields)} for record_id, fields in updates],
        )

    def create(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[Record]:
        return self._call(f"a create on {table}", self._table(table).batch_create, [dict(row) for row in rows])

    def delete(self, table: str, record_ids: Sequence[str]) -> list[str]:
        """Delete 10 a request. After a 5xx the batch may or may not be gone, so it is re-read
        and only what still exists is sent again. Airtable refuses a whole batch with a 404 when
        one id is already gone; that batch is re-read too and its gone ids skipped."""
        deleted: list[str] = []
        for batch in chunks(list(dict.fromkeys(record_ids)), MAX_RECORDS_PER_WRITE):
            remaining = list(batch)
            for _attempt in range(self.session.max_transient_retries + 1):
                if not remaining:
                    break
                try:
                    result = self._table(table).batch_delete(remaining)
                    deleted += [item["id"] for item in result if item.get("deleted")]
                    remaining = []
                except SsotUnavailableError:
                    still_there = {record["id"] for record in self.find_by_ids(table, remaining)}
                    deleted += [record_id for record_id in remaining if record_id not in still_there]
                    remaining = [record_id for record_id in remaining if record_id in still_there]
                except requests.HTTPError as error:
                    not_found = error.response is not None and error.response.status_code == 404
                    still_there = {record["id"] for record in self.find_by_ids(table, remaining)} if not_found else set()
                    if not not_found or still_there == set(remaining):
                        raise SsotError(f"Airtable refused a delete on {table}: {_airtable_error_type(error)}") from None
                    remaining = [record_id for record_id in remaining if record_id in still_there]
            if remaining:
                raise SsotUnavailableError(f"Could not delete {len(remaining)} records from {table}; rerun the job")
        return deleted

    def archive(self, run_id: str, records: Sequence[Record]) -> None:
        if not self.archive_table:
            self._require_fallback().archive(run_id, records)
            return

        already = {
            (record["fields"].get("Run ID"), record["fields"].get("Record ID"))
            for record in self._list(self.archive_table, F.to_formula_str(F.EQ(F.Field("Run ID"), run_id)))
        }
        rows = [
            {"Run ID": run_id, "Record ID": record["id"], "Record": json.dumps(record)}
            for record in records
            if (run_id, record["id"]) not in already
        ]
        if rows:
            self.create(self.archive_table, rows)

    def archived(self, run_id: str | None = None) -> list[ArchivedRecord]:
        if not self.archive_table:
            return self._require_fallback().archived(run_id)

        formula = F.to_formula_str(F.EQ(F.Field("Run ID"), run_id)) if run_id else None
        return [
            ArchivedRecord(record["fields"]["Run ID"], record["createdTime"], json.loads(record["fields"]["Record"]))
            for record in self._list(self.archive_table, formula)
        ]

    def _require_fallback(self):
        if self.fallback_archive is None:
            raise SsotError(
                "No durable dedupe archive: set AIRTABLE_ARCHIVE_TABLE, or CLAWBOT_DATA_DIR to a directory "
                "on durable storage. Nothing was deleted."
            )
        return self.fallback_archive
