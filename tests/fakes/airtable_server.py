"""A local Airtable: enough of the REST API at ``/v0`` for the real pyairtable client.

It serves list (GET and the ``POST .../listRecords`` fallback), create, update, upsert and
delete on in-memory tables, and enforces what the adapter has to cope with:

- Airtable's rate limit: at most ``rate_limit`` requests per rolling second per base; the
  request beyond it gets a 429 and starts a penalty during which every request to the base
  gets a 429 (Airtable's is 30 s);
- network jitter (``latency``, ``response_latency``): each request is held a random time before
  the server sees it and each answer before it leaves, so requests sent in order can arrive
  closer together than they were sent; ``stall_client`` adds the client's own random stalls
  (a busy host, a GC pause) between taking a turn and sending, and after the answer arrives;
- whole-request failures: an ambiguous upsert, an update of a missing record or a delete of
  a missing record writes nothing;
- listing offsets that expire (``expire_offsets_once``);
- injected faults (``inject``), optionally after the request was carried out, the way a
  gateway can time out on a write that the backend committed.

Only the ``filterByFormula`` shapes that the adapter renders with ``pyairtable.formulas`` are
understood (see ``parse_formula``); anything else gets Airtable's 422 INVALID_FILTER_BY_FORMULA.
Every request is logged with its status, so tests can assert exact request counts.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import secrets
import string
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from tests.fakes.background_server import BackgroundHttpServer

MAX_RECORDS_PER_WRITE = 10
MAX_PAGE_SIZE = 100
_ID_ALPHABET = string.ascii_letters + string.digits

Fields = dict[str, Any]


class AirtableApiError(Exception):
    """An error response: the handlers raise it, the dispatcher turns it into JSON."""

    def __init__(self, status: int, error_type: str, message: str = ""):
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": error_type, "message": message or error_type}}


def _error_body(status: int) -> dict[str, Any]:
    types = {
        429: ("RATE_LIMIT_REACHED", "Rate limit exceeded. Please try again later"),
        500: ("SERVER_ERROR", "Internal server error"),
        502: ("BAD_GATEWAY", "Bad gateway"),
        503: ("SERVICE_UNAVAILABLE", "Service unavailable"),
        504: ("GATEWAY_TIMEOUT", "Gateway timeout"),
    }
    error_type, message = types.get(status, ("INJECTED_FAILURE", f"Injected HTTP {status}"))
    return {"error": {"type": error_type, "message": message}}


def airtable_time(moment: dt.datetime) -> str:
    """UTC with milliseconds and a Z, as Airtable writes ``createdTime``."""
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


def _now() -> dt.datetime:
    """Now at Airtable's millisecond precision, so stored and formatted times agree."""
    moment = dt.datetime.now(dt.timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _new_id(prefix: str = "rec") -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))


def _is_empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def _visible(fields: Mapping[str, Any]) -> Fields:
    """Airtable leaves empty cells (None, "", [], unchecked) out of returned records."""
    return {name: value for name, value in fields.items() if not _is_empty(value)}


@dataclass
class StoredRecord:
    id: str
    created: dt.datetime
    modified: dt.datetime
    fields: Fields

    def to_json(self, only: Iterable[str] | None = None) -> dict[str, Any]:
        fields = _visible(self.fields)
        if only is not None:
            wanted = set(only)
            fields = {name: value for name, value in fields.items() if name in wanted}
        return {"id": self.id, "createdTime": airtable_time(self.created), "fields": fields}


# -- filterByFormula ---------------------------------------------------------------------------

Predicate = Callable[[StoredRecord], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\{(?:\\.|[^\\}])*\})
      | (?P<string>'(?:\\.|[^\\'])*')
      | (?P<name>[A-Z_]+)
      | (?P<punct>[(),=])
    )""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_TIME_FUNCTIONS = {"CREATED_TIME": "created", "LAST_MODIFIED_TIME": "modified"}


class FormulaError(ValueError):
    pass


def _tokenize(formula: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while formula[position:].strip():
        match = _TOKEN.match(formula, position)
        if not match:
            raise FormulaError(f"unexpected text at {position}: {formula[position:position + 20]!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind in ("field", "string"):
            text = _ESCAPE.sub(r"\1", text[1:-1])
        tokens.append((kind, text))
        position = match.end()
    return tokens


def _cell_text(value: Any) -> str:
    """How a formula sees a cell when comparing it with a string."""
    if _is_empty(value):
        return ""
    if isinstance(value, list):
        return ", ".join(_cell_text(item) for item in value)
    if value is True:
        return "1"
    return str(value)


def _cell_time(value: Any) -> dt.datetime | None:
    """A date or date-time cell as Airtable compares it (a date is midnight UTC); None if blank."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_time(value.strip())
    except ValueError:
        return None


class _FormulaParser:
    """Recursive descent over exactly the shapes the adapter renders with ``pyairtable.formulas``::

        formula    := term
        term       := (OR | AND) '(' term (',' term)* ')' | NOT '(' term ')'
                    | operand '=' STRING | IS_AFTER '(' time ',' STRING ')'
        operand    := FIELD | RECORD_ID '(' ')'
        time       := CREATED_TIME '(' ')' | LAST_MODIFIED_TIME '(' ')' | FIELD

    ``IS_AFTER`` of a blank or unreadable cell is false, as on Airtable.
    """

    def __init__(self, formula: str):
        self.tokens = _tokenize(formula)
        self.position = 0

    def parse(self) -> Predicate:
        predicate = self._term()
        if self.position != len(self.tokens):
            raise FormulaError("trailing tokens")
        return predicate

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, kind: str, text: str | None = None) -> str:
        token = self._peek()
        if token is None or token[0] != kind or (text is not None and token[1] != text):
            raise FormulaError(f"expected {text or kind}, got {token}")
        self.position += 1
        return token[1]

    def _terms(self) -> list[Predicate]:
        self._take("punct", "(")
        terms = [self._term()]
        while self._peek() == ("punct", ","):
            self._take("punct", ",")
            terms.append(self._term())
        self._take("punct", ")")
        return terms

    def _term(self) -> Predicate:
        token = self._peek()
        if token in (("name", "OR"), ("name", "AND")):
            self.position += 1
            terms = self._terms()
            combine = any if token[1] == "OR" else all
            return lambda record: combine(term(record) for term in terms)
        if token == ("name", "NOT"):
            self.position += 1
            self._take("punct", "(")
            inner = self._term()
            self._take("punct", ")")
            return lambda record: not inner(record)
        if token == ("name", "IS_AFTER"):
            return self._is_after()
        if token is not None and token[0] == "field":
            name = self._take("field")
            self._take("punct", "=")
            expected = self._take("string")
            return lambda record: _cell_text(record.fields.get(name)) == expected
        self._take("name", "RECORD_ID")
        self._take("punct", "(")
        self._take("punct", ")")
        self._take("punct", "=")
        expected = self._take("string")
        return lambda record: record.id == expected

    def _is_after(self) -> Predicate:
        self._take("name", "IS_AFTER")
        self._take("punct", "(")
        token = self._peek()
        moment_of: Callable[[StoredRecord], dt.datetime | None]
        if token is not None and token[0] == "field":
            name = self._take("field")
            moment_of = lambda record: _cell_time(record.fields.get(name))  # noqa: E731
        else:
            function = self._take("name")
            if function not in _TIME_FUNCTIONS:
                raise FormulaError(f"unsupported function {function}")
            attribute = _TIME_FUNCTIONS[function]
            self._take("punct", "(")
            self._take("punct", ")")
            moment_of = lambda record: getattr(record, attribute)  # noqa: E731
        self._take("punct", ",")
        try:
            since = parse_time(self._take("string"))
        except ValueError as error:
            raise FormulaError(str(error)) from None
        self._take("punct", ")")

        def after(record: StoredRecord) -> bool:
            moment = moment_of(record)
            return moment is not None and moment > since

        return after


def parse_formula(formula: str) -> Predicate:
    try:
        return _FormulaParser(formula).parse()
    except FormulaError as error:
        raise AirtableApiError(
            422, "INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {error}"
        ) from None


# -- server state ------------------------------------------------------------------------------


@dataclass
class LoggedRequest:
    #: When the server checked the request against the rate limit (after ``latency``).
    time: float
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0
    #: "rate", "penalty" or "injected" when the server refused without looking at the request.
    refusal: str | None = None


@dataclass
class _Injection:
    status: int
    remaining: int
    method: str | None
    skip: int
    penalize: bool
    after_apply: bool


@dataclass
class _Listing:
    """A live offset: the ids that matched on the first page, so later pages are stable."""

    base: str
    table: str
    ids: list[str]
    position: int
    fields: list[str] | None


@dataclass
class _BaseLimits:
    admitted: deque[float] = field(default_factory=deque)
    penalty_until: float = 0.0


class FakeAirtable(BackgroundHttpServer):
    """In-memory Airtable on ``127.0.0.1``; ``url`` is the ``endpoint_url`` for pyairtable.

    ``token=None`` accepts any bearer token. ``rate_limit`` requests are allowed per
    ``window_seconds`` per base; a request beyond it starts a ``penalty_seconds`` penalty.
    ``latency=(low, high)`` delays each request by a uniform random time on its way in, before
    the rate check, and ``response_latency`` each answer on its way out; neither holds the
    server's lock, so delayed requests do not queue behind each other.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        rate_limit: int = 5,
        window_seconds: float = 1.0,
        penalty_seconds: float = 30.0,
        latency: tuple[float, float] | None = None,
        response_latency: tuple[float, float] | None = None,
    ):
        self.token = token
        self.latency = latency
        self.response_latency = response_latency
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.penalty_seconds = penalty_seconds
        self.log: list[LoggedRequest] = []
        self._tables: dict[tuple[str, str], dict[str, StoredRecord]] = {}
        self._limits: dict[str, _BaseLimits] = {}
        self._listings: dict[str, _Listing] = {}
        self._injections: list[_Injection] = []
        self._expire_next_offset = False
        self._lock = threading.RLock()

    thread_name = "fake-airtable"

    def make_server(self) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        return server

    # -- test helpers --------------------------------------------------------------------------

    def seed(self, base: str, table: str, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Insert records, each either bare fields or ``{"fields", "id"?, "createdTime"?,
        "lastModifiedTime"?}``; returns them as Airtable would."""
        stored = []
        with self._lock:
            rows = self._table(base, table)
            for record in records:
                if "fields" not in record:
                    record = {"fields": record}
                created = parse_time(record["createdTime"]) if record.get("createdTime") else _now()
                modified = parse_time(record["lastModifiedTime"]) if record.get("lastModifiedTime") else created
                item = StoredRecord(record.get("id") or _new_id(), created, modified, dict(record["fields"]))
                rows[item.id] = item
                stored.append(item.to_json())
        return stored

    def records(self, base: str, table: str) -> list[dict[str, Any]]:
        with self._lock:
            return [record.to_json() for record in self._tables.get((base, table), {}).values()]

    def inject(
        self,
        status: int,
        count: int = 1,
        method: str | None = None,
        *,
        skip: int = 0,
        penalize: bool = False,
        after_apply: bool = False,
    ) -> None:
        """Answer ``status`` to the next ``count`` requests (of ``method`` if given) after
        letting ``skip`` of them through. ``penalize`` makes an injected 429 start the penalty;
        ``after_apply`` carries the request out first and then answers ``status``."""
        with self._lock:
            self._injections.append(
                _Injection(status, count, method.upper() if method else None, skip, penalize, after_apply)
            )

    def expire_offsets_once(self) -> None:
        """The next request that presents an offset gets LIST_RECORDS_ITERATOR_NOT_AVAILABLE."""
        with self._lock:
            self._expire_next_offset = True

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- counters ------------------------------------------------------------------------------

    @property
    def total_requests(self) -> int:
        return len(self.log)

    @property
    def requests_by_method(self) -> Counter[str]:
        return Counter(entry.method for entry in self.log)

    @property
    def status_counts(self) -> Counter[int]:
        return Counter(entry.status for entry in self.log)

    @property
    def rate_violations(self) -> int:
        """429s answered because a request exceeded the per-base rate (each starts a penalty)."""
        return sum(entry.refusal == "rate" for entry in self.log)

    @property
    def penalty_rejections(self) -> int:
        """429s answered because the request arrived during a penalty."""
        return sum(entry.refusal == "penalty" for entry in self.log)

    @property
    def provoked_429s(self) -> int:
        """429s the client earned by its pace, as opposed to injected ones."""
        return self.rate_violations + self.penalty_rejections

    @property
    def injected_failures(self) -> int:
        return sum(entry.refusal == "injected" for entry in self.log)

    def requests(self, method: str | None = None, status: int | None = None) -> list[LoggedRequest]:
        return [
            entry
            for entry in self.log
            if (method is None or entry.method == method.upper()) and (status is None or entry.status == status)
        ]

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], raw_body: bytes) -> tuple[int, Any]:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        _delay(self.latency)
        entry = LoggedRequest(time.time(), method, split.path, query, None)
        with self._lock:
            entry.time = time.time()
            try:
                entry.body = json.loads(raw_body) if raw_body else None
            except ValueError:
                entry.body = raw_body.decode("utf-8", "replace")
            status, body = self._respond(entry, headers)
            entry.status = status
            self.log.append(entry)
        return status, body

    def _respond(self, entry: LoggedRequest, headers: Mapping[str, str]) -> tuple[int, Any]:
        if not self._authorized(headers.get("Authorization", "")):
            return 401, {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}
        segments = [unquote(part) for part in entry.path.split("/")]
        if len(segments) not in (4, 5) or segments[:2] != ["", "v0"] or not all(segments[2:4]):
            return 404, {"error": "NOT_FOUND"}
        base, table = segments[2], segments[3]
        list_via_post = len(segments) == 5
        if list_via_post and (segments[4] != "listRecords" or entry.method != "POST"):
            return 404, {"error": "NOT_FOUND"}

        refusal = self._rate_check(base)
        if refusal:
            entry.refusal = refusal
            return 429, _error_body(429)

        injection = self._take_injection(entry.method, base)
        try:
            if injection is not None and not injection.after_apply:
                entry.refusal = "injected"
                return injection.status, _error_body(injection.status)
            result = self._route(entry, base, table, list_via_post)
        except AirtableApiError as error:
            result = (error.status, error.body)
        if injection is not None:
            entry.refusal = "injected"
            return injection.status, _error_body(injection.status)
        return result

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return False
        return self.token is None or secrets.compare_digest(token, self.token)

    def _rate_check(self, base: str) -> str | None:
        now = time.monotonic()
        limits = self._limits.setdefault(base, _BaseLimits())
        if now < limits.penalty_until:
            return "penalty"
        while limits.admitted and limits.admitted[0] <= now - self.window_seconds:
            limits.admitted.popleft()
        if len(limits.admitted) >= self.rate_limit:
            limits.penalty_until = now + self.penalty_seconds
            return "rate"
        limits.admitted.append(now)
        return None

    def _take_injection(self, method: str, base: str) -> _Injection | None:
        for injection in self._injections:
            if injection.method not in (None, method):
                continue
            if injection.skip:
                injection.skip -= 1
                return None
            injection.remaining -= 1
            if injection.remaining <= 0:
                self._injections.remove(injection)
            if injection.penalize and injection.status == 429:
                self._limits[base].penalty_until = time.monotonic() + self.penalty_seconds
            return injection
        return None

    def _route(self, entry: LoggedRequest, base: str, table: str, list_via_post: bool) -> tuple[int, Any]:
        body = entry.body if isinstance(entry.body, dict) else {}
        if entry.method == "GET":
            return 200, self._list(base, table, self._query_options(entry.query))
        if entry.method == "POST" and list_via_post:
            return 200, self._list(base, table, body)
        if entry.method == "POST":
            return 200, self._create(base, table, body)
        if entry.method in ("PATCH", "PUT"):
            replace = entry.method == "PUT"
            if "performUpsert" in body:
                return 200, self._upsert(base, table, body, replace)
            return 200, self._update(base, table, body, replace)
        if entry.method == "DELETE":
            return 200, self._delete(base, table, entry.query.get("records[]", []))
        return 404, {"error": "NOT_FOUND"}

    def _table(self, base: str, table: str) -> dict[str, StoredRecord]:
        return self._tables.setdefault((base, table), {})

    # -- list ----------------------------------------------------------------------------------

    @staticmethod
    def _query_options(query: Mapping[str, list[str]]) -> dict[str, Any]:
        options: dict[str, Any] = {name: values[-1] for name, values in query.items() if not name.endswith("[]")}
        if "fields[]" in query:
            options["fields"] = query["fields[]"]
        return options

    def _list(self, base: str, table: str, options: Mapping[str, Any]) -> dict[str, Any]:
        try:
            page_size = int(options.get("pageSize", MAX_PAGE_SIZE))
        except (TypeError, ValueError):
            page_size = 0
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise AirtableApiError(422, "INVALID_PAGE_SIZE", "pageSize must be between 1 and 100")
        rows = self._table(base, table)
        offset = options.get("offset")
        if offset:
            listing = self._listings.pop(str(offset), None)
            if self._expire_next_offset or listing is None or (listing.base, listing.table) != (base, table):
                self._expire_next_offset = False
                raise AirtableApiError(
                    422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "The offset is no longer valid; restart the listing"
                )
        else:
            formula = options.get("filterByFormula")
            predicate = parse_formula(str(formula)) if formula else None
            ids = [record.id for record in rows.values() if predicate is None or predicate(record)]
            fields = options.get("fields")
            listing = _Listing(base, table, ids, 0, list(fields) if fields is not None else None)

        page_ids = listing.ids[listing.position : listing.position + page_size]
        listing.position += len(page_ids)
        page = [rows[record_id].to_json(listing.fields) for record_id in page_ids if record_id in rows]
        response: dict[str, Any] = {"records": page}
        if listing.position < len(listing.ids):
            token = f"itr{_new_id('')}/{listing.ids[listing.position]}"
            self._listings[token] = listing
            response["offset"] = token
        return response

    # -- writes --------------------------------------------------------------------------------

    @staticmethod
    def _write_records(body: Mapping[str, Any]) -> list[dict[str, Any]]:
        records = body.get("records")
        if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS_PER_WRITE:
            raise AirtableApiError(
                422, "INVALID_RECORDS", f'"records" must be an array of 1 to {MAX_RECORDS_PER_WRITE} records'
            )
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("fields"), dict):
                raise AirtableApiError(422, "INVALID_RECORDS", "Each record needs a fields object")
        return records

    def _create(self, base: str, table: str, body: Mapping[str, Any]) -> dict[str, Any]:
        records = self._write_records(body)
        rows = self._table(base, table)
        now = _now()
        created = [StoredRecord(_new_id(), now, now, dict(record["fields"])) for record in records]
        for record in created:
            rows[record.id] = record
        return {"records": [record.to_json() for record in created]}

    def _require_ids(self, rows: Mapping[str, StoredRecord], records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            if "id" in record and record["id"] not in rows:
                raise AirtableApiError(422, "ROW_DOES_NOT_EXIST", f"Record ID {record['id']} does not exist")

    @staticmethod
    def _write(record: StoredRecord, fields: Mapping[str, Any], replace: bool, now: dt.datetime) -> None:
        record.fields = dict(fields) if replace else {**record.fields, **fields}
        record.modified = now

    def _update(self, base: str, table: str, body: Mapping[str, Any], replace: bool) -> dict[str, Any]:
        records = self._write_records(body)
        if any("id" not in record for record in records):
            raise AirtableApiError(422, "INVALID_RECORDS", "Each record to update needs an id")
        rows = self._table(base, table)
        self._require_ids(rows, records)
        now = _now()
        for record in records:
            self._write(rows[record["id"]], record["fields"], replace, now)
        return {"records": [rows[record["id"]].to_json() for record in records]}

    def _upsert(self, base: str, table: str, body: Mapping[str, Any], replace: bool) -> dict[str, Any]:
        records = self._write_records(body)
        merge_on = (body.get("performUpsert") or {}).get("fieldsToMergeOn")
        if not isinstance(merge_on, list) or not 1 <= len(merge_on) <= 3:
            raise AirtableApiError(422, "INVALID_REQUEST_UNKNOWN", "fieldsToMergeOn must list 1 to 3 fields")
        rows = self._table(base, table)
        self._require_ids(rows, records)

        plan: list[tuple[str | None, Mapping[str, Any]]] = []
        seen: set[tuple[str, ...]] = set()
        wanted = {
            tuple(_cell_text(record["fields"].get(name)) for name in merge_on) for record in records if "id" not in record
        }
        # One pass over the table per request, not per record: large tables stay fast.
        holders: dict[tuple[str, ...], list[str]] = {}
        for row in rows.values():
            row_key = tuple(_cell_text(row.fields.get(name)) for name in merge_on)
            if row_key in wanted:
                holders.setdefault(row_key, []).append(row.id)
        for record in records:
            fields = record["fields"]
            if "id" in record:
                plan.append((record["id"], fields))
                continue
            if any(name not in fields for name in merge_on):
                raise AirtableApiError(422, "INVALID_RECORDS", f"Each record needs a value for {merge_on}")
            key = tuple(_cell_text(fields[name]) for name in merge_on)
            if key in seen:
                raise AirtableApiError(422, "INVALID_RECORDS", "Two records in the request share merge values")
            seen.add(key)
            matches = holders.get(key, [])
            if len(matches) > 1:
                raise AirtableApiError(
                    422,
                    "INVALID_VALUE_FOR_COLUMN",
                    f"Cannot upsert: {len(matches)} records match the merge fields {merge_on}",
                )
            plan.append((matches[0] if matches else None, fields))

        now = _now()
        created: list[str] = []
        updated: list[str] = []
        touched: list[StoredRecord] = []
        for record_id, fields in plan:
            if record_id is None:
                record = StoredRecord(_new_id(), now, now, dict(fields))
                rows[record.id] = record
                created.append(record.id)
            else:
                record = rows[record_id]
                self._write(record, fields, replace, now)
                updated.append(record_id)
            touched.append(record)
        return {
            "records": [record.to_json() for record in touched],
            "createdRecords": created,
            "updatedRecords": updated,
        }

    def _delete(self, base: str, table: str, record_ids: list[str]) -> dict[str, Any]:
        if not 1 <= len(record_ids) <= MAX_RECORDS_PER_WRITE:
            raise AirtableApiError(
                422, "INVALID_RECORDS", f'"records" must be an array of up to {MAX_RECORDS_PER_WRITE} record IDs.'
            )
        rows = self._table(base, table)
        missing = [record_id for record_id in record_ids if record_id not in rows]
        if missing:
            raise AirtableApiError(404, "NOT_FOUND", f"Could not find record {missing[0]}")
        unique = list(dict.fromkeys(record_ids))
        for record_id in unique:
            del rows[record_id]
        return {"records": [{"id": record_id, "deleted": True} for record_id in unique]}


def _delay(latency: tuple[float, float] | None) -> None:
    if latency:
        time.sleep(random.uniform(*latency))


class StallingAdapter(HTTPAdapter):
    """requests' adapter with a random stall before each request leaves and after its answer
    arrives: what a loaded host does to a client between its rate limiter and the wire."""

    def __init__(self, stall: tuple[float, float]):
        super().__init__()
        self.stall = stall

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        _delay(self.stall)
        response = super().send(request, *args, **kwargs)
        _delay(self.stall)
        return response


def stall_client(session: requests.Session, stall: tuple[float, float]) -> None:
    """Every request ``session`` sends over http:// stalls ``stall`` seconds each way."""
    session.mount("http://", StallingAdapter(stall))


class _Handler(BaseHTTPRequestHandler):
    #: Headers and body go out in two writes; without this, Nagle's algorithm and the client's
    #: delayed ACK add 40 ms to every response on loopback.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    #: Idle keep-alive connections give up after this long, so their threads end.
    timeout = 10

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        fake: FakeAirtable = self.server.fake  # type: ignore[attr-defined]
        status, body = fake.handle(self.command, self.path, self.headers, raw_body)
        _delay(fake.response_latency)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line; ``FakeAirtable.log`` has every request."""
