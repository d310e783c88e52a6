"""A schedule's running/stopped state as the Dagster instance sees it, and changing it.

Dagster 1.13 has no public Python API for this (the UI uses GraphQL): the instance's
instigator-state calls are in ``dagster_internals``, and this module says what they mean
(``tests/dagster/test_schedule_state.py``). A state set in the UI, or here, overrides the
definition's ``default_status``; without one, the default applies.

States are matched by schedule name within this code location. Stored states are looked up
by selector (location, repository and schedule name), so a state written here from a run is
the one the UI and the daemon read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import dagster as dg

from clawbot_assets.instance.dagster_internals import store_schedule_running, stored_schedule_running
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


def _effective(name: str, default_running: bool, stored_running: bool | None) -> ScheduleState:
    if stored_running is None:
        return ScheduleState(name, default_running, "default")
    return ScheduleState(name, stored_running, "instance")


def states_by_name(
    instance: dg.DagsterInstance, default_running: Mapping[str, bool], location_name: str = CODE_LOCATION
) -> dict[str, ScheduleState]:
    """``{schedule name: its effective state}``, given whether each runs by default."""
    stored = stored_schedule_running(instance, location_name)
    return {name: _effective(name, running, stored.get(name)) for name, running in default_running.items()}


def schedule_states(
    instance: dg.DagsterInstance, schedules: Iterable[dg.ScheduleDefinition], location_name: str = CODE_LOCATION
) -> dict[str, ScheduleState]:
    """``{schedule name: its effective state}`` for ``schedules``."""
    defaults = {schedule.name: schedule.default_status == dg.DefaultScheduleStatus.RUNNING for schedule in schedules}
    return states_by_name(instance, defaults, location_name)


def set_schedule_running(
    instance: dg.DagsterInstance,
    schedule: dg.ScheduleDefinition,
    running: bool,
    repository_origin=None,
    location_name: str = CODE_LOCATION,
) -> ScheduleState:
    """Start or stop ``schedule`` as the UI toggle does; returns the state now in effect.
    ``repository_origin``: the run's (``dagster_internals.run_repository_origin``), so the state is keyed as the
    UI and the daemon key it; by default this location's own."""
    store_schedule_running(instance, schedule, running, repository_origin, location_name)
    return schedule_states(instance, [schedule], location_name)[schedule.name]
