"""One way to open the embedded backend's SQLite files, safely shared by several processes:
WAL journaling, and writes inside ``BEGIN IMMEDIATE`` so concurrent writers queue up instead
of failing mid-transaction."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def connect(path: str | Path, *, write: bool = False, synchronous_normal: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode; with ``write``, one immediate transaction that commits
    on success and rolls back on any exception. ``synchronous_normal`` trades durability on a
    power cut (never on a crash of the process) for speed."""
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        if synchronous_normal:
            connection.execute("PRAGMA synchronous=NORMAL")
        if write:
            connection.execute("BEGIN IMMEDIATE")
        yield connection
        if write:
            connection.execute("COMMIT")
    except BaseException:
        if write and connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
