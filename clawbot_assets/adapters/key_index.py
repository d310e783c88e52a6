"""The dedupe's key index: every Key in task_queue_sales and the record that holds it.

It lets an incremental dedupe look up only the records that collide with what changed, so
its API cost grows with new records, not with the table. It is a **cache**: the truth is the
table, and the history is in Dagster's event log. Each saved index carries the id of the
dedupe run that wrote it; the runner trusts it only when that run is the last committed one,
so a lost, stale or half-written index costs one full pass, never a wrong answer.

Stored as gzipped JSON, in a local file or an S3 object.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol


@dataclass(frozen=True)
class KeyIndex:
    written_by_run: str
    keys: dict[str, str]


class KeyIndexStore(Protocol):
    def load(self) -> KeyIndex | None:
        """The saved index, or None when there is none or it cannot be read."""

    def save(self, index: KeyIndex) -> None: ...


def encode(index: KeyIndex) -> bytes:
    return gzip.compress(json.dumps({"written_by_run": index.written_by_run, "keys": index.keys}).encode(), 5)


def decode(payload: bytes) -> KeyIndex | None:
    try:
        document: Mapping[str, Any] = json.loads(gzip.decompress(payload))
        return KeyIndex(str(document["written_by_run"]), dict(document["keys"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class FileKeyIndexStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> KeyIndex | None:
        try:
            return decode(self.path.read_bytes())
        except OSError:
            return None

    def save(self, index: KeyIndex) -> None:
        """Written to a temporary file and renamed, so a crash never leaves half an index."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
        with os.fdopen(handle, "wb") as file:
            file.write(encode(index))
        os.replace(temporary, self.path)


class S3KeyIndexStore:
    """One S3 object; a PUT replaces it whole, so readers never see half an index."""

    def __init__(self, s3_client: Any, bucket: str, key: str):
        self.s3_client, self.bucket, self.key = s3_client, bucket, key

    def load(self) -> KeyIndex | None:
        try:
            body = self.s3_client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.s3_client.exceptions.NoSuchKey:
            return None
        return decode(body)

    def save(self, index: KeyIndex) -> None:
        self.s3_client.put_object(Bucket=self.bucket, Key=self.key, Body=encode(index), ServerSideEncryption="AES256")
