"""A schedule's running/stopped state as the Dagster instance sees it, and changing it.

Dagster 1.13 has no public Python API for this (the UI uses GraphQL), so the instance's
instigator-state calls live here and nowhere else, with a test of their own
(``tests/dagster/test_schedule_state.py``). A state set in the UI, or here, overrides the
definition's ``default_status``; without one, the default applies.

States are matched by schedule name within this code location. Stored states are looked up
by selector (location, repository and schedule name), so a state written here from a run is
the one the UI and the daemon read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Mapping

import dagster as dg
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleInstigatorData,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from clawbot_assets.names import CODE_LOCATION

#: Where the UI is asked to toggle a schedule, said in log lines and proposals.
UI_PATH = "Automation → schedule → toggle"


@dataclass(frozen=True)
class ScheduleState:
    name: str
    running: bool
    #: ``instance``: a state stored by the UI, the daemon or reconcile; ``default``: the
    #: definition's ``default_status`` applies.
    source: str


def _stored(instance: dg.DagsterInstance, location_name: str) -> dict[str, InstigatorState]:
    states: dict[str, InstigatorState] = {}
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE):
        existing = states.get(state.name)
        here = state.origin.repository_origin.code_location_origin.location_name == location_name
        if existing is None or here:
            states[state.name] = state
    return states


def _effective(name: str, default_running: bool, state: InstigatorState | None) -> ScheduleState:
    if state is None or state.status in (InstigatorStatus.DECLARED_IN_CODE, InstigatorStatus.AUTOMATICALLY_RUNNING):
        return ScheduleState(name, default_running, "default")
    return ScheduleState(name, state.status == InstigatorStatus.RUNNING, "instance")


def states_by_name(
    instance: dg.DagsterInstance, default_running: Mapping[str, bool], location_name: str = CODE_LOCATION
) -> dict[str, ScheduleState]:
    """``{schedule name: its effective state}``, given whether each runs by default."""
    stored = _stored(instance, location_name)
    return {name: _effective(name, running, stored.get(name)) for name, running in default_running.items()}


def schedule_states(
    instance: dg.DagsterInstance, schedules: Iterable[dg.ScheduleDefinition], location_name: str = CODE_LOCATION
) -> dict[str, ScheduleState]:
    """``{schedule name: its effective state}`` for ``schedules``."""
    defaults = {schedule.name: schedule.default_status == dg.DefaultScheduleStatus.RUNNING for schedule in schedules}
    return states_by_name(instance, defaults, location_name)


def default_repository_origin(location_name: str = CODE_LOCATION) -> RemoteRepositoryOrigin:
    """This code location's repository, as its states are keyed (selector: location, repository)."""
    code_location = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="clawbot_assets.definitions", attribute="defs"), location_name=location_name
    )
    return RemoteRepositoryOrigin(code_location, SINGLETON_REPOSITORY_NAME)


def run_repository_origin(run: dg.DagsterRun) -> RemoteRepositoryOrigin | None:
    """The repository a run was launched from (UI, daemon); ``None`` for in-process runs."""
    origin = run.remote_job_origin
    return origin.repository_origin if origin is not None else None


def set_schedule_running(
    instance: dg.DagsterInstance,
    schedule: dg.ScheduleDefinition,
    running: bool,
    repository_origin: RemoteRepositoryOrigin | None = None,
    location_name: str = CODE_LOCATION,
) -> ScheduleState:
    """Start or stop ``schedule`` as the UI toggle does; returns the state now in effect."""
    status = InstigatorStatus.RUNNING if running else InstigatorStatus.STOPPED
    stored = _stored(instance, location_name).get(schedule.name)
    if stored is not None:
        instance.update_instigator_state(stored.with_status(status))
    else:
        origin = (repository_origin or default_repository_origin(location_name)).get_instigator_origin(schedule.name)
        instance.add_instigator_state(
            InstigatorState(
                origin,
                InstigatorType.SCHEDULE,
                status,
                ScheduleInstigatorData(str(schedule.cron_schedule), time.time() if running else None),
            )
        )
    return schedule_states(instance, [schedule], location_name)[schedule.name]
