"""The migration rehearsal's bookkeeping, apart from Dagster: the steps in the order an operator
takes them, what each proved and how long it took, and the failure that stops the rehearsal.

A step is a function that either returns what it proved (one line) or raises ``ProofFailed``
saying why. ``run_steps`` stops at the first failure: nothing after it runs, because each step's
proof is the precondition of the next.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence


class ProofFailed(Exception):
    """A step did its work but what it had to prove does not hold; the message says what."""


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], str]


@dataclass(frozen=True)
class StepOutcome:
    number: int
    total: int
    name: str
    proved: str
    seconds: float
    failed: bool = False

    def line(self) -> str:
        verdict = "FAILED: " if self.failed else ""
        return f"[{self.number}/{self.total}] {self.name}: {verdict}{self.proved} ({self.seconds:.1f} s)"


@dataclass(frozen=True)
class RehearsalReport:
    outcomes: tuple[StepOutcome, ...]
    total: int

    @property
    def failed_step(self) -> StepOutcome | None:
        return next((outcome for outcome in self.outcomes if outcome.failed), None)

    @property
    def succeeded(self) -> bool:
        return self.failed_step is None and len(self.outcomes) == self.total

    def summary(self) -> str:
        failed = self.failed_step
        if failed is None:
            return f"rehearsal complete: {self.total} steps proved in {sum(o.seconds for o in self.outcomes):.1f} s"
        return f"rehearsal stopped at step {failed.number}/{self.total} ({failed.name}): {failed.proved}"


def run_steps(steps: Sequence[Step], report: Callable[[StepOutcome], None] = lambda outcome: None,
              clock: Callable[[], float] = time.monotonic) -> RehearsalReport:
    """Runs ``steps`` in order, reporting each outcome as it ends; stops at the first failure.
    Only ``ProofFailed`` is a failed proof: any other exception is a bug and propagates."""
    outcomes: list[StepOutcome] = []
    for number, step in enumerate(steps, start=1):
        started = clock()
        try:
            proved, failed = step.run(), False
        except ProofFailed as error:
            proved, failed = str(error), True
        outcome = StepOutcome(number, len(steps), step.name, proved, clock() - started, failed)
        outcomes.append(outcome)
        report(outcome)
        if failed:
            break
    return RehearsalReport(tuple(outcomes), len(steps))


def prove(condition: bool, why_not: str) -> None:
    if not condition:
        raise ProofFailed(why_not)
