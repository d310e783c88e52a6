"""The embedded queue: SQLite with SQS FIFO semantics, so the local demo behaves like production.

One file holds every queue. A queue is FIFO: deduplication by id over ``DEDUP_WINDOW_SECONDS``;
one receive may return several messages of a group, in order, but while a message of a group is
in flight no later receive returns any message of that group. A
received message is invisible for the visibility timeout; once it has been received
``max_receive_count`` times, the next receive moves it to its dead-letter queue instead of
delivering it (SQS's ``RedrivePolicy``). Safe to share between processes.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Callable, ContextManager, Sequence

from clawbot_assets.adapters.queue import (
    DEDUP_WINDOW_SECONDS,
    MAX_BATCH,
    OutgoingMessage,
    QueueDepth,
    ReceivedMessage,
    SendOutcome,
)
from clawbot_assets.adapters.sqlite_db import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt_handle TEXT
);
CREATE INDEX IF NOT EXISTS messages_queue ON messages (queue, visible_at);
CREATE TABLE IF NOT EXISTS dedup (
    queue TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (queue, dedup_id)
);
"""


class LocalQueue:
    def __init__(self, path: str | Path, name: str, *, dead_letter: "LocalQueue | None" = None,
                 max_receive_count: int = 3, visibility_timeout: int = 30,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.dead_letter = dead_letter
        self.max_receive_count = max_receive_count
        self.visibility_timeout = visibility_timeout
        self.clock = clock
        with self._connect() as connection:
            connection.executescript(_SCHEMA)

    def _connect(self, write: bool = False) -> ContextManager[sqlite3.Connection]:
        return connect(self.path, write=write)

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> SendOutcome:
        outcome = SendOutcome()
        for start in range(0, len(messages), MAX_BATCH):
            outcome.requests += 1
            with self._connect(write=True) as connection:
                for message in messages[start : start + MAX_BATCH]:
                    self._send(connection, message)
                    outcome.sent.append(message.dedup_id)
        return outcome

    def _send(self, connection: sqlite3.Connection, message: OutgoingMessage) -> None:
        now = self.clock()
        dedup_id, group_id = message.sqs_dedup_id, message.sqs_group_id
        connection.execute("DELETE FROM dedup WHERE queue = ? AND sent_at <= ?", (self.name, now - DEDUP_WINDOW_SECONDS))
        if connection.execute("SELECT 1 FROM dedup WHERE queue = ? AND dedup_id = ?", (self.name, dedup_id)).fetchone():
            return
        connection.execute("INSERT INTO dedup (queue, dedup_id, sent_at) VALUES (?, ?, ?)", (self.name, dedup_id, now))
        connection.execute(
            "INSERT INTO messages (queue, message_id, dedup_id, group_id, body, visible_at) VALUES (?, ?, ?, ?, ?, ?)",
            (self.name, str(uuid.uuid4()), dedup_id, group_id, message.body, now),
        )

    def receive(self, max_messages: int = MAX_BATCH, visibility_timeout: int | None = None) -> list[ReceivedMessage]:
        timeout = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        received: list[ReceivedMessage] = []
        with self._connect(write=True) as connection:
            now = self.clock()
            busy = {row[0] for row in connection.execute(
                "SELECT DISTINCT group_id FROM messages WHERE queue = ? AND visible_at > ? AND receive_count > 0",
                (self.name, now))}
            rows = connection.execute(
                "SELECT seq, message_id, dedup_id, group_id, body, receive_count FROM messages "
                "WHERE queue = ? AND visible_at <= ? ORDER BY seq", (self.name, now)).fetchall()
            for seq, message_id, dedup_id, group_id, body, count in rows:
                if len(received) >= max_messages:
                    break
                if group_id in busy:
                    continue
                if self.dead_letter is not None and count >= self.max_receive_count:
                    self._move_to_dead_letter(connection, seq, message_id, dedup_id, group_id, body, count, now)
                    continue
                handle = secrets.token_hex(16)
                connection.execute("UPDATE messages SET receive_count = ?, visible_at = ?, receipt_handle = ? WHERE seq = ?",
                                   (count + 1, now + timeout, handle, seq))
                received.append(ReceivedMessage(message_id, handle, body, count + 1, dedup_id, group_id))
        return received

    def _move_to_dead_letter(self, connection, seq, message_id, dedup_id, group_id, body, count, now) -> None:
        assert self.dead_letter is not None
        connection.execute("DELETE FROM messages WHERE seq = ?", (seq,))
        connection.execute(
            "INSERT INTO messages (queue, message_id, dedup_id, group_id, body, visible_at, receive_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.dead_letter.name, message_id, dedup_id, group_id, body, now, count),
        )

    def delete(self, receipt_handle: str) -> None:
        with self._connect(write=True) as connection:
            connection.execute("DELETE FROM messages WHERE queue = ? AND receipt_handle = ?", (self.name, receipt_handle))

    def release(self, receipt_handle: str) -> None:
        with self._connect(write=True) as connection:
            connection.execute("UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt_handle = ?",
                               (self.clock(), self.name, receipt_handle))

    def depth(self) -> QueueDepth:
        now = self.clock()
        with self._connect() as connection:
            visible, in_flight = connection.execute(
                "SELECT COALESCE(SUM(visible_at <= ?), 0), COALESCE(SUM(visible_at > ?), 0) FROM messages WHERE queue = ?",
                (now, now, self.name)).fetchone()
        return QueueDepth(int(visible), int(in_flight))
