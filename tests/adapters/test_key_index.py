"""The dedupe's key-index cache in a local file and in S3 (moto), and the rule that a cache
the last committed run did not write is never trusted."""

import boto3
import pytest
from moto import mock_aws

from clawbot_assets.adapters.key_index import FileKeyIndexStore, KeyIndex
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.adapters.ssot_local import LocalSsot
from clawbot_assets.adapters.ssot_local_fixture import seed_demo_once
from clawbot_assets.resources import resources_from_env
from tests.services.ledger import Ledger

INDEX = KeyIndex("run-1", {"churn_rescue|1|1|2026-11-25": "recA", "churn_rescue|2|1|2026-11-25": "recB"})


def test_file_store_round_trip_and_garbage_reads_as_missing(tmp_path):
    store = FileKeyIndexStore(tmp_path / "cache" / "index.json.gz")
    assert store.load() is None
    store.save(INDEX)
    assert store.load() == INDEX
    (tmp_path / "cache" / "index.json.gz").write_bytes(b"not gzip")
    assert store.load() is None


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="clawbot-state")
        yield client


def test_s3_store_round_trip_encrypted_and_missing_object_reads_as_missing(s3):
    store = resources_from_env({"CLAWBOT_KEY_INDEX_S3_URI": "s3://clawbot-state/prod/"})["key_index"].store()
    assert store.load() is None
    store.save(INDEX)
    assert store.load() == INDEX
    head = s3.head_object(Bucket="clawbot-state", Key="prod/dedupe_key_index.json.gz")
    assert head["ServerSideEncryption"] == "AES256"
    s3.put_object(Bucket="clawbot-state", Key="prod/dedupe_key_index.json.gz", Body=b"garbage")
    assert store.load() is None


def test_an_index_the_last_committed_run_did_not_write_costs_a_full_pass(tmp_path):
    client = LocalSsot(tmp_path / "ssot.sqlite")
    seed_demo_once(client)
    ledger = Ledger(tmp_path / "index.json.gz")
    assert ledger.run(client, run_id="first").mode == "full"
    assert ledger.run(client, run_id="second").mode == "incremental"
    stale = ledger.index_store.load()
    ledger.index_store.save(KeyIndex("some-older-run", stale.keys))
    report = ledger.run(client, run_id="third")
    assert report.mode == "full" and report.mode_reason == "no key index written by the last committed run"
    (tmp_path / "index.json.gz").unlink()
    client.create(TASKS_TABLE, [dict(client.list_records(TASKS_TABLE)[0]["fields"], Status="cancelled")])
    lost = ledger.run(client, run_id="fourth", mode="incremental")
    assert lost.mode == "full" and lost.plan.duplicate_groups == 1
