"""Pacing below HubSpot's rate limits, so searches never rely on 429s and retries.

HubSpot allows about 4 deal searches a second per account and, across all endpoints, 100 to 190
requests per 10 seconds depending on the plan. Paging 10,000 deals back to back used to cost 48
429s. Each request now first takes a permit from pyrate-limiter's sliding-window buckets:

- searches: at most 4 in any 1.25 s. Any 5 consecutive searches then span at least 1.25 s, so
  HubSpot's 1 s window sees at most 4 of them even when the network delays the first by a
  quarter of a second more than the fifth;
- every request: at most 90 in any 10 s, below the lowest plan's 100.

Retries that urllib3 sends after an error take a permit too (see ``crm_hubspot``).

The buckets are in memory: one ``shared_pacer()`` per process, used by every ``HubSpotCrm``
made in it (the CRM resource makes a new client per call). Separate processes (runs under the
multiprocess executor, separate ECS tasks) each pace on their own; sharing the budget across
them needs pyrate-limiter's SQLite or Postgres bucket, as the Airtable pacing does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from pyrate_limiter import Duration, Limiter, Rate

SEARCH_RATES: tuple[Rate, ...] = (Rate(4, 1250),)
GENERAL_RATES: tuple[Rate, ...] = (Rate(90, 10 * Duration.SECOND),)


class HubSpotPacer:
    """Blocks each request until HubSpot's limits leave room for it."""

    def __init__(self, search_rates: Sequence[Rate] = SEARCH_RATES, general_rates: Sequence[Rate] = GENERAL_RATES) -> None:
        self._search = Limiter(list(search_rates))
        self._general = Limiter(list(general_rates))

    def before_request(self, search: bool) -> None:
        self._general.try_acquire("hubspot")
        if search:
            self._search.try_acquire("hubspot_search")


@functools.cache
def shared_pacer() -> HubSpotPacer:
    """The process's one pacer (made on first use, never at import)."""
    return HubSpotPacer()
