"""What ``reconcile`` changes, each in its safe direction. Pure.

- **Enabled is intent**: the SSOT drives the Dagster schedule. A playbook's schedule should run
  exactly when it is Enabled and its Scheduler is ``dagster`` or ``shadow`` (a shadow schedule
  runs and writes nothing).
- **Status is an observation**: after the schedules are set, the Status the facts show is
  written back into the SSOT, where the facts show one. A playbook with any unknown fact (n8n
  unreadable) gets no Status write, only a ``withheld`` entry saying why.
- **n8n is never changed**: what n8n should do is proposed, for a person to do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from clawbot_assets.domain.audit import PlaybookFacts, judge
from clawbot_assets.names import schedule_name


@dataclass(frozen=True)
class Change:
    side: str
    playbook: str
    action: str
    #: ``dagster``: the schedule name; ``ssot``: the record id; ``n8n``: empty (proposal only).
    target: str = ""
    running: bool | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return f"[{self.side}] {self.playbook}: {self.action}"


def wants_dagster(facts: PlaybookFacts) -> bool:
    return facts.playbook.dagster_schedule_runs


def plan_reconcile(facts: list[PlaybookFacts], now: dt.datetime) -> list[Change]:
    changes: list[Change] = []
    settled: list[PlaybookFacts] = []
    for item in facts:
        playbook = item.playbook
        want = wants_dagster(item)
        if item.dagster_running is not None and item.dagster_running != want:
            verb = "start" if want else "stop"
            why = f"Enabled={playbook.enabled}, Scheduler={playbook.scheduler}"
            changes.append(Change("dagster", playbook.name, f"{verb} {schedule_name(playbook.slug)} ({why})", schedule_name(playbook.slug), want))
            item = dataclasses.replace(item, dagster_running=want, dagster_source="instance")
        settled.append(item)
    for item in settled:
        audit = judge(item, now)
        playbook = item.playbook
        if audit.unknown:
            changes.append(Change("withheld", playbook.name, f"Status {playbook.status or '(blank)'} left as it is: unknown {'; '.join(audit.unknown)}"))
        elif audit.observed_status and audit.observed_status != playbook.status:
            changes.append(
                Change("ssot", playbook.name, f"Status {playbook.status or '(blank)'} -> {audit.observed_status}", playbook.record_id, fields=(("Status", audit.observed_status),))
            )
        for finding in audit.findings:
            if finding.side == "n8n":
                changes.append(Change("n8n", playbook.name, f"proposed, not done: {finding.fix}"))
    return changes
