"""What the nightly dedupe remembers between runs, as a pure fold over its events.

Dagster's event log is the store (``assets/dedupe_events.py`` reads and writes it): each run
records that it *started* before it writes anything, and *commits* by materialising
``task_queue_sales``; an operator may *acknowledge* deals contacted twice. Folding those
events in order with the methods below gives the history a run needs:

- the watermark and the last full pass (from committed runs);
- whether a full pass started and never finished (the next run is then a full pass);
- every run's audited window and duplicates by day, committed or not: a run that died after
  deleting still counts the duplicates it removed, for ``no_new_duplicates_7d``;
- the records no key can be derived from, carried from run to run until they are fixed;
- the deals contacted twice, open until someone acknowledges them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Iterable


@dataclass(frozen=True)
class DedupeRun:
    run_id: str
    mode: str
    audited_from: dt.datetime | None
    audited_to: dt.datetime
    duplicates_created_by_day: dict[str, int]
    committed: bool = False
    #: how the run read slash dates (``day-first`` or ``month-first``); a full pass infers it
    #: from the whole table and the incremental runs after it reuse it
    date_convention: str = ""


@dataclass(frozen=True)
class DedupeHistory:
    runs: tuple[DedupeRun, ...] = ()
    #: record id -> why no key can be derived, as of the last committed run
    unkeyable: dict[str, str] = field(default_factory=dict)
    #: keys of groups with two ``sent`` records, as of the last committed run
    contacted_twice: tuple[str, ...] = ()
    #: keys acknowledged since the last committed run
    acknowledged: frozenset[str] = frozenset()

    def started(self, run: DedupeRun) -> DedupeHistory:
        return replace(self, runs=self._without(run.run_id) + (replace(run, committed=False),))

    def committed(self, run: DedupeRun, unkeyable: dict[str, str], contacted_twice: Iterable[str]) -> DedupeHistory:
        return DedupeHistory(
            runs=self._without(run.run_id) + (replace(run, committed=True),),
            unkeyable=dict(unkeyable),
            contacted_twice=tuple(contacted_twice),
            acknowledged=frozenset(),
        )

    def acknowledge(self, keys: Iterable[str]) -> DedupeHistory:
        return replace(self, acknowledged=self.acknowledged | frozenset(keys))

    def _without(self, run_id: str) -> tuple[DedupeRun, ...]:
        return tuple(run for run in self.runs if run.run_id != run_id)

    def last_committed(self) -> DedupeRun | None:
        return next((run for run in reversed(self.runs) if run.committed), None)

    def watermark(self) -> dt.datetime | None:
        last = self.last_committed()
        return last.audited_to if last else None

    def last_full_pass(self) -> dt.datetime | None:
        return next((run.audited_to for run in reversed(self.runs) if run.committed and run.mode == "full"), None)

    def full_pass_pending(self) -> bool:
        """A full pass started after the last committed one and never committed."""
        for run in reversed(self.runs):
            if run.mode == "full":
                return not run.committed
        return False

    def day_first(self) -> bool | None:
        """The slash-date convention of the last committed full pass, if there is one."""
        convention = next((run.date_convention for run in reversed(self.runs) if run.committed and run.mode == "full"), "")
        return {"day-first": True, "month-first": False}.get(convention)

    def open_contacted_twice(self) -> list[str]:
        """Deals contacted twice that nobody has acknowledged yet: damage stays visible."""
        return [key for key in self.contacted_twice if key not in self.acknowledged]

    def since(self, moment: dt.datetime) -> list[DedupeRun]:
        return [run for run in self.runs if run.audited_to >= moment]
