"""Issue 7, item 1's last line: a run that finds the ``airtable`` pool without a limit says so."""

from clawbot_assets.instance.pool_guard import POOL_LIMIT_MISSING, airtable_pool_limit
from clawbot_assets.names import AIRTABLE_POOL
from tests.dagster.helpers import defs_for, materialize_playbooks
from tests.instances import instance_for_test

POOLS_LIMITED = {"concurrency": {"pools": {"default_limit": 1, "granularity": "op"}}}


def test_a_run_without_the_pool_limit_logs_an_error_and_says_so_in_metadata(local_resources):
    with instance_for_test() as instance:
        result = materialize_playbooks(defs_for(local_resources), instance)
        assert result.success, "a warning, never a failure: the shared rate limiter still protects Airtable"
        assert result.asset_materializations_for_node("playbooks")[0].metadata[POOL_LIMIT_MISSING].value is True
        assert any(
            record.level >= 40 and "pool 'airtable' has no limit" in (record.user_message or "")
            for record in instance.all_logs(result.run_id)
        )


def test_with_the_shipped_default_limit_nothing_is_said():
    with instance_for_test(overrides=POOLS_LIMITED) as instance:
        assert airtable_pool_limit(instance) == 1


def test_a_limit_set_for_the_pool_alone_counts():
    with instance_for_test() as instance:
        assert airtable_pool_limit(instance) is None
        instance.event_log_storage.set_concurrency_slots(AIRTABLE_POOL, 1)
        assert airtable_pool_limit(instance) == 1
