"""Where the dedupe's key-index cache lives: a local file (default) or an S3 object through
dagster-aws's ``S3Resource`` (``CLAWBOT_KEY_INDEX_S3_URI=s3://bucket/prefix``)."""

from __future__ import annotations

import dagster as dg
from dagster_aws.s3 import S3Resource

from clawbot_assets.adapters.key_index import FileKeyIndexStore, KeyIndexStore, S3KeyIndexStore
from clawbot_assets.resources.backends import DEFAULT_DATA_DIR, KEY_INDEX_FILE, local_path

INDEX_OBJECT = "dedupe_key_index.json.gz"


class KeyIndexResource(dg.ConfigurableResource):
    def store(self) -> KeyIndexStore:
        raise NotImplementedError


class LocalKeyIndexResource(KeyIndexResource):
    data_dir: str = DEFAULT_DATA_DIR

    def store(self) -> KeyIndexStore:
        return FileKeyIndexStore(local_path(self.data_dir, KEY_INDEX_FILE))


class S3KeyIndexResource(KeyIndexResource):
    """An encrypted object ``<prefix>/dedupe_key_index.json.gz`` in ``bucket``."""

    s3: S3Resource
    bucket: str
    prefix: str = ""

    def store(self) -> KeyIndexStore:
        key = "/".join(part for part in (self.prefix.strip("/"), INDEX_OBJECT) if part)
        return S3KeyIndexStore(self.s3.get_client(), self.bucket, key)
