"""Where a ``SharedRateLimiter`` keeps its state, so every process that shares the store shares it:

- the open slots: one row per request, from its send until one window after its response;
- the end of the current 429 penalty;
- the requests sent per job and hour (what the ``airtable_budget`` asset reads).

Stores:
- memory: this limiter object only (scripts and tests);
- SQLite: one file for the processes of one host; ``BEGIN IMMEDIATE`` orders them, and the host
  clock (``time.time()``) is the one clock they share;
- Postgres: three tables for every container of a deployment; a transaction-scoped advisory lock
  per limiter name orders them, and every time is the database's ``clock_timestamp()``, so hosts
  with skewed clocks still agree.

Every decision reads the clock *under* the store's lock: a time read before waiting for the lock
would date a send earlier than it happens.
"""

from __future__ import annotations

import atexit
import datetime as dt
import itertools
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

#: The penalty table of both SQL stores: one row per limiter name.
PENALTY_TABLE = "ratelimit_penalty"
SLOTS_TABLE = "ratelimit_slots"
REQUESTS_TABLE = "ratelimit_requests"
#: How long to wait for a Postgres connection when the limiter is built.
CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Verdict:
    """A slot (``slot`` set), or how long to wait before asking again."""

    slot: int | None
    wait_seconds: float


@dataclass(frozen=True)
class HourlyRequests:
    name: str
    job: str
    hour: dt.datetime
    requests: int


class SlotStore(Protocol):
    def take(self, job: str, limit: int, window_seconds: float, max_hold_seconds: float) -> Verdict:
        """A slot if fewer than ``limit`` are open: sent and not yet ``window_seconds`` past their
        release (a slot never released closes ``max_hold_seconds`` after its send)."""

    def release(self, slot: int) -> None:
        """The response to the slot's request has arrived: it closes one window from now."""

    def penalty_remaining(self) -> float:
        """Seconds until the penalty is over; 0 when there is none."""

    def extend_penalty(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` from now (an earlier end never shortens a later one)."""

    def hourly_requests(self, since: dt.datetime) -> list[HourlyRequests]:
        """Requests sent per limiter name, job and hour, for the hours starting at or after ``since``."""


def _hour(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)


def _wait(first_close_in: float, window_seconds: float) -> float:
    """How long a refused taker sleeps: until the first open slot closes. A slot still in flight
    closes one window after its release at the earliest, so never longer than a window."""
    return max(0.001, min(first_close_in, window_seconds))


class MemoryStore:
    """Slots, penalty and counts in this object, on the monotonic clock."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        #: slot -> (closes at, released, window)
        self._slots: dict[int, tuple[float, bool, float]] = {}
        self._penalty_until = 0.0
        self._counts: dict[tuple[str, dt.datetime], int] = {}

    def take(self, job: str, limit: int, window_seconds: float, max_hold_seconds: float) -> Verdict:
        with self._lock:
            now = time.monotonic()
            self._slots = {slot: state for slot, state in self._slots.items() if state[0] > now}
            if len(self._slots) >= limit:
                return Verdict(None, _wait(min(closes for closes, _, _ in self._slots.values()) - now, window_seconds))
            slot = next(self._ids)
            self._slots[slot] = (now + max_hold_seconds, False, window_seconds)
            key = (job, _hour(dt.datetime.now(dt.timezone.utc)))
            self._counts[key] = self._counts.get(key, 0) + 1
            return Verdict(slot, 0.0)

    def release(self, slot: int) -> None:
        with self._lock:
            if slot in self._slots:
                closes, _, window = self._slots[slot]
                self._slots[slot] = (min(closes, time.monotonic() + window), True, window)

    def penalty_remaining(self) -> float:
        return max(0.0, self._penalty_until - time.monotonic())

    def extend_penalty(self, seconds: float) -> None:
        with self._lock:
            self._penalty_until = max(self._penalty_until, time.monotonic() + seconds)

    def hourly_requests(self, since: dt.datetime) -> list[HourlyRequests]:
        with self._lock:
            return [
                HourlyRequests(self._name, job, hour, count)
                for (job, hour), count in sorted(self._counts.items(), key=lambda item: (item[0][1], item[0][0]))
                if hour >= _hour(since)
            ]


_SQLITE_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {SLOTS_TABLE} (
    slot INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    sent_at REAL NOT NULL,
    closes_at REAL NOT NULL,
    released INTEGER NOT NULL DEFAULT 0,
    window_seconds REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS {SLOTS_TABLE}_name ON {SLOTS_TABLE} (name, closes_at);
CREATE TABLE IF NOT EXISTS {PENALTY_TABLE} (name TEXT PRIMARY KEY, until_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS {REQUESTS_TABLE} (
    name TEXT NOT NULL,
    job TEXT NOT NULL,
    hour TEXT NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (name, job, hour)
);
"""


class SqliteStore:
    """One SQLite file per host. A slot's row holds when it closes: ``sent + max hold`` while its
    request is in flight, ``released + window`` once the response is in."""

    def __init__(self, path: Path, name: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._name = name
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self._connection.executescript(_SQLITE_SCHEMA)

    def _immediate(self):
        return _SqliteTransaction(self._connection, self._lock)

    def take(self, job: str, limit: int, window_seconds: float, max_hold_seconds: float) -> Verdict:
        with self._immediate() as connection:
            now = time.time()
            connection.execute(f"DELETE FROM {SLOTS_TABLE} WHERE name = ? AND closes_at <= ?", (self._name, now))
            open_slots, first_close = connection.execute(
                f"SELECT count(*), min(closes_at) FROM {SLOTS_TABLE} WHERE name = ?", (self._name,)
            ).fetchone()
            if open_slots >= limit:
                return Verdict(None, _wait(first_close - now, window_seconds))
            slot = connection.execute(
                f"INSERT INTO {SLOTS_TABLE} (name, sent_at, closes_at, window_seconds) VALUES (?, ?, ?, ?)",
                (self._name, now, now + max_hold_seconds, window_seconds),
            ).lastrowid
            hour = _hour(dt.datetime.fromtimestamp(now, dt.timezone.utc)).isoformat()
            connection.execute(
                f"INSERT INTO {REQUESTS_TABLE} (name, job, hour, requests) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (name, job, hour) DO UPDATE SET requests = requests + 1",
                (self._name, job, hour),
            )
            return Verdict(slot, 0.0)

    def release(self, slot: int) -> None:
        with self._immediate() as connection:
            connection.execute(
                f"UPDATE {SLOTS_TABLE} SET closes_at = min(closes_at, ? + window_seconds), released = 1 WHERE slot = ?",
                (time.time(), slot),
            )

    def penalty_remaining(self) -> float:
        with self._lock:
            row = self._connection.execute(
                f"SELECT until_ms FROM {PENALTY_TABLE} WHERE name = ?", (self._name,)
            ).fetchone()
        return max(0.0, row[0] / 1000 - time.time()) if row else 0.0

    def extend_penalty(self, seconds: float) -> None:
        with self._immediate() as connection:
            connection.execute(
                f"INSERT INTO {PENALTY_TABLE} (name, until_ms) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)",
                (self._name, int((time.time() + seconds) * 1000)),
            )

    def hourly_requests(self, since: dt.datetime) -> list[HourlyRequests]:
        with self._lock:
            rows = self._connection.execute(
                f"SELECT name, job, hour, requests FROM {REQUESTS_TABLE} WHERE hour >= ? ORDER BY hour, name, job",
                (_hour(since).isoformat(),),
            ).fetchall()
        return [HourlyRequests(name, job, dt.datetime.fromisoformat(hour), count) for name, job, hour, count in rows]


class _SqliteTransaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is held from the first statement, so the
    clock read inside belongs to the holder of the lock."""

    def __init__(self, connection: sqlite3.Connection, lock: threading.Lock) -> None:
        self._connection, self._lock = connection, lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._connection

    def __exit__(self, error_type, error, traceback) -> None:
        try:
            self._connection.execute("COMMIT" if error_type is None else "ROLLBACK")
        finally:
            self._lock.release()


_POSTGRES_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {SLOTS_TABLE} (
        slot BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL,
        sent_at TIMESTAMPTZ NOT NULL,
        closes_at TIMESTAMPTZ NOT NULL,
        released BOOLEAN NOT NULL DEFAULT FALSE,
        window_seconds FLOAT8 NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {SLOTS_TABLE}_name ON {SLOTS_TABLE} (name, closes_at)",
    f"CREATE TABLE IF NOT EXISTS {PENALTY_TABLE} (name TEXT PRIMARY KEY, until_at TIMESTAMPTZ NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {REQUESTS_TABLE} (
        name TEXT NOT NULL,
        job TEXT NOT NULL,
        hour TIMESTAMPTZ NOT NULL,
        requests BIGINT NOT NULL,
        PRIMARY KEY (name, job, hour)
    )""",
)


class PostgresStore:
    """The store in the deployment's Postgres; every time is the database's ``clock_timestamp()``."""

    def __init__(self, pool: ConnectionPool, name: str) -> None:
        self._pool = pool
        self._name = name
        with pool.connection() as connection:
            # Concurrent CREATE TABLE IF NOT EXISTS can still collide; the advisory lock orders them.
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (SLOTS_TABLE,))
            for statement in _POSTGRES_SCHEMA:
                connection.execute(statement)

    def take(self, job: str, limit: int, window_seconds: float, max_hold_seconds: float) -> Verdict:
        with self._pool.connection() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{SLOTS_TABLE}:{self._name}",))
            connection.execute(
                f"DELETE FROM {SLOTS_TABLE} WHERE name = %s AND closes_at <= clock_timestamp()", (self._name,)
            )
            open_slots, first_close_in = connection.execute(
                f"SELECT count(*), EXTRACT(EPOCH FROM min(closes_at) - clock_timestamp())::float8 "
                f"FROM {SLOTS_TABLE} WHERE name = %s",
                (self._name,),
            ).fetchone()
            if open_slots >= limit:
                return Verdict(None, _wait(first_close_in, window_seconds))
            (slot,) = connection.execute(
                f"INSERT INTO {SLOTS_TABLE} (name, sent_at, closes_at, window_seconds) "
                "VALUES (%s, clock_timestamp(), clock_timestamp() + %s * INTERVAL '1 second', %s) RETURNING slot",
                (self._name, max_hold_seconds, window_seconds),
            ).fetchone()
            connection.execute(
                f"INSERT INTO {REQUESTS_TABLE} (name, job, hour, requests) "
                "VALUES (%s, %s, date_trunc('hour', clock_timestamp()), 1) "
                f"ON CONFLICT (name, job, hour) DO UPDATE SET requests = {REQUESTS_TABLE}.requests + 1",
                (self._name, job),
            )
            return Verdict(slot, 0.0)

    def release(self, slot: int) -> None:
        with self._pool.connection() as connection:
            connection.execute(
                f"UPDATE {SLOTS_TABLE} SET released = TRUE, "
                "closes_at = LEAST(closes_at, clock_timestamp() + window_seconds * INTERVAL '1 second') WHERE slot = %s",
                (slot,),
            )

    def penalty_remaining(self) -> float:
        with self._pool.connection() as connection:
            row = connection.execute(
                f"SELECT EXTRACT(EPOCH FROM until_at - clock_timestamp())::float8 FROM {PENALTY_TABLE} WHERE name = %s",
                (self._name,),
            ).fetchone()
        return max(0.0, row[0]) if row else 0.0

    def extend_penalty(self, seconds: float) -> None:
        with self._pool.connection() as connection:
            connection.execute(
                f"INSERT INTO {PENALTY_TABLE} (name, until_at) VALUES (%s, clock_timestamp() + %s * INTERVAL '1 second') "
                f"ON CONFLICT (name) DO UPDATE SET until_at = GREATEST({PENALTY_TABLE}.until_at, EXCLUDED.until_at)",
                (self._name, seconds),
            )

    def hourly_requests(self, since: dt.datetime) -> list[HourlyRequests]:
        with self._pool.connection() as connection:
            rows = connection.execute(
                f"SELECT name, job, hour, requests FROM {REQUESTS_TABLE} WHERE hour >= %s ORDER BY hour, name, job",
                (_hour(since),),
            ).fetchall()
        return [HourlyRequests(name, job, hour.astimezone(dt.timezone.utc), count) for name, job, hour, count in rows]


_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _in_utc(connection: Connection) -> None:
    """Hours are truncated in the session's zone; UTC has no daylight-saving hour that reads twice."""
    connection.execute("SET TIME ZONE 'UTC'")
    connection.commit()


def _close_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def shared_pool(url: str) -> ConnectionPool:
    """One small pool per database and process, shared by every limiter on it.

    A direct connection is tried first so a wrong URL fails at once with libpq's reason, rather
    than after the pool's timeout. Callers redact the URL in what they report.
    """
    import psycopg
    from psycopg_pool import ConnectionPool

    with _pools_lock:
        pool = _pools.get(url)
        if pool is not None and not pool.closed:
            return pool
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
        pool = ConnectionPool(url, min_size=1, max_size=4, open=False, configure=_in_utc, name="clawbot-rate-limit")
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        if not _pools:
            atexit.register(_close_pools)
        _pools[url] = pool
        return pool
