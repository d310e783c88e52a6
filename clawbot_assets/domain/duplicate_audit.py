"""The 7-day duplicate verdict, from the dedupe history: which days were audited, and how many
duplicates were created on each. A day no run covered is unaudited, never assumed clean."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Protocol

UTC = dt.timezone.utc


class AuditedRun(Protocol):
    audited_from: dt.datetime | None
    audited_to: dt.datetime
    duplicates_created_by_day: dict[str, int]


@dataclass(frozen=True)
class DuplicateVerdict:
    days: tuple[str, ...]
    duplicates_by_day: dict[str, int]
    unaudited_days: tuple[str, ...]

    @property
    def duplicates(self) -> int:
        return sum(self.duplicates_by_day.values())

    @property
    def clean(self) -> bool:
        return self.duplicates == 0 and not self.unaudited_days


def _covered(day: dt.date, runs: list[AuditedRun]) -> bool:
    """True when the union of the runs' windows covers the whole UTC day."""
    start = dt.datetime.combine(day, dt.time(), UTC)
    end = start + dt.timedelta(days=1)
    windows = sorted(
        (run.audited_from or dt.datetime.min.replace(tzinfo=UTC), run.audited_to) for run in runs
    )
    reached = start
    for window_start, window_end in windows:
        if window_start > reached:
            break
        reached = max(reached, window_end)
        if reached >= end:
            return True
    return False


def seven_day_verdict(runs: Iterable[AuditedRun], today: dt.date, days: int = 7) -> DuplicateVerdict:
    """The ``days`` whole days before ``today`` (UTC)."""
    runs = list(runs)
    window = tuple((today - dt.timedelta(days=offset)).isoformat() for offset in range(days, 0, -1))
    counts = {day: 0 for day in window}
    for run in runs:
        for day, count in run.duplicates_created_by_day.items():
            if day in counts:
                counts[day] += count
    unaudited = tuple(day for day in window if not _covered(dt.date.fromisoformat(day), runs))
    return DuplicateVerdict(window, {day: count for day, count in counts.items() if count}, unaudited)
