"""Where the dedupe's key-index cache lives: a local file by default, or an S3 object
(``key_index_s3.S3KeyIndexResource``, imported only when configured: dagster-aws costs half a
second of every code-location load)."""

from __future__ import annotations

import abc

import dagster as dg

from clawbot_assets.adapters.key_index import FileKeyIndexStore, KeyIndexStore
from clawbot_assets.resources.backends import DEFAULT_DATA_DIR, KEY_INDEX_FILE, local_path


class KeyIndexResource(dg.ConfigurableResource):
    @abc.abstractmethod
    def store(self) -> KeyIndexStore:
        """Where the key index is read and written."""


class LocalKeyIndexResource(KeyIndexResource):
    data_dir: str = DEFAULT_DATA_DIR

    def store(self) -> KeyIndexStore:
        return FileKeyIndexStore(local_path(self.data_dir, KEY_INDEX_FILE))
