"""Operational state of the nightly dedupe: watermark, key index and run history (SQLite).

The key index maps each Key to its surviving record, so an incremental run fetches only the
records that collide with what it read: its API cost grows with new records, not table size.
The index is a cache: when it is missing, the next run is a full pass that rebuilds it. The
history feeds ``no_new_duplicates_7d``; keep the data directory on durable storage in production.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

_SCHEMA = """
CREATE TABLE IF NOT EXISTS key_index (key TEXT PRIMARY KEY, record_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    finished_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    audited_from TEXT,
    audited_to TEXT NOT NULL,
    summary TEXT NOT NULL,
    duplicates_created_by_day TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'committed'
);
"""


@dataclass(frozen=True)
class DedupeRun:
    run_id: str
    finished_at: dt.datetime
    mode: str
    audited_from: dt.datetime | None
    audited_to: dt.datetime
    summary: dict
    duplicates_created_by_day: dict[str, int]


class DedupeState:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def _get(self, name: str) -> str | None:
        with self._connect() as connection:
            row = connection.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def watermark(self) -> dt.datetime | None:
        value = self._get("watermark")
        return dt.datetime.fromisoformat(value) if value else None

    def last_full_pass(self) -> dt.datetime | None:
        value = self._get("last_full_pass")
        return dt.datetime.fromisoformat(value) if value else None

    def index_size(self) -> int:
        with self._connect() as connection:
            return connection.execute("SELECT COUNT(*) FROM key_index").fetchone()[0]

    def lookup(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        with self._connect() as connection:
            for start in range(0, len(unique), 500):
                batch = unique[start : start + 500]
                marks = ",".join("?" * len(batch))
                found.update(connection.execute(f"SELECT key, record_id FROM key_index WHERE key IN ({marks})", batch).fetchall())
        return found

    def full_pass_pending(self) -> bool:
        return self._get("full_pass_pending") is not None

    def begin_run(self, run: DedupeRun) -> None:
        """Record the run before it writes anything: a run that dies after deleting keeps its
        duplicate counts in the history, and an unfinished full pass makes the next one full."""
        with self._connect() as connection:
            self._write_run(connection, run, "started")
            if run.mode == "full":
                connection.execute("INSERT OR REPLACE INTO state VALUES ('full_pass_pending', ?)", (run.run_id,))

    @staticmethod
    def _write_run(connection: sqlite3.Connection, run: DedupeRun, status: str) -> None:
        connection.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.run_id,
                run.finished_at.isoformat(),
                run.mode,
                run.audited_from.isoformat() if run.audited_from else None,
                run.audited_to.isoformat(),
                json.dumps(run.summary),
                json.dumps(run.duplicates_created_by_day),
                status,
            ),
        )

    def commit_run(
        self,
        run: DedupeRun,
        survivors: Mapping[str, str],
        *,
        replace_index: bool,
        watermark: dt.datetime,
    ) -> None:
        """Record a finished run and move the watermark, in one transaction, only after every
        write to the SSOT succeeded: a crashed run leaves the state as it was."""
        with self._connect() as connection:
            if replace_index:
                connection.execute("DELETE FROM key_index")
            connection.executemany("INSERT OR REPLACE INTO key_index (key, record_id) VALUES (?, ?)", survivors.items())
            self._write_run(connection, run, "committed")
            connection.execute("INSERT OR REPLACE INTO state VALUES ('watermark', ?)", (watermark.isoformat(),))
            if replace_index:
                connection.execute("INSERT OR REPLACE INTO state VALUES ('last_full_pass', ?)", (run.finished_at.isoformat(),))
                connection.execute("DELETE FROM state WHERE name = 'full_pass_pending'")

    def runs_since(self, since: dt.datetime) -> list[DedupeRun]:
        """Committed runs, and started ones: a run that died after deleting still counts the
        duplicates it found."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT run_id, finished_at, mode, audited_from, audited_to, summary, duplicates_created_by_day"
                " FROM runs WHERE finished_at >= ? ORDER BY finished_at",
                (since.isoformat(),),
            ).fetchall()
        return [
            DedupeRun(
                run_id=row[0],
                finished_at=dt.datetime.fromisoformat(row[1]),
                mode=row[2],
                audited_from=dt.datetime.fromisoformat(row[3]) if row[3] else None,
                audited_to=dt.datetime.fromisoformat(row[4]),
                summary=json.loads(row[5]),
                duplicates_created_by_day=json.loads(row[6]),
            )
            for row in rows
        ]
