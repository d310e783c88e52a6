"""One rate limiter for every process and container that talks to one Airtable base (or one
HubSpot account).

Airtable allows 5 requests/s per base, counted over a sliding 1 s window as requests *arrive*,
and answers every request to the base with 429 for 30 s after one too many (DESIGN §5). When a
request arrives is unknown to the client; what it knows is that the arrival lies between the
send and the response. So a request holds a slot from its send until one window after its
response arrives, and at most ``limit`` slots are open at once. Then no ``limit + 1`` requests
can arrive within one window, whatever the network and the host do: when a request is sent, each
of ``limit`` earlier requests whose slots are closed got its response, hence arrived, more than
a window before this send, hence before this arrival (docs/decisions.md, "Pacing Airtable").
A stall between taking a slot and sending (a busy host, a GC pause) only delays the arrival
further inside the slot, and a slow response only holds the slot longer. Throughput is
``limit / (window + round trip)``: 5/(1 + round trip) for Airtable.

A slot lives in the store ``rate_limiter_for`` picks from a URL: memory, a SQLite file (the
processes of one host, which share the host clock) or Postgres (every container of a deployment,
on the database's clock). The end of a 429 penalty and the count of requests per job and hour
(the ``airtable_budget`` asset) live beside the slots. A slot whose process died before the
response is closed ``max_hold_seconds`` after its send (longer than any request may take).

pyrate-limiter's buckets are no longer used: a bucket stamps an item once, at admission, and
offers no way to keep it open until a response arrives and then re-date it.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from clawbot_assets.adapters.rate_limit_stores import (
    HourlyRequests,
    MemoryStore,
    PostgresStore,
    SlotStore,
    SqliteStore,
    shared_pool,
)

from clawbot_assets.adapters.conninfo import is_postgres, parse_conninfo, postgres_address, redact_conninfo, without_secrets

#: Airtable's requests per base per sliding window. The window needs no margin for jitter: it is
#: counted from the response.
DEFAULT_LIMIT = 5
DEFAULT_WINDOW_SECONDS = 1.0
#: A slot never released (its process died mid-request) closes this long after its send: longer
#: than pyairtable's connect + read timeouts (10 + 60 s) of one attempt.
DEFAULT_MAX_HOLD_SECONDS = 75.0
#: The job a request is counted against when nobody said (``attributed_to``).
UNATTRIBUTED = "unattributed"

_current_job: ContextVar[str] = ContextVar("clawbot_request_job", default=UNATTRIBUTED)


@contextmanager
def attributed_to(job: str) -> Iterator[None]:
    """Requests sent inside count against ``job`` (a Dagster job, a sensor, a script)."""
    token = _current_job.set(job)
    try:
        yield
    finally:
        _current_job.reset(token)


def current_job() -> str:
    return _current_job.get()


class RateLimiterConfigError(ValueError):
    """A limiter URL is wrong or its store unreachable; the message never shows a password."""


def redact_url(url: str) -> str:
    """The limiter URL as it may be shown: a Postgres one (URL or ``key=value``) through libpq's
    parser with its password replaced by ``***`` (``conninfo.redact_conninfo``); ``memory://``
    and ``sqlite:///<path>`` hold no secret and are shown as they are."""
    if urlsplit(url).scheme in ("memory", "sqlite"):
        return url
    return redact_conninfo(url)


def with_password(url: str | None, password: str | None) -> str | None:
    """``url`` with ``password`` set for its user; unchanged without a password."""
    if not url or not password:
        return url
    parts = urlsplit(url)
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.partition(":")[0]  # already percent-encoded, as written in the URL
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


class SharedRateLimiter:
    """At most ``limit`` requests open at once, each open from its send until ``window_seconds``
    after its response, for everyone sharing the store; nothing at all while a penalty lasts."""

    def __init__(
        self,
        store: SlotStore,
        *,
        name: str,
        limit: int,
        window_seconds: float,
        description: str,
        max_hold_seconds: float = DEFAULT_MAX_HOLD_SECONDS,
    ):
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_hold_seconds = max_hold_seconds
        self.store = description
        self._store = store

    def __repr__(self) -> str:
        return f"SharedRateLimiter({self.name!r}, {self.limit} per {self.window_seconds} s after the response, {self.store})"

    @contextmanager
    def turn(self, job: str | None = None) -> Iterator[float]:
        """Hold a slot for one request: send inside the block, leave it once the response (or the
        error) is in. Yields the seconds waited for the slot."""
        slot, waited = self._take(job or current_job())
        try:
            yield waited
        finally:
            self._store.release(slot)

    def acquire(self, job: str | None = None) -> float:
        """A turn for a request that completes at once; returns the seconds waited."""
        with self.turn(job) as waited:
            return waited

    def _take(self, job: str) -> tuple[int, float]:
        started = time.monotonic()
        while True:
            penalty = self._store.penalty_remaining()
            if penalty > 0:
                time.sleep(penalty)
                continue
            verdict = self._store.take(job, self.limit, self.window_seconds, self.max_hold_seconds)
            if verdict.slot is not None:
                return verdict.slot, time.monotonic() - started
            time.sleep(verdict.wait_seconds)

    def penalty_remaining(self) -> float:
        """Seconds until the current 429 penalty is over, for everyone sharing the store; 0 when
        there is none (docs/runbooks/airtable_429_storm.md)."""
        return self._store.penalty_remaining()

    def penalise(self, seconds: float) -> None:
        """After a 429 nobody sharing the store sends for ``seconds``: Airtable rejects everything
        to the base until its penalty is over."""
        self._store.extend_penalty(seconds)

    def hourly_requests(self, since: dt.datetime) -> list[HourlyRequests]:
        """Requests sent through this store per limiter name, job and hour since ``since``."""
        return self._store.hourly_requests(since)


def _options(url: str, limit: int, window_seconds: float) -> tuple[str, int, float]:
    """``limit`` and ``window`` query parameters override the arguments (a test raises the limit
    through a resource's URL this way); other parameters stay for the store."""
    if is_postgres(url) and parse_conninfo(url) is not None:
        return url, limit, window_seconds  # libpq reads all of it: it holds no limit or window
    address, _, query = url.partition("?")
    kept = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "limit":
            limit = int(value)
        elif key == "window":
            window_seconds = float(value)
        else:
            kept.append((key, value))
    return address + ("?" + urlencode(kept) if kept else ""), limit, window_seconds


def rate_limiter_for(
    url: str | None,
    *,
    name: str,
    limit: int = DEFAULT_LIMIT,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
) -> SharedRateLimiter:
    """The limiter ``url`` names, for the budget ``name`` (``airtable:<base id>``: every process
    on one base shares it, two bases never do).

    ``None`` or ``memory://``: this object only. ``sqlite:///<absolute path>``: a file shared by
    the processes of one host (the path is always absolute; parent directories are created).
    ``postgresql://user:password@host:port/db``: tables in that database, shared by every host.
    """
    try:
        url, limit, window_seconds = _options(url or "memory://", limit, window_seconds)
    except ValueError:
        raise RateLimiterConfigError(f"Bad limit or window in rate limiter URL {redact_url(url or '')}") from None
    if limit < 1 or window_seconds <= 0:
        raise RateLimiterConfigError(f"A rate limit needs limit >= 1 and a positive window, not {limit}/{window_seconds}")
    scheme = urlsplit(url).scheme
    store: SlotStore
    if scheme == "memory":
        store = MemoryStore(name)
    elif scheme == "sqlite":
        store = SqliteStore(Path("/" + urlsplit(url).path.lstrip("/")), name)
    elif is_postgres(url):
        store = _postgres(url, name)
    else:
        raise RateLimiterConfigError(
            f"Rate limiter URL {redact_url(url)} is not memory://, sqlite:///<path> or postgresql://..."
        )
    return SharedRateLimiter(store, name=name, limit=limit, window_seconds=window_seconds, description=redact_url(url))


def _postgres(url: str, name: str) -> PostgresStore:
    """The Postgres store, connected now: the limiter is built before the client sends anything,
    so an unreachable database fails the run before its first Airtable request."""
    import psycopg

    try:
        return PostgresStore(shared_pool(url), name)
    except psycopg.OperationalError as error:
        raise RateLimiterStoreUnreachable(
            f"Postgres at {postgres_address(url)} is unreachable, so the Airtable rate limiter cannot "
            f"pace requests and none was sent (store {redact_url(url)}, CLAWBOT_RATE_LIMITER_URL): "
            f"{without_secrets(_reason(error), url)}"
        ) from None
    except Exception as error:
        raise RateLimiterConfigError(
            f"Rate limiter store {redact_url(url)} is unusable: {without_secrets(_reason(error), url)}"
        ) from None


class RateLimiterStoreUnreachable(RateLimiterConfigError):
    """The limiter's database did not answer; nothing was sent to the API it paces."""


def _reason(error: Exception) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())
