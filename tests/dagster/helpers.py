"""Running the real code location's jobs in process against test resources."""

import datetime as dt

import dagster as dg

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.definitions import build_defs
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.resources import RESOURCE_FACTORIES
from schedules.playbook_schedules import build_playbook_schedules
from clawbot_assets.names import PLAYBOOK_PARTITIONS, SCHEDULED_FOR_TAG

TICK = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.timezone.utc)


def defs_for(resources, snapshot: list[dict] | None = None) -> dg.Definitions:
    """The code location with ``resources``, its playbook schedules built from ``snapshot``
    (the demo playbooks by default), never from a snapshot file in the working tree."""
    records = playbook_records() if snapshot is None else snapshot
    schedules = dg.Definitions(schedules=build_playbook_schedules(validate_playbooks(records)))
    return build_defs({name: value for name, value in resources.items() if name in RESOURCE_FACTORIES}, playbook_schedules=schedules)


def materialize_playbooks(defs: dg.Definitions, instance) -> dg.ExecuteInProcessResult:
    return defs.get_repository_def().get_job("playbooks_refresh").execute_in_process(instance=instance, raise_on_error=False)


def run_every_playbook(defs: dg.Definitions, instance, slugs=None, tick: dt.datetime = TICK) -> dict[str, bool]:
    """Runs each partition (or those in ``slugs``) once; returns whether each run succeeded."""
    job = defs.resolve_job_def("playbook_run")
    return {
        slug: job.execute_in_process(
            instance=instance, partition_key=slug, tags={SCHEDULED_FOR_TAG: tick.isoformat()}, raise_on_error=False
        ).success
        for slug in slugs or instance.get_dynamic_partitions(PLAYBOOK_PARTITIONS)
    }


def table_state(resources) -> dict[str, dict]:
    return {record["id"]: record["fields"] for record in resources["ssot"].client().list_records(TASKS_TABLE)}
