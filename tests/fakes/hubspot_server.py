"""A local HTTP server that speaks HubSpot's CRM v3 protocol for deal pipelines and deal search.

It lets tests drive the real ``hubspot-api-client`` (and so the real urllib3 retry logic)
against a server they control: ``GET /crm/v3/pipelines/deals`` and
``POST /crm/v3/objects/deals/search``, bearer-token auth, HubSpot-shaped error bodies, the
10,000-result search cap, HubSpot's search rate limit (a sliding window: by default 4 searches in
any second, beyond which it answers 429 with HubSpot's body), fault injection and a log of every
request received.

    with FakeHubSpotServer(token="t", deals=[{"hs_object_id": "1", "dealstage": "s"}]) as server:
        HubSpotCrm("t", host=server.url).deals_in_stage("default", "s")
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from clawbot_assets.adapters.crm import Pipeline, Stage
from tests.fakes.background_server import JsonHandler, RecordedRequest, RecordingServer, StateServer

PIPELINES_PATH = "/crm/v3/pipelines/deals"
SEARCH_PATH = "/crm/v3/objects/deals/search"

#: HubSpot refuses to page a search past this many results.
SEARCH_RESULT_CAP = 10_000
MAX_SEARCH_LIMIT = 200
DEFAULT_SEARCH_LIMIT = 10
#: HubSpot answers 429 to a search beyond this many in any sliding window of this many seconds.
SEARCH_RATE_LIMIT = (4, 1.0)
#: Properties HubSpot returns on every deal search result, requested or not.
ALWAYS_RETURNED_PROPERTIES = ("createdate", "hs_lastmodifieddate", "hs_object_id")

_TIMESTAMP = "2024-01-15T09:30:00.000Z"

#: HubSpot's out-of-the-box sales pipeline.
DEFAULT_PIPELINES: tuple[Pipeline, ...] = (
    Pipeline(
        id="default",
        label="Sales Pipeline",
        stages=(
            Stage("appointmentscheduled", "Appointment Scheduled"),
            Stage("qualifiedtobuy", "Qualified To Buy"),
            Stage("presentationscheduled", "Presentation Scheduled"),
            Stage("decisionmakerboughtin", "Decision Maker Bought-In"),
            Stage("contractsent", "Contract Sent"),
            Stage("closedwon", "Closed Won"),
            Stage("closedlost", "Closed Lost"),
        ),
    ),
)


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: str | None
    method: str | None
    path: str | None
    #: matching requests to let through before the fault starts
    after: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path == path)


class _HubSpotError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _error_body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}


def _fault_error(fault: _Fault) -> _HubSpotError:
    headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
    if fault.status == 429:
        body = _error_body(
            "You have reached your secondly limit.", "RATE_LIMITS", errorType="RATE_LIMIT", policyName="SECONDLY"
        )
    elif fault.status >= 500:
        body = _error_body("internal error", "INTERNAL_ERROR")
    else:
        body = _error_body("injected failure", "VALIDATION_ERROR")
    return _HubSpotError(fault.status, body, headers)


def _rate_limited() -> _HubSpotError:
    return _HubSpotError(
        429,
        _error_body("You have reached your secondly limit.", "RATE_LIMITS", errorType="RATE_LIMIT", policyName="SECONDLY"),
    )


def _validation_error(message: str) -> _HubSpotError:
    return _HubSpotError(400, _error_body(message, "VALIDATION_ERROR"))


@dataclass
class _State:
    token: str
    pipelines: tuple[Pipeline, ...]
    deals: list[dict[str, str]]
    lock: threading.Lock = field(default_factory=threading.Lock)
    search_rate_limit: tuple[int, float] | None = SEARCH_RATE_LIMIT
    faults: list[_Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    #: arrival times of the searches that counted against the rate limit
    search_times: deque[float] = field(default_factory=deque)
    #: searches refused with 429 by the rate limit (injected faults are not counted)
    rate_limited: int = 0

    def over_search_limit(self, now: float) -> bool:
        """Record a search arriving at ``now``; true when it exceeds the sliding window (caller holds the lock)."""
        if self.search_rate_limit is None:
            return False
        limit, window = self.search_rate_limit
        while self.search_times and self.search_times[0] <= now - window:
            self.search_times.popleft()
        if len(self.search_times) >= limit:
            self.rate_limited += 1
            return True
        self.search_times.append(now)
        return False


def _pipelines_payload(pipelines: Sequence[Pipeline]) -> dict[str, Any]:
    return {
        "results": [
            {
                "id": pipeline.id,
                "label": pipeline.label,
                "displayOrder": order,
                "archived": False,
                "createdAt": _TIMESTAMP,
                "updatedAt": _TIMESTAMP,
                "stages": [
                    {
                        "id": stage.id,
                        "label": stage.label,
                        "displayOrder": stage_order,
                        "metadata": {"isClosed": "false", "probability": "0.5"},
                        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                        "archived": False,
                        "createdAt": _TIMESTAMP,
                        "updatedAt": _TIMESTAMP,
                    }
                    for stage_order, stage in enumerate(pipeline.stages)
                ],
            }
            for order, pipeline in enumerate(pipelines)
        ]
    }


def _matches_filter(deal: Mapping[str, str], spec: Mapping[str, Any]) -> bool:
    operator = spec.get("operator")
    name = spec.get("propertyName")
    if not isinstance(name, str):
        raise _validation_error("filter is missing propertyName")
    if operator == "EQ":
        return deal.get(name) == spec.get("value")
    if operator == "NEQ":
        return deal.get(name) != spec.get("value")
    if operator == "IN":
        return deal.get(name) in spec.get("values", [])
    raise _validation_error(f"operator {operator!r} is not supported by the fake")


def _matches(deal: Mapping[str, str], filter_groups: Sequence[Mapping[str, Any]]) -> bool:
    """Groups are OR-ed, filters inside a group AND-ed, as in HubSpot."""
    if not filter_groups:
        return True
    return any(all(_matches_filter(deal, f) for f in group.get("filters", [])) for group in filter_groups)


def _sort_key(property_name: str) -> Callable[[Mapping[str, str]], tuple[int, int, str]]:
    """Numeric strings (such as ``hs_object_id``) sort as numbers, before other strings."""

    def key(deal: Mapping[str, str]) -> tuple[int, int, str]:
        value = deal.get(property_name) or ""
        return (0, int(value), "") if value.isdigit() else (1, 0, value)

    return key


def _sorted(deals: list[dict[str, str]], sorts: Sequence[Any]) -> list[dict[str, str]]:
    ordered = list(deals)
    for sort in reversed(sorts):
        if not isinstance(sort, Mapping) or "propertyName" not in sort:
            raise _validation_error(f"sort {sort!r} must be an object with propertyName and direction")
        direction = sort.get("direction", "ASCENDING")
        if direction not in ("ASCENDING", "DESCENDING"):
            raise _validation_error(f"sort direction {direction!r} is invalid")
        ordered.sort(key=_sort_key(sort["propertyName"]), reverse=direction == "DESCENDING")
    return ordered


def _search_payload(deals: list[dict[str, str]], request: Any) -> dict[str, Any]:
    if not isinstance(request, Mapping):
        raise _validation_error("request body must be a JSON object")
    limit = request.get("limit", DEFAULT_SEARCH_LIMIT)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise _validation_error(f"limit must be between 1 and {MAX_SEARCH_LIMIT}, got {limit!r}")
    after_raw = request.get("after") or "0"
    if not str(after_raw).isdigit():
        raise _validation_error(f"after {after_raw!r} is not a valid paging cursor")
    after = int(after_raw)
    if after >= SEARCH_RESULT_CAP:
        raise _validation_error(
            f"Search results are limited to {SEARCH_RESULT_CAP} total results; cannot page past after={after}"
        )
    matching = [deal for deal in deals if _matches(deal, request.get("filterGroups", []))]
    matching = _sorted(matching, request.get("sorts", []))
    page = matching[after : after + limit]
    names = [*ALWAYS_RETURNED_PROPERTIES, *request.get("properties", [])]
    payload: dict[str, Any] = {
        "total": len(matching),
        "results": [
            {
                "id": deal["hs_object_id"],
                "properties": {name: deal.get(name) for name in names},
                "createdAt": _TIMESTAMP,
                "updatedAt": _TIMESTAMP,
                "archived": False,
            }
            for deal in page
        ],
    }
    if after + limit < len(matching):
        payload["paging"] = {"next": {"after": str(after + limit)}}
    return payload


class _Handler(JsonHandler):
    server: StateServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with state.lock:
            state.requests.append(
                RecordedRequest(self.command, url.path, parse_qs(url.query), dict(self.headers.items()), body)
            )
            fault = next((f for f in state.faults if f.matches(self.command, url.path)), None)
            if fault is not None and fault.after > 0:
                fault.after -= 1
                fault = None
            elif fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    state.faults.remove(fault)
            throttled = (
                fault is None
                and self.command == "POST"
                and url.path == SEARCH_PATH
                and state.over_search_limit(time.monotonic())
            )
        try:
            if fault is not None:
                raise _fault_error(fault)
            if throttled:
                raise _rate_limited()
            self._check_auth(state.token)
            self._send(200, self._route(state, url.path, body))
        except _HubSpotError as error:
            self._send(error.status, error.body, error.headers)

    def _check_auth(self, token: str) -> None:
        if self.headers.get("Authorization") != f"Bearer {token}":
            raise _HubSpotError(
                401,
                _error_body(
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                    "INVALID_AUTHENTICATION",
                ),
            )

    def _route(self, state: _State, path: str, body: Any) -> dict[str, Any]:
        if self.command == "GET" and path == PIPELINES_PATH:
            return _pipelines_payload(state.pipelines)
        if self.command == "POST" and path == SEARCH_PATH:
            return _search_payload(state.deals, body)
        raise _HubSpotError(404, _error_body(f"No route for {self.command} {path}", "OBJECT_NOT_FOUND"))




class FakeHubSpotServer(RecordingServer):
    """HubSpot's deal pipelines and deal search, served on 127.0.0.1 from a background thread.

    ``deals`` are property maps as HubSpot stores them (all values strings); each needs
    ``hs_object_id``, which becomes the result ``id``. Use as a context manager, or call
    ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        token: str = "test-token",
        pipelines: Iterable[Pipeline] = DEFAULT_PIPELINES,
        deals: Iterable[Mapping[str, str]] = (),
        search_rate_limit: tuple[int, float] | None = SEARCH_RATE_LIMIT,
    ) -> None:
        self.state = _State(
            token=token,
            pipelines=tuple(pipelines),
            deals=[dict(deal) for deal in deals],
            search_rate_limit=search_rate_limit,
        )

    thread_name = "fake-hubspot"
    handler = _Handler

    @property
    def rate_limited(self) -> int:
        """Searches refused with 429 by the rate limit so far."""
        with self.state.lock:
            return self.state.rate_limited

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def fail_next(
        self,
        status: int = 429,
        count: int = 1,
        retry_after: str | None = "0",
        method: str | None = None,
        path: str | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` and a HubSpot error body.

        ``retry_after`` is sent verbatim as the ``Retry-After`` header (``None`` omits it).
        ``method`` and ``path`` narrow which requests the fault applies to; ``after`` lets that
        many matching requests through first (a fault in the middle of paging).
        """
        with self.state.lock:
            self.state.faults.append(_Fault(status, count, retry_after, method, path, after))

