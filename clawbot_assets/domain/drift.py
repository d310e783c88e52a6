"""Drift between the playbook schedules loaded from the snapshot and the live SSOT."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from clawbot_assets.domain.playbook import PlaybookValidation
from clawbot_assets.names import schedule_name


@dataclass(frozen=True)
class ScheduleFacts:
    cron: str
    timezone: str
    running_by_default: bool


def expected_schedules(validations: list[PlaybookValidation]) -> dict[str, ScheduleFacts]:
    return {
        schedule_name(validation.playbook.slug): ScheduleFacts(
            validation.playbook.cron, validation.playbook.timezone, validation.playbook.dagster_schedule_runs
        )
        for validation in validations
        if validation.schedulable and validation.playbook
    }


def schedule_drift(validations: list[PlaybookValidation], loaded: Mapping[str, ScheduleFacts]) -> dict[str, str]:
    """``{schedule name: what differs}``; empty when the snapshot matches the SSOT."""
    expected = expected_schedules(validations)
    drift: dict[str, str] = {}
    for name, want in expected.items():
        have = loaded.get(name)
        if have is None:
            drift[name] = "the playbook is in the SSOT but has no schedule"
            continue
        differences = [
            f"{label} is {getattr(have, attribute)!r} here, {getattr(want, attribute)!r} in the SSOT"
            for label, attribute in (("cron", "cron"), ("timezone", "timezone"), ("running by default", "running_by_default"))
            if getattr(have, attribute) != getattr(want, attribute)
        ]
        if differences:
            drift[name] = "; ".join(differences)
    for name in sorted(loaded.keys() - expected.keys()):
        drift[name] = "the schedule's playbook is gone from the SSOT, or no longer valid"
    return drift
