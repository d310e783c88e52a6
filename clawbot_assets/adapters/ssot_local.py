"""The embedded SSOT: SQLite with Airtable's record shape and upsert semantics.

It counts the requests Airtable would have needed (a page of 100 per list, 10 records per
write), so benchmarks and run metadata mean the same on both backends.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import string
from pathlib import Path
from typing import Any, ContextManager, Mapping, Sequence

from clawbot_assets.adapters.sqlite_db import connect
from clawbot_assets.domain.ssot_query import (
    AllOf,
    ChangedSince,
    Condition,
    FieldIn,
    FieldOnOrAfter,
    as_utc,
    cell_text,
    parse_cell_time,
)
from clawbot_assets.adapters.ssot import (
    KEY_FIELD,
    LOOKUP_BATCH,
    MAX_PAGE_SIZE,
    MAX_RECORDS_PER_WRITE,
    ArchivedRecord,
    Record,
    SsotError,
    UpsertAmbiguousError,
    UpsertOutcome,
    chunks,
    compact_fields,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    tbl TEXT NOT NULL,
    id TEXT PRIMARY KEY,
    created_time TEXT NOT NULL,
    modified_time TEXT NOT NULL,
    key_value TEXT,
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_key ON records (tbl, key_value);
CREATE INDEX IF NOT EXISTS records_modified ON records (tbl, modified_time);
CREATE TABLE IF NOT EXISTS archive (
    run_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (run_id, record_id)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_ID_ALPHABET = string.ascii_letters + string.digits


def new_record_id() -> str:
    return "rec" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))


def airtable_time(moment: dt.datetime) -> str:
    """Airtable's timestamp format: UTC with milliseconds and a Z."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now() -> str:
    return airtable_time(dt.datetime.now(dt.timezone.utc))


def _cell_path(field: str) -> str:
    return "$." + json.dumps(field)


def _json_cell_text(value: Any) -> str:
    """``cell_text`` of a cell that ``json_extract`` returned as JSON text (a list)."""
    return cell_text(json.loads(value)) if isinstance(value, str) else cell_text(value)


_SORTABLE_TIME = "%Y-%m-%dT%H:%M:%S.%f"


def _cell_time(value: Any) -> str | None:
    """A date or time cell as sortable UTC text; ``None`` when empty or unreadable."""
    moment = parse_cell_time(value)
    return moment.strftime(_SORTABLE_TIME) if moment is not None else None


def _register_functions(connection: sqlite3.Connection) -> None:
    connection.create_function("clawbot_list_text", 1, _json_cell_text, deterministic=True)
    connection.create_function("clawbot_cell_time", 1, _cell_time, deterministic=True)


def sql_condition(condition: Condition) -> tuple[str, list[Any]]:
    """A WHERE clause over ``records`` with the semantics of ``domain.ssot_query``: a cell is
    compared as the text a formula sees (true is ``1``, empty is ``''``, a list joins with ``, ``)."""
    if isinstance(condition, FieldIn):
        if not condition.values:
            return "0", []
        path = _cell_path(condition.field)
        text = (
            "CASE json_type(fields, ?) WHEN 'true' THEN '1' WHEN 'false' THEN '' WHEN 'null' THEN '' "
            "WHEN 'array' THEN clawbot_list_text(json_extract(fields, ?)) "
            "ELSE coalesce(CAST(json_extract(fields, ?) AS TEXT), '') END"
        )
        marks = ",".join("?" * len(condition.values))
        return f"{text} IN ({marks})", [path, path, path, *condition.values]
    if isinstance(condition, FieldOnOrAfter):
        return "clawbot_cell_time(json_extract(fields, ?)) >= ?", [_cell_path(condition.field), as_utc(condition.moment).strftime(_SORTABLE_TIME)]
    if isinstance(condition, ChangedSince):
        since = airtable_time(condition.moment)
        return "(created_time >= ? OR modified_time >= ?)", [since, since]
    if not condition.conditions:
        raise ValueError(f"{type(condition).__name__} needs at least one condition")
    parts = [sql_condition(part) for part in condition.conditions]
    joiner = " AND " if isinstance(condition, AllOf) else " OR "
    return joiner.join(f"({clause})" for clause, _ in parts), [param for _, params in parts for param in params]


class LocalSsot:
    """SSOT tables in one SQLite file; safe to share between processes (WAL, immediate writes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.requests_made = 0
        self.rate_limited_responses = 0
        with self._connect() as connection:
            connection.executescript(_SCHEMA)

    def _connect(self, write: bool = False) -> ContextManager[sqlite3.Connection]:
        return connect(self.path, write=write, synchronous_normal=True)

    @staticmethod
    def _record(row: sqlite3.Row | tuple) -> Record:
        record_id, created_time, fields = row
        return {"id": record_id, "createdTime": created_time, "fields": compact_fields(json.loads(fields))}

    def _count_pages(self, records: int) -> None:
        self.requests_made += max(1, -(-records // MAX_PAGE_SIZE))

    def list_records(self, table: str, *, changed_since: dt.datetime | None = None) -> list[Record]:
        query = "SELECT id, created_time, fields FROM records WHERE tbl = ?"
        params: list[Any] = [table]
        if changed_since is not None:
            query += " AND (created_time >= ? OR modified_time >= ?)"
            params += [airtable_time(changed_since)] * 2
        with self._connect() as connection:
            rows = connection.execute(query + " ORDER BY created_time, id", params).fetchall()
        self._count_pages(len(rows))
        return [self._record(row) for row in rows]

    def select(self, table: str, where: Condition, fields: Sequence[str] | None = None) -> list[Record]:
        """``where`` translated to SQL (``sql_condition``), with Airtable's semantics."""
        clause, params = sql_condition(where)
        with self._connect() as connection:
            _register_functions(connection)
            rows = connection.execute(
                f"SELECT id, created_time, fields FROM records WHERE tbl = ? AND ({clause}) ORDER BY created_time, id",
                [table, *params],
            ).fetchall()
        self._count_pages(len(rows))
        records = [self._record(row) for row in rows]
        if fields is not None:
            wanted = set(fields)
            for record in records:
                record["fields"] = {name: value for name, value in record["fields"].items() if name in wanted}
        return records

    def find_by_keys(self, table: str, keys: Sequence[str]) -> list[Record]:
        return self._find(table, "key_value", keys)

    def find_by_field(self, table: str, field_name: str, values: Sequence[str]) -> list[Record]:
        return self._find(table, "json_extract(fields, ?)", values, ["$." + json.dumps(field_name)])

    def find_by_ids(self, table: str, record_ids: Sequence[str]) -> list[Record]:
        return self._find(table, "id", record_ids)

    def _find(self, table: str, column: str, values: Sequence[str], column_params: list[str] | None = None) -> list[Record]:
        """Records whose ``column`` is among ``values``; one request per LOOKUP_BATCH values, as on Airtable."""
        found: list[Record] = []
        with self._connect() as connection:
            for batch in chunks(list(dict.fromkeys(values)), LOOKUP_BATCH):
                marks = ",".join("?" * len(batch))
                rows = connection.execute(
                    f"SELECT id, created_time, fields FROM records WHERE tbl = ? AND {column} IN ({marks})",
                    [table, *(column_params or []), *batch],
                ).fetchall()
                self.requests_made += 1
                found += [self._record(row) for row in rows]
        return found

    def upsert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> UpsertOutcome:
        outcome = UpsertOutcome()
        for batch in chunks(list(rows), MAX_RECORDS_PER_WRITE):
            self.requests_made += 1
            batch_keys = [fields[KEY_FIELD] for fields in batch]
            if len(set(batch_keys)) < len(batch_keys):
                repeated = next(key for key in batch_keys if batch_keys.count(key) > 1)
                raise SsotError(f"Upsert refused: Key {repeated!r} appears twice in one request")
            with self._connect(write=True) as connection:
                planned: list[tuple[str | None, Mapping[str, Any]]] = []
                for fields in batch:
                    key = fields[KEY_FIELD]
                    matches = [
                        row[0]
                        for row in connection.execute(
                            "SELECT id FROM records WHERE tbl = ? AND key_value = ?", (table, key)
                        )
                    ]
                    if len(matches) > 1:
                        raise UpsertAmbiguousError(key, matches)
                    planned.append((matches[0] if matches else None, fields))
                for record_id, fields in planned:
                    if record_id is None:
                        record_id = self._insert(connection, table, fields)
                        outcome.created.append(record_id)
                    else:
                        self._merge(connection, table, record_id, fields)
                        outcome.updated.append(record_id)
                    outcome.keys[record_id] = fields[KEY_FIELD]
        return outcome

    def _insert(self, connection: sqlite3.Connection, table: str, fields: Mapping[str, Any]) -> str:
        record_id, now = new_record_id(), _now()
        clean = compact_fields(fields)
        connection.execute(
            "INSERT INTO records (tbl, id, created_time, modified_time, key_value, fields) VALUES (?, ?, ?, ?, ?, ?)",
            (table, record_id, now, now, clean.get(KEY_FIELD), json.dumps(clean)),
        )
        return record_id

    def _merge(self, connection: sqlite3.Connection, table: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Merge fields into a record; a missing record fails the request, as on Airtable."""
        row = connection.execute("SELECT fields FROM records WHERE tbl = ? AND id = ?", (table, record_id)).fetchone()
        if row is None:
            raise SsotError(f"Airtable would refuse this update: record {record_id} does not exist in {table}")
        merged = compact_fields({**json.loads(row[0]), **fields})
        connection.execute(
            "UPDATE records SET fields = ?, key_value = ?, modified_time = ? WHERE id = ?",
            (json.dumps(merged), merged.get(KEY_FIELD), _now(), record_id),
        )

    def update(self, table: str, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        for batch in chunks(list(updates), MAX_RECORDS_PER_WRITE):
            self.requests_made += 1
            with self._connect(write=True) as connection:
                for record_id, fields in batch:
                    self._merge(connection, table, record_id, fields)

    def create(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[Record]:
        """The created records as written, read in the same transaction as Airtable answers
        with them: a concurrent writer may delete one right after."""
        created: list[Record] = []
        for batch in chunks(list(rows), MAX_RECORDS_PER_WRITE):
            self.requests_made += 1
            with self._connect(write=True) as connection:
                for fields in batch:
                    record_id = self._insert(connection, table, fields)
                    row = connection.execute("SELECT id, created_time, fields FROM records WHERE id = ?", (record_id,)).fetchone()
                    created.append(self._record(row))
        return created

    def delete(self, table: str, record_ids: Sequence[str]) -> list[str]:
        deleted: list[str] = []
        for batch in chunks(list(dict.fromkeys(record_ids)), MAX_RECORDS_PER_WRITE):
            self.requests_made += 1
            with self._connect(write=True) as connection:
                for record_id in batch:
                    if connection.execute("DELETE FROM records WHERE tbl = ? AND id = ?", (table, record_id)).rowcount:
                        deleted.append(record_id)
        return deleted

    def archive(self, run_id: str, records: Sequence[Record]) -> None:
        now = _now()
        with self._connect(write=True) as connection:
            connection.executemany(
                "INSERT OR IGNORE INTO archive (run_id, record_id, archived_at, record) VALUES (?, ?, ?, ?)",
                [(run_id, record["id"], now, json.dumps(record)) for record in records],
            )

    def archived(self, run_id: str | None = None) -> list[ArchivedRecord]:
        query = "SELECT run_id, archived_at, record FROM archive"
        params: tuple = ()
        if run_id is not None:
            query += " WHERE run_id = ?"
            params = (run_id,)
        with self._connect() as connection:
            rows = connection.execute(query + " ORDER BY archived_at, record_id", params).fetchall()
        return [ArchivedRecord(row[0], row[1], json.loads(row[2])) for row in rows]

    def insert_raw(self, table: str, records: Sequence[Record]) -> None:
        """Insert records with their own ids and createdTime: demo seeding and restores in tests."""
        with self._connect(write=True) as connection:
            connection.executemany(
                "INSERT OR IGNORE INTO records (tbl, id, created_time, modified_time, key_value, fields) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        table,
                        record["id"],
                        record["createdTime"],
                        record["createdTime"],
                        record["fields"].get(KEY_FIELD),
                        json.dumps(compact_fields(record["fields"])),
                    )
                    for record in records
                ],
            )

    def get_meta(self, name: str) -> str | None:
        with self._connect() as connection:
            row = connection.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        with self._connect(write=True) as connection:
            connection.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))
