"""Where a ``SharedRateLimiter`` keeps its state: the log of recent requests (a pyrate-limiter
bucket) and the end of the current penalty, side by side in one store, so every process that
shares the store shares both.

- memory: this limiter object only (scripts and tests);
- SQLite: one file for the processes of one host; the bucket's file lock orders them;
- Postgres: a bucket table per name and one penalty table, for every container of a deployment.
  Times come from the database's clock, so hosts with skewed clocks still agree.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pyrate_limiter import AbstractBucket, InMemoryBucket, PostgresBucket, Rate, SQLiteBucket

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

#: The penalty table of both SQL stores: one row per limiter name.
PENALTY_TABLE = "ratelimit_penalty"
#: How long to wait for a Postgres connection when the limiter is built.
CONNECT_TIMEOUT_SECONDS = 10


class Penalty(Protocol):
    def remaining(self) -> float:
        """Seconds until the penalty is over; 0 when there is none."""

    def extend(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` from now (an earlier end never shortens a later one)."""


def table_name(name: str) -> str:
    """A bucket table for ``name``: readable, and distinct even for names that differ only in
    case (Airtable base ids are case-sensitive, Postgres folds identifiers to lower case)."""
    readable = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:24]
    return f"{readable}_{hashlib.sha256(name.encode()).hexdigest()[:10]}"


class MemoryPenalty:
    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self._until - time.monotonic())

    def extend(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)


def memory_store(name: str, rates: list[Rate]) -> tuple[AbstractBucket, Penalty]:
    return InMemoryBucket(rates), MemoryPenalty()


class SqlitePenalty:
    """The penalty's end in wall-clock milliseconds, the clock the SQLite bucket uses too."""

    def __init__(self, path: Path, name: str, file_lock) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        with file_lock:
            self._connection.execute(
                f"CREATE TABLE IF NOT EXISTS {PENALTY_TABLE} (name TEXT PRIMARY KEY, until_ms INTEGER NOT NULL)"
            )

    def remaining(self) -> float:
        with self._lock:
            row = self._connection.execute(
                f"SELECT until_ms FROM {PENALTY_TABLE} WHERE name = ?", (self._name,)
            ).fetchone()
        return max(0.0, row[0] / 1000 - time.time()) if row else 0.0

    def extend(self, seconds: float) -> None:
        until_ms = int((time.time() + seconds) * 1000)
        with self._lock:
            self._connection.execute(
                f"INSERT INTO {PENALTY_TABLE} (name, until_ms) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)",
                (self._name, until_ms),
            )


def sqlite_store(path: Path, name: str, rates: list[Rate]) -> tuple[AbstractBucket, Penalty]:
    path.parent.mkdir(parents=True, exist_ok=True)
    bucket = SQLiteBucket.init_from_file(rates, table=table_name(name), db_path=str(path), use_file_lock=True)
    return bucket, SqlitePenalty(path, name, bucket.lock)


class PostgresPenalty:
    def __init__(self, pool: ConnectionPool, name: str) -> None:
        self._pool = pool
        self._name = name
        with pool.connection() as connection:
            # Concurrent CREATE TABLE IF NOT EXISTS can still collide; the advisory lock orders them.
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (PENALTY_TABLE,))
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {PENALTY_TABLE} (name TEXT PRIMARY KEY, until_at TIMESTAMPTZ NOT NULL)"
            )

    def remaining(self) -> float:
        with self._pool.connection() as connection:
            row = connection.execute(
                f"SELECT EXTRACT(EPOCH FROM until_at - clock_timestamp())::float8 FROM {PENALTY_TABLE} WHERE name = %s",
                (self._name,),
            ).fetchone()
        return max(0.0, row[0]) if row else 0.0

    def extend(self, seconds: float) -> None:
        with self._pool.connection() as connection:
            connection.execute(
                f"INSERT INTO {PENALTY_TABLE} (name, until_at) VALUES (%s, clock_timestamp() + %s * INTERVAL '1 second') "
                f"ON CONFLICT (name) DO UPDATE SET until_at = GREATEST({PENALTY_TABLE}.until_at, EXCLUDED.until_at)",
                (self._name, seconds),
            )


_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _in_utc(connection: Connection) -> None:
    """The bucket stores TIMESTAMP (no zone) and converts with the session's zone; UTC has no
    daylight-saving hour that would read twice."""
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


def postgres_store(url: str, name: str, rates: list[Rate]) -> tuple[AbstractBucket, Penalty]:
    pool = shared_pool(url)
    return PostgresBucket(pool, table_name(name), rates), PostgresPenalty(pool, name)
