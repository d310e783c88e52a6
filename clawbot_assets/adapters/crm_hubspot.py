"""``CrmClient`` on the real ``hubspot-api-client`` (12.x).

The library pins every call used here to HubSpot's CRM v3 API; nothing outside this module
should know which HubSpot API version or endpoints ClawBot relies on.

Retries are urllib3's: the ``Retry`` given to ``HubSpot(retry=...)`` becomes
``Configuration.retries`` and then the ``retries`` of the urllib3 ``PoolManager`` behind each
API object, so 429/5xx answers are retried below the library and never reach it unless retries
run out (urllib3 then raises ``MaxRetryError``, not the library's ``ApiException``). Every 5xx
HubSpot sends for a transient fault (500, 502, 503, 504) is retried with backoff, for the GET and
for the deal search too: the search is a POST only because its filter is a body, it changes
nothing, so sending it again is safe. Pacing (``hubspot_pacing``) keeps requests below HubSpot's
limits, so a 429 is the exception rather than the way the client learns the rate.

The access token is cleaned (``clean_credential``) before it is used: surrounding whitespace
pasted with it is dropped, and a token with whitespace or control characters inside is refused
with an error naming ``HUBSPOT_ACCESS_TOKEN``, never the token, before any header is built.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import urllib3
from hubspot import HubSpot
from hubspot.crm.deals import Filter, FilterGroup, PublicObjectSearchRequest
from hubspot.crm.deals.exceptions import ApiException as DealsApiException
from hubspot.crm.deals.exceptions import OpenApiException as DealsOpenApiException
from hubspot.crm.pipelines.exceptions import ApiException as PipelinesApiException
from hubspot.crm.pipelines.exceptions import (
    OpenApiException as PipelinesOpenApiException,
)
from urllib3.util import Retry

from clawbot_assets.adapters.crm import (
    CrmError,
    Deal,
    Pipeline,
    SearchCapReachedError,
    Stage,
)
from clawbot_assets.adapters.hubspot_pacing import HubSpotPacer, process_pacer
from clawbot_assets.domain.credentials import clean_credential
from clawbot_assets.observability.tracing import external_call

#: The HubSpot CRM API version hubspot-api-client 12 calls; used to name endpoints in errors.
HUBSPOT_CRM_API_VERSION = "v3"
PIPELINES_ENDPOINT = f"GET /crm/{HUBSPOT_CRM_API_VERSION}/pipelines/deals"
DEAL_SEARCH_ENDPOINT = f"POST /crm/{HUBSPOT_CRM_API_VERSION}/objects/deals/search"

#: HubSpot search returns at most this many results per query, however it is paged.
SEARCH_RESULT_CAP = 10_000
MAX_PAGE_SIZE = 200
RETRY_STATUSES = (429, 500, 502, 503, 504)
TOKEN_VARIABLE = "HUBSPOT_ACCESS_TOKEN"
TRUTHY_VALUES = frozenset({"true", "yes", "1"})

_T = TypeVar("_T")

_LIBRARY_ERRORS: tuple[type[Exception], ...] = (
    DealsOpenApiException,
    PipelinesOpenApiException,
    urllib3.exceptions.HTTPError,
)


class _CountingRetry(Retry):
    """urllib3's ``Retry``, reporting each retry it is about to send and tolerating fractional Retry-After.

    urllib3 calls ``sleep`` right before it re-sends a request after an error or a retryable
    status, and only then, so that is where a retry is counted and paced; the callback gets the
    URL being retried. ``Retry`` objects are never mutated (``increment`` builds a new one
    through ``new``), so the callback is carried over in ``new``.
    """

    on_retry: Callable[[str | None], None] | None = None

    def new(self, **kw: Any) -> _CountingRetry:
        retry = super().new(**kw)
        retry.on_retry = self.on_retry
        return retry

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.on_retry is not None:
            self.on_retry(self.history[-1].url if self.history else None)

    def parse_retry_after(self, retry_after: str) -> float:
        """urllib3 accepts only whole seconds or an HTTP date and raises ``InvalidHeader`` on "0.5"."""
        try:
            seconds = float(retry_after)
        except ValueError:
            return super().parse_retry_after(retry_after)
        if not math.isfinite(seconds):
            return super().parse_retry_after(retry_after)
        return min(max(seconds, 0.0), getattr(self, "retry_after_max", math.inf))


def is_truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in TRUTHY_VALUES


class HubSpotCrm:
    """Deal pipelines and the deals in a pipeline stage, read from HubSpot.

    ``host`` replaces ``https://api.hubapi.com`` (production reads it from ``HUBSPOT_HOST``;
    tests point it at a local fake). ``requests_made`` counts HTTP attempts: one per API call
    plus one per retry urllib3 sends after an error or a retryable status (HubSpot's API does
    not redirect; redirects would not be counted).
    """

    def __init__(
        self,
        access_token: str,
        host: str | None = None,
        do_not_contact_property: str = "do_not_contact",
        max_retries: int = 5,
        backoff_factor: float = 1.0,
        page_size: int = 100,
        request_timeout: float = 30.0,
        pacer: HubSpotPacer | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        access_token = clean_credential(access_token, TOKEN_VARIABLE)
        self.requests_made = 0
        self._pacer = pacer or process_pacer()
        #: The slots of the call under way in this thread; a retry swaps them.
        self._calls = threading.local()
        self._access_token = access_token
        self._do_not_contact_property = do_not_contact_property
        self._max_retries = max_retries
        self._page_size = page_size
        self._request_timeout = request_timeout
        retry = _CountingRetry(
            total=max_retries,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            # None allows every method: the search is a POST but only reads, so retrying it is safe.
            allowed_methods=None,
            respect_retry_after_header=True,
        )
        retry.on_retry = self._before_retry
        config: dict[str, Any] = {"access_token": access_token, "retry": retry}
        if host:
            # The library sets each extra keyword on every API's Configuration; ``host`` is a
            # property there that replaces the base URL.
            config["host"] = host.rstrip("/")
        client = HubSpot(**config)
        # Each discovery attribute access builds a new ApiClient and connection pool; keep one.
        self._pipelines_api = client.crm.pipelines.pipelines_api
        self._search_api = client.crm.deals.search_api

    def deal_pipelines(self) -> list[Pipeline]:
        response = self._call(
            PIPELINES_ENDPOINT,
            False,
            lambda: self._pipelines_api.get_all(object_type="deals", _request_timeout=self._request_timeout),
        )
        return [
            Pipeline(
                id=pipeline.id,
                label=pipeline.label,
                stages=tuple(
                    Stage(id=stage.id, label=stage.label)
                    for stage in sorted(pipeline.stages, key=lambda stage: stage.display_order)
                ),
            )
            for pipeline in sorted(response.results, key=lambda pipeline: pipeline.display_order)
        ]

    def deals_in_stage(self, pipeline_id: str, stage_id: str) -> list[Deal]:
        """Every deal in the stage, paged with ``after``; raises rather than return a partial list."""
        what = f"{DEAL_SEARCH_ENDPOINT} (pipeline {pipeline_id!r}, stage {stage_id!r})"
        deals: dict[str, Deal] = {}
        after: str | None = None
        while True:
            page = self._call(what, True, partial(self._search_page, pipeline_id, stage_id, after))
            if page.total > SEARCH_RESULT_CAP:
                raise SearchCapReachedError(
                    f"{what} matched {page.total} deals; HubSpot search returns at most "
                    f"{SEARCH_RESULT_CAP} per query, so the list would be incomplete"
                )
            for result in page.results:
                deals[result.id] = self._to_deal(result, pipeline_id, stage_id)
            next_page = page.paging.next if page.paging else None
            if next_page is None or len(deals) >= page.total:
                return list(deals.values())
            if len(deals) >= SEARCH_RESULT_CAP:
                raise SearchCapReachedError(
                    f"{what} has more than {SEARCH_RESULT_CAP} deals to page through; "
                    "HubSpot refuses to page further, so the list would be incomplete"
                )
            after = next_page.after

    def _search_page(self, pipeline_id: str, stage_id: str, after: str | None) -> Any:
        request = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(property_name="dealstage", operator="EQ", value=stage_id),
                        Filter(property_name="pipeline", operator="EQ", value=pipeline_id),
                    ]
                )
            ],
            # The model types sorts as list[str], but HubSpot expects sort objects.
            sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            properties=["dealname", "dealstage", "pipeline", self._do_not_contact_property],
            limit=self._page_size,
            after=after,
        )
        return self._search_api.do_search(
            public_object_search_request=request, _request_timeout=self._request_timeout
        )

    def _to_deal(self, result: Any, pipeline_id: str, stage_id: str) -> Deal:
        properties = result.properties or {}
        return Deal(
            id=result.id,
            name=properties.get("dealname") or "",
            pipeline_id=properties.get("pipeline") or pipeline_id,
            stage_id=properties.get("dealstage") or stage_id,
            do_not_contact=is_truthy(properties.get(self._do_not_contact_property)),
        )

    def _before_retry(self, url: str | None) -> None:
        self.requests_made += 1
        call = getattr(self._calls, "current", None)
        if call is not None:
            call.retry()

    def _call(self, what: str, search: bool, request: Callable[[], _T]) -> _T:
        """One HubSpot API call, in one span, however many attempts urllib3 makes."""
        with external_call("hubspot", what, "/crm/v3/objects/deals/search" if search else "/crm/v3/pipelines/deals") as span:
            before = self.requests_made
            try:
                return self._attempt(what, search, request)
            finally:
                span.record(attempts=self.requests_made - before, retries=self.requests_made - before - 1)

    def _attempt(self, what: str, search: bool, request: Callable[[], _T]) -> _T:
        self.requests_made += 1
        try:
            with self._pacer.call(search) as self._calls.current:
                return request()
        except _LIBRARY_ERRORS as error:
            raise CrmError(self._redact(f"HubSpot {what} failed: {self._describe(error)}")) from error
        except ValueError as error:
            # The generated models validate required fields while deserialising.
            raise CrmError(self._redact(f"HubSpot {what} returned an unexpected response: {error}")) from error

    def _describe(self, error: Exception) -> str:
        if isinstance(error, (DealsApiException, PipelinesApiException)):
            return _describe_api_exception(error)
        if isinstance(error, urllib3.exceptions.MaxRetryError):
            return f"gave up after {self._max_retries} retries ({error.reason})"
        return f"{type(error).__name__}: {error}"

    def _redact(self, message: str) -> str:
        """Belt and braces: the token is only ever in request headers, but never let it out."""
        return message.replace(self._access_token, "[redacted]") if self._access_token else message


def _describe_api_exception(error: DealsApiException | PipelinesApiException) -> str:
    """Status, reason and HubSpot's own message and correlation id; never the raw headers."""
    description = f"HTTP {error.status} {error.reason or ''}".rstrip()
    try:
        body = json.loads(error.body) if error.body else {}
    except (TypeError, ValueError):
        body = {}
    if not isinstance(body, dict):
        return description
    if body.get("category"):
        description += f" ({body['category']})"
    if body.get("message"):
        description += f": {body['message']}"
    if body.get("correlationId"):
        description += f" [correlationId {body['correlationId']}]"
    return description
