"""Everything this project uses that is not Dagster's public API, in one module.

Dagster 1.13 has no public Python API for some things the project needs: a schedule's stored
state (the UI uses GraphQL), an asset check's evaluations, a pool's limit, tags added to a
running run, the rules a schedule's cron and timezone must pass, and the code server's
``list_repositories`` answer. Every ``dagster._`` import and every call on the instance that
Dagster does not mark public is here and nowhere else; the rest of the code calls the functions
below. ``tests/dagster/test_dagster_internals.py`` exercises each of them by name and fails first
when Dagster is upgraded past ``WRITTEN_FOR_DAGSTER``; it also checks that no other module
imports ``dagster._`` or calls a non-public instance method.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import dagster as dg
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleInstigatorData,
)
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._time import get_timezone
from dagster._utils.schedules import cron_string_iterator, is_valid_cron_schedule

#: The Dagster release these internals were written and tested against.
WRITTEN_FOR_DAGSTER = "1.13.27"

#: The module and attribute the code location loads (workspace.yaml, Dockerfile).
DEFINITIONS_MODULE = "clawbot_assets.definitions"


# --- A schedule's cron and timezone, by Dagster's own rules -----------------------------------


def cron_accepted(cron: str) -> bool:
    """Whether ``ScheduleDefinition`` accepts ``cron`` (``is_valid_cron_schedule``)."""
    return is_valid_cron_schedule(cron)


def next_cron_tick(cron: str, after: float | None = None, timezone: str = "UTC") -> float:
    """The next tick of ``cron`` as the daemon computes it (``cron_string_iterator``); raises
    when the daemon could not advance it."""
    return next(cron_string_iterator(time.time() if after is None else after, cron, timezone)).timestamp()


def load_timezone(timezone: str) -> None:
    """Raises when Dagster cannot load ``timezone`` (``dagster._time.get_timezone``)."""
    get_timezone(timezone)


# --- A schedule's stored state (instigator state) ---------------------------------------------


def stored_schedule_running(instance: dg.DagsterInstance, location_name: str) -> dict[str, bool | None]:
    """``{schedule name: running}`` for every schedule state stored on the instance, this code
    location's winning over another's of the same name. ``None``: the state stored defers to the
    definition's ``default_status``."""
    return {name: _running(state) for name, state in _stored_states(instance, location_name).items()}


def store_schedule_running(
    instance: dg.DagsterInstance,
    schedule: dg.ScheduleDefinition,
    running: bool,
    repository_origin: RemoteRepositoryOrigin | None,
    location_name: str,
) -> None:
    """Start or stop ``schedule`` as the UI toggle does (``update_instigator_state`` or
    ``add_instigator_state``), keyed by ``repository_origin`` or this location's own."""
    status = InstigatorStatus.RUNNING if running else InstigatorStatus.STOPPED
    stored = _stored_states(instance, location_name).get(schedule.name)
    if stored is not None:
        instance.update_instigator_state(stored.with_status(status))
        return
    origin = (repository_origin or default_repository_origin(location_name)).get_instigator_origin(schedule.name)
    instance.add_instigator_state(
        InstigatorState(
            origin,
            InstigatorType.SCHEDULE,
            status,
            ScheduleInstigatorData(str(schedule.cron_schedule), time.time() if running else None),
        )
    )


def default_repository_origin(location_name: str) -> RemoteRepositoryOrigin:
    """This code location's repository, as its states are keyed (selector: location, repository)."""
    code_location = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name=DEFINITIONS_MODULE, attribute="defs"), location_name=location_name
    )
    return RemoteRepositoryOrigin(code_location, SINGLETON_REPOSITORY_NAME)


def run_repository_origin(run: dg.DagsterRun) -> RemoteRepositoryOrigin | None:
    """The repository a run was launched from (UI, daemon); ``None`` for in-process runs."""
    origin = run.remote_job_origin
    return origin.repository_origin if origin is not None else None


def _stored_states(instance: dg.DagsterInstance, location_name: str) -> dict[str, InstigatorState]:
    states: dict[str, InstigatorState] = {}
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE):
        here = state.origin.repository_origin.code_location_origin.location_name == location_name
        if state.name not in states or here:
            states[state.name] = state
    return states


def _running(state: InstigatorState) -> bool | None:
    if state.status in (InstigatorStatus.DECLARED_IN_CODE, InstigatorStatus.AUTOMATICALLY_RUNNING):
        return None
    return state.status == InstigatorStatus.RUNNING


# --- Asset-check evaluations ------------------------------------------------------------------


@dataclass(frozen=True)
class CheckExecution:
    """One execution of an asset check as the instance stores it."""

    storage_id: int
    run_id: str
    #: ``PLANNED`` while it has not finished (or its step failed), else ``SUCCEEDED``/``FAILED``.
    status: str
    timestamp: float
    #: The evaluation it reported; ``None`` while planned.
    evaluation: dg.AssetCheckEvaluation | None


def latest_check_execution(instance: dg.DagsterInstance, key: dg.AssetCheckKey) -> CheckExecution | None:
    """The latest execution of one check (``get_latest_asset_check_evaluation_record``)."""
    record = instance.get_latest_asset_check_evaluation_record(key)
    return _execution(record) if record is not None else None


def completed_check_executions(instance: dg.DagsterInstance, key: dg.AssetCheckKey, limit: int) -> list[CheckExecution]:
    """The newest ``limit`` finished executions of one check, in storage order. Read through the
    event log storage's ``get_asset_check_execution_history`` because the default SQLite storage
    is sharded by run, so ``get_event_records`` filtered on ``ASSET_CHECK_EVALUATION`` fails there,
    and the instance's own reader is deprecated."""
    records = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=limit, status={AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
    )
    return sorted((_execution(record) for record in records), key=lambda execution: execution.storage_id)


def _execution(record) -> CheckExecution:
    event = record.event
    dagster_event = event.dagster_event if event is not None else None
    evaluation = dagster_event.event_specific_data if dagster_event is not None else None
    return CheckExecution(
        storage_id=record.id,
        run_id=record.run_id,
        status=record.status.value,
        timestamp=event.timestamp if event is not None else record.create_timestamp,
        evaluation=evaluation if isinstance(evaluation, dg.AssetCheckEvaluation) else None,
    )


# --- Pools and run tags -----------------------------------------------------------------------


def pool_limit(instance: dg.DagsterInstance, pool: str) -> int | None:
    """The limit that applies to ``pool``: one set for it explicitly (``dagster instance
    concurrency set POOL N``), else the instance's ``concurrency.pools.default_limit``."""
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits and pool in storage.get_concurrency_keys():
        return storage.get_concurrency_info(pool).slot_count
    return instance.get_concurrency_config().pool_config.default_pool_limit


def add_run_tags(instance: dg.DagsterInstance, run_id: str, tags: Mapping[str, str]) -> None:
    """Tags a run while it runs, so the Runs page can filter on what it did."""
    instance.add_run_tags(run_id, dict(tags))


# --- The code server --------------------------------------------------------------------------


def code_server_load_error(port: int, host: str = "127.0.0.1") -> str | None:
    """``None`` when the code server on ``port`` lists its repositories, else the message of the
    error it answers with. Raises when it does not answer (``DagsterGrpcClient.list_repositories``)."""
    from dagster._grpc.client import DagsterGrpcClient
    from dagster_shared.error import SerializableErrorInfo
    from dagster_shared.serdes import deserialize_value

    response = deserialize_value(DagsterGrpcClient(port=port, host=host).list_repositories())
    return response.message if isinstance(response, SerializableErrorInfo) else None


def required_resources_of_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> set[str]:
    """The resource keys required by the ops of the steps ``run`` executes."""
    if not (run.execution_plan_snapshot_id and run.job_snapshot_id):
        return set()
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    job = instance.get_job_snapshot(run.job_snapshot_id)
    to_execute = set(plan.step_keys_to_execute)
    handles = {step.node_handle_id for step in plan.steps if step.key in to_execute}
    op_defs = {op.name: op for op in job.node_defs_snapshot.op_def_snaps}
    top_level = _node_definitions(job.dep_structure_snapshot)
    inside_graphs = {graph.name: _node_definitions(graph.dep_structure_snapshot) for graph in job.node_defs_snapshot.graph_def_snaps}
    keys: set[str] = set()
    for handle in handles:
        definition = _node_def_name(handle, top_level, inside_graphs)
        if definition in op_defs:
            keys |= set(op_defs[definition].required_resource_keys)
    return keys


def _node_definitions(structure) -> dict[str, str]:
    """Node name -> the name of its definition, for the nodes of one job or graph."""
    return {node.node_name: node.node_def_name for node in structure.node_invocation_snaps}


def _node_def_name(handle: str, top_level: Mapping[str, str], inside_graphs: Mapping[str, Mapping[str, str]]) -> str | None:
    """The definition of the node at ``handle`` ("graph.op" for an op inside a graph), looked up
    in ``_node_definitions`` of the job (``top_level``) and of each graph (by graph name)."""
    nodes: Mapping[str, str] = top_level
    definition = None
    for name in handle.split("."):
        definition = nodes.get(name)
        if definition is None:
            return None
        nodes = inside_graphs.get(definition, {})
    return definition
