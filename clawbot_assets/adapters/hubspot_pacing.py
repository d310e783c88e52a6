"""Pacing below HubSpot's rate limits, shared by every process and container on one account.

HubSpot allows about 4 deal searches a second per account and, across all endpoints, 100 to 190
requests per 10 seconds depending on the plan. Paging 10,000 deals back to back used to cost 48
429s. Each request now holds a slot of two ``SharedRateLimiter``s (the same slots-until-the-
response rule as Airtable's, see ``rate_limit``) for as long as it is in flight, plus a window:

- searches: at most 4 open slots, each until 1 s after its response, so HubSpot's 1 s window
  never sees a fifth, whatever the latency;
- every request: at most 90 open slots, each until 10 s after its response, below the lowest
  plan's 100.

HubSpot's limits are per account, not per process, so the slots live in the store of
``CLAWBOT_RATE_LIMITER_URL`` (the SQLite file of the host by default, the deployment's Postgres
in production), under names of their own. A retry urllib3 sends after an error takes fresh
slots: the attempt before it has had its response.
"""

from __future__ import annotations

import functools
from contextlib import ExitStack, contextmanager
from typing import Iterator

from clawbot_assets.adapters.rate_limit import SharedRateLimiter, rate_limiter_for

SEARCH_LIMIT, SEARCH_WINDOW_SECONDS = 4, 1.0
GENERAL_LIMIT, GENERAL_WINDOW_SECONDS = 90, 10.0


class HubSpotPacer:
    """Holds each request's slots from before it is sent until its response is in."""

    def __init__(self, store_url: str | None = None, account: str = "api.hubapi.com") -> None:
        self.general: SharedRateLimiter = rate_limiter_for(
            store_url, name=f"hubspot:{account}", limit=GENERAL_LIMIT, window_seconds=GENERAL_WINDOW_SECONDS
        )
        self.search: SharedRateLimiter = rate_limiter_for(
            store_url, name=f"hubspot-search:{account}", limit=SEARCH_LIMIT, window_seconds=SEARCH_WINDOW_SECONDS
        )

    @contextmanager
    def call(self, search: bool) -> Iterator["PacedCall"]:
        """The slots of one API call; ``PacedCall.retry`` swaps them for fresh ones before a retry."""
        paced = PacedCall(self, search)
        try:
            paced.take()
            yield paced
        finally:
            paced.release()


class PacedCall:
    def __init__(self, pacer: HubSpotPacer, search: bool) -> None:
        self._pacer = pacer
        self._search = search
        self._held = ExitStack()

    def take(self) -> None:
        self._held.enter_context(self._pacer.general.turn())
        if self._search:
            self._held.enter_context(self._pacer.search.turn())

    def release(self) -> None:
        self._held.close()

    def retry(self) -> None:
        """The previous attempt's response is in; the retry needs slots of its own."""
        self.release()
        self.take()


@functools.cache
def process_pacer() -> HubSpotPacer:
    """The pacer of clients given none: in memory, shared by every client of this process."""
    return HubSpotPacer()
