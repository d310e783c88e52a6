"""The dedupe's key-index cache in S3, through dagster-aws's ``S3Resource``
(``CLAWBOT_KEY_INDEX_S3_URI=s3://bucket/prefix``; the ``AWS_*`` variables apply)."""

from __future__ import annotations

from dagster_aws.s3 import S3Resource

from clawbot_assets.adapters.key_index import KeyIndexStore, S3KeyIndexStore
from clawbot_assets.resources.key_index import KeyIndexResource

INDEX_OBJECT = "dedupe_key_index.json.gz"


class S3KeyIndexResource(KeyIndexResource):
    """An encrypted object ``<prefix>/dedupe_key_index.json.gz`` in ``bucket``."""

    s3: S3Resource
    bucket: str
    prefix: str = ""

    def store(self) -> KeyIndexStore:
        key = "/".join(part for part in (self.prefix.strip("/"), INDEX_OBJECT) if part)
        return S3KeyIndexStore(self.s3.get_client(), self.bucket, key)
