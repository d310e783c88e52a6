"""One rate limiter for every process and container that talks to one Airtable base.

Airtable allows 5 requests/s per base, counted over a sliding 1 s window as requests arrive,
and answers every request to the base with 429 for 30 s after one too many (DESIGN §5). The
limiter keeps a sliding-window log of the requests it admitted (a pyrate-limiter bucket) and
the end of the current penalty in one store that every process sharing it can see:
``rate_limiter_for`` picks memory, a SQLite file (the processes of one host) or Postgres (every
container of a deployment) from a URL.

Pacing to a window rather than to a fixed interval. The limiter admits at most ``limit``
requests in any ``window_seconds``; Airtable counts arrivals, which come later than admissions
by a varying network delay. With 0-100 ms of jitter, two requests admitted 1.1 s apart can
arrive 1.0 s apart, so 5 per 1.1 s never puts six arrivals in one Airtable second: 4.55
requests/s, 90.9% of the ceiling. A fixed 4.8/s interval had no such margin and provoked 429s.
Measured with ``bench/rate_limit.py`` (local Airtable server, 5 per sliding 1 s, 0-100 ms each
way, 2-core host, 2026-11-26): 1,000 records upserted in 100 requests (the minimum) at 45.7-46.0
records/s (91-92% of 50) from one process and 45.9-46.7 from two processes on one base, with the
SQLite and the Postgres bucket alike, and no 429 in 1,200 requests. 5 per 1.05 s would give 95%
but only 50 ms of margin against 100 ms of jitter.

The bucket is used directly rather than through ``pyrate_limiter.Limiter``: the Limiter's
blocking retry stamps a retried request with its planned time instead of reading the clock, so a
process that wakes late records its request earlier than it was sent, and it starts a leak
thread per limiter. Here every attempt reads the clock under the store's lock, and old entries
are leaked inline now and then.
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pyrate_limiter import AbstractBucket, Rate, RateItem

from clawbot_assets.adapters.conninfo import is_postgres, parse_conninfo, postgres_address, redact_conninfo, without_secrets
from clawbot_assets.adapters.rate_limit_stores import Penalty, memory_store, postgres_store, sqlite_store

#: Airtable's requests per base per sliding window, and the window padded for network jitter.
DEFAULT_LIMIT = 5
DEFAULT_WINDOW_SECONDS = 1.1
#: Retried after this long when the store was busy (Postgres's NOWAIT table lock) and gave no wait.
_CONTENTION_WAIT_SECONDS = (0.002, 0.01)
#: Entries older than the window are deleted at most this often.
_LEAK_EVERY_SECONDS = 30.0
_POSTGRES_SCHEMES = ("postgresql", "postgres")


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
    """At most ``limit`` requests per sliding ``window_seconds`` for everyone sharing the store,
    and nothing at all while a penalty lasts."""

    def __init__(
        self, bucket: AbstractBucket, penalty: Penalty, *, name: str, limit: int, window_seconds: float, store: str
    ):
        self.name = name
        self.limit = limit
        self.window_seconds = window_seconds
        self.store = store
        self._bucket = bucket
        self._penalty = penalty
        #: The bucket keeps its last verdict on the object: one attempt at a time per process.
        self._lock = threading.Lock()
        self._last_leak = time.monotonic()

    def __repr__(self) -> str:
        return f"SharedRateLimiter({self.name!r}, {self.limit} per {self.window_seconds} s, {self.store})"

    def acquire(self) -> float:
        """Block until one request may be sent; returns the seconds waited."""
        started = time.monotonic()
        while True:
            penalty = self._penalty.remaining()
            if penalty > 0:
                time.sleep(penalty)
                continue
            with self._lock:
                # The clock is read under the store's lock: a stamp taken before waiting for the
                # lock would record the request earlier than it is sent.
                with self._bucket.limiter_lock() or nullcontext():
                    item = RateItem(self.name, self._bucket.now())
                    decision = self._bucket.put_decision(item)
                self._leak_now_and_then(item.timestamp)
            if decision.allowed:
                return time.monotonic() - started
            if decision.retry_after_ms is None:
                time.sleep(random.uniform(*_CONTENTION_WAIT_SECONDS))
            else:
                time.sleep(decision.retry_after_ms / 1000)

    def penalty_remaining(self) -> float:
        """Seconds until the current 429 penalty is over, for everyone sharing the store; 0 when
        there is none (docs/runbooks/airtable_429_storm.md)."""
        return self._penalty.remaining()

    def penalise(self, seconds: float) -> None:
        """After a 429 nobody sharing the store sends for ``seconds``: Airtable rejects everything
        to the base until its penalty is over."""
        self._penalty.extend(seconds)

    def _leak_now_and_then(self, now_ms: int) -> None:
        if time.monotonic() - self._last_leak >= _LEAK_EVERY_SECONDS:
            self._last_leak = time.monotonic()
            self._bucket.leak(now_ms)


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
    rates = [Rate(limit, round(window_seconds * 1000))]
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        bucket, penalty = memory_store(name, rates)
    elif scheme == "sqlite":
        path = Path("/" + urlsplit(url).path.lstrip("/"))
        bucket, penalty = sqlite_store(path, name, rates)
    elif scheme in _POSTGRES_SCHEMES or is_postgres(url):
        bucket, penalty = _postgres(url, name, rates)
    else:
        raise RateLimiterConfigError(
            f"Rate limiter URL {redact_url(url)} is not memory://, sqlite:///<path> or postgresql://..."
        )
    return SharedRateLimiter(bucket, penalty, name=name, limit=limit, window_seconds=window_seconds, store=redact_url(url))


def _postgres(url: str, name: str, rates: list[Rate]) -> tuple[AbstractBucket, Penalty]:
    """The Postgres store, connected now: the limiter is built before the client sends anything,
    so an unreachable database fails the run before its first Airtable request."""
    import psycopg

    try:
        return postgres_store(url, name, rates)
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
