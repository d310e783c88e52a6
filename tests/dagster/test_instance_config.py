"""The instance configuration that scripts/setup.sh installs into DAGSTER_HOME."""

import shutil
from pathlib import Path

import dagster as dg

from clawbot_assets.instance.pool_guard import airtable_pool_limit

LOCAL_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "dagster.local.yaml"


def test_local_instance_config_loads_with_telemetry_off_and_one_airtable_slot(tmp_path):
    shutil.copy(LOCAL_CONFIG, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.telemetry_enabled is False
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert airtable_pool_limit(instance) == 1, "no warning on the shipped configuration"
