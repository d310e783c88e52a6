"""A schedule's tick at a simulated time, played in process: the schedule is evaluated as the
daemon evaluates it (``scheduled_execution_time`` is the simulated tick), and each run it requests
is executed with the request's partition and tags, plus the tag the daemon adds. Unlike the
daemon, playing the same tick twice runs it twice (the daemon skips a repeated ``run_key``).
Used by the demo's shadow week and rehearsal, where waiting for the real clock is not an option."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

#: The tag the daemon puts on every run a schedule launches.
SCHEDULE_NAME_TAG = "dagster/schedule_name"


@dataclass(frozen=True)
class TickOutcome:
    schedule: str
    at: dt.datetime
    results: tuple[dg.ExecuteInProcessResult, ...]
    skipped: str | None

    @property
    def success(self) -> bool:
        return all(result.success for result in self.results)


def schedule_named(defs: dg.Definitions, name: str) -> dg.ScheduleDefinition:
    """The schedule as defined (``Definitions.get_schedule_def`` warns that it will stop resolving it)."""
    found = [schedule for schedule in defs.schedules or [] if schedule.name == name]
    if not found:
        raise KeyError(f"no schedule {name} in this code location")
    return found[0]


def play_tick(defs: dg.Definitions, instance: dg.DagsterInstance, schedule_name: str, at: dt.datetime) -> TickOutcome:
    schedule = schedule_named(defs, schedule_name)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()) as context:
        data = schedule.evaluate_tick(context)
    results = []
    for request in data.run_requests or []:
        job = defs.resolve_job_def(schedule.job_name)
        results.append(job.execute_in_process(
            instance=instance, partition_key=request.partition_key, raise_on_error=False,
            tags={**request.tags, SCHEDULE_NAME_TAG: schedule_name},
        ))
    return TickOutcome(schedule_name, at, tuple(results), data.skip_message)
