"""The SSOT audit's verdicts: does each playbook's row match what really runs? Pure.

For each playbook the audit knows its row (Enabled, Status, Scheduler, Cron), whether its
Dagster schedule is running as the instance sees it, its n8n workflows (``None`` when n8n could
not be read), and its last runs. Three rules, one per check:

- ``enabled_matches_schedule``: an Enabled playbook has exactly one live schedule, in the
  scheduler its Scheduler names (``shadow`` is still owned by n8n); a disabled one has none
  anywhere.
- ``single_scheduler``: never live in both n8n and Dagster. A Dagster schedule of a ``shadow``
  playbook is not live: it writes nothing.
- a row unsafe to run (``trigger_and_approval_present`` on ``playbooks``, such as a COLD
  playbook with no Trigger or Approval) is never ok, whatever runs it.
- ``status_reflects_reality``: ``Live`` means Enabled, scheduled, and (where the runs are
  visible, that is in Dagster) a successful run within the last two cron intervals;
  ``Paused`` and ``Retired`` mean scheduled nowhere. ``Draft`` and a blank Status are not judged.

A judgement that needs n8n while n8n is unknown is ``unknown``, never a pass or a failure, and a
playbook with anything unknown has no observed Status: reconcile writes none for it.
Every finding says which side to fix (``dagster``, ``n8n`` or ``ssot``) and how.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clawbot_assets.domain.cron_words import describe_cron, next_tick, previous_tick
from clawbot_assets.domain.n8n_schedule import N8nWorkflow
from clawbot_assets.domain.playbook import Playbook
from clawbot_assets.names import schedule_name

ENABLED_MATCHES_SCHEDULE = "enabled_matches_schedule"
SINGLE_SCHEDULER = "single_scheduler"
STATUS_REFLECTS_REALITY = "status_reflects_reality"
TRIGGER_AND_APPROVAL_PRESENT = "trigger_and_approval_present"
#: Within how many cron intervals a Live playbook must have succeeded.
LIVE_WITHIN_INTERVALS = 2


@dataclass(frozen=True)
class Finding:
    check: str
    playbook: str
    problem: str
    fix: str
    side: str


@dataclass(frozen=True)
class LastRun:
    outcome: str
    at: dt.datetime


@dataclass(frozen=True)
class PlaybookFacts:
    playbook: Playbook
    #: The Dagster schedule is running; ``None`` when the playbook has no schedule.
    dagster_running: bool | None
    #: How the state was read: ``instance`` (set in the UI or by reconcile) or ``default``.
    dagster_source: str = "default"
    #: Its n8n workflows, live or not; ``None`` when n8n is unknown.
    n8n: tuple[N8nWorkflow, ...] | None = ()
    last_run: LastRun | None = None
    last_success: dt.datetime | None = None
    #: What makes the row unsafe to run (``trigger_and_approval_present``), or empty: its runs
    #: are refused, so the audit never calls it ok.
    unsafe: str = ""


@dataclass(frozen=True)
class PlaybookAudit:
    facts: PlaybookFacts
    findings: tuple[Finding, ...]
    unknown: tuple[str, ...]
    #: The Status the facts show, where they show one: what reconcile writes back.
    observed_status: str | None
    next_expected: dt.datetime | None

    @property
    def verdict(self) -> str:
        if self.findings:
            return "; ".join(finding.problem for finding in self.findings)
        if self.unknown:
            return "unknown: " + "; ".join(self.unknown)
        return "ok"

    @property
    def fixes(self) -> str:
        return "; ".join(dict.fromkeys(finding.fix for finding in self.findings))


@dataclass(frozen=True)
class AuditReport:
    playbooks: tuple[PlaybookAudit, ...]
    n8n_problem: str | None = None
    unmatched_workflows: tuple[N8nWorkflow, ...] = field(default=())

    def findings(self, check: str | None = None) -> list[Finding]:
        return [f for audit in self.playbooks for f in audit.findings if check is None or f.check == check]

    def unknown(self) -> dict[str, str]:
        return {a.facts.playbook.name: "; ".join(a.unknown) for a in self.playbooks if a.unknown}


def owner(playbook: Playbook) -> str:
    """The scheduler that must fire the playbook: a shadow playbook is still fired by n8n."""
    return "dagster" if playbook.scheduler == "dagster" else "n8n"


def _names(workflows: list[N8nWorkflow]) -> str:
    return ", ".join(f"{w.name!r} ({w.id})" for w in workflows)


def judge(facts: PlaybookFacts, now: dt.datetime) -> PlaybookAudit:
    playbook = facts.playbook
    name, schedule = playbook.name, schedule_name(playbook.slug)
    dagster_live = bool(facts.dagster_running) and playbook.scheduler != "shadow"
    n8n_known = facts.n8n is not None
    n8n_live = [w for w in facts.n8n or () if w.live]
    findings: list[Finding] = []
    unknown: list[str] = []

    def add(check: str, problem: str, fix: str, side: str) -> None:
        findings.append(Finding(check, name, problem, fix, side))

    if facts.unsafe:
        add(TRIGGER_AND_APPROVAL_PRESENT, f"unsafe to run: {facts.unsafe}",
            "fix the row in the SSOT (check trigger_and_approval_present on playbooks); Dagster refuses its runs until then", "ssot")
    if owner(playbook) == "dagster":
        if playbook.enabled and facts.dagster_running is None:
            add(ENABLED_MATCHES_SCHEDULE, "Enabled but it has no Dagster schedule", "fix its Cron/Name so it gets one, then refresh the snapshot", "ssot")
        elif playbook.enabled and not dagster_live:
            add(ENABLED_MATCHES_SCHEDULE, f"Enabled but its Dagster schedule {schedule} is stopped", f"start {schedule} (run reconcile with apply), or untick Enabled", "dagster")
    elif not n8n_known:
        unknown.append("n8n could not be read")
    elif playbook.enabled and not n8n_live:
        add(ENABLED_MATCHES_SCHEDULE, "Enabled and owned by n8n, but no active n8n workflow schedules it", "activate its n8n workflow (tag it playbook:" + playbook.slug + "), or untick Enabled", "n8n")
    elif playbook.enabled and len(n8n_live) > 1:
        add(ENABLED_MATCHES_SCHEDULE, f"n8n schedules it {len(n8n_live)} times: {_names(n8n_live)}", "deactivate all but one of its n8n workflows", "n8n")
    if not playbook.enabled:
        if dagster_live:
            add(ENABLED_MATCHES_SCHEDULE, f"disabled but its Dagster schedule {schedule} is running", f"stop {schedule} (run reconcile with apply), or tick Enabled", "dagster")
        if n8n_live:
            add(ENABLED_MATCHES_SCHEDULE, f"disabled but still live in n8n: {_names(n8n_live)}", f"deactivate {_names(n8n_live)} in n8n, or tick Enabled", "n8n")

    if dagster_live and n8n_live:
        if owner(playbook) == "dagster":
            fix, side = f"deactivate {_names(n8n_live)} in n8n (Dagster owns it)", "n8n"
        else:
            fix, side = f"stop {schedule} (n8n owns it), or finish the cut-over: Scheduler dagster, then deactivate n8n", "dagster"
        add(SINGLE_SCHEDULER, f"live in both Dagster ({schedule}) and n8n ({_names(n8n_live)})", fix, side)
    elif dagster_live and not n8n_known:
        unknown.append("whether n8n also schedules it")
    elif owner(playbook) == "dagster" and not n8n_known:
        unknown.append("whether n8n still schedules it")

    scheduled_anywhere = dagster_live or bool(n8n_live)
    owner_live = dagster_live if owner(playbook) == "dagster" else bool(n8n_live)
    owner_known = owner(playbook) == "dagster" or n8n_known
    if playbook.status == "Live":
        if not playbook.enabled:
            add(STATUS_REFLECTS_REALITY, "Status Live but not Enabled", "set Status to Paused (reconcile writes it), or tick Enabled", "ssot")
        elif owner_known and not owner_live:
            add(STATUS_REFLECTS_REALITY, "Status Live but it is not scheduled", "schedule it, or set Status to Paused (reconcile writes it)", "ssot")
        elif owner(playbook) == "dagster" and dagster_live:
            since = previous_tick(playbook.cron, playbook.timezone, now, back=LIVE_WITHIN_INTERVALS)
            if since is not None and (facts.last_success is None or facts.last_success < since):
                add(
                    STATUS_REFLECTS_REALITY,
                    f"Status Live but no successful run since {since.isoformat(timespec='minutes')} (two cron intervals)",
                    "look at its recent runs and ticks in Dagster",
                    "dagster",
                )
    elif playbook.status in ("Paused", "Retired") and scheduled_anywhere:
        add(STATUS_REFLECTS_REALITY, f"Status {playbook.status} but it is still scheduled", "stop its schedules, or set Status to Live", "ssot")

    status = None if unknown else observed_status(facts, owner_known, owner_live, scheduled_anywhere)
    return PlaybookAudit(facts, tuple(findings), tuple(unknown), status, _next(facts, dagster_live, n8n_live, now))


def observed_status(facts: PlaybookFacts, owner_known: bool, owner_live: bool, scheduled_anywhere: bool) -> str | None:
    """Live when Enabled and its owner schedules it; Paused (or the Draft/Retired it says) when
    scheduled nowhere; ``None`` when the facts do not say (n8n unknown, or inconsistent).

    ``judge`` asks only when no fact is unknown: "scheduled nowhere" read from an unreadable n8n
    once wrote Paused over a playbook n8n still fired (issue 15, finding 7)."""
    playbook = facts.playbook
    if not owner_known or facts.n8n is None:
        return None
    if playbook.enabled and owner_live:
        return "Live"
    if not scheduled_anywhere:
        return playbook.status if playbook.status in ("Draft", "Retired", "Paused") else "Paused"
    return None


def _next(facts: PlaybookFacts, dagster_live: bool, n8n_live: list[N8nWorkflow], now: dt.datetime) -> dt.datetime | None:
    ticks = []
    if dagster_live or facts.dagster_running:
        ticks.append(next_tick(facts.playbook.cron, facts.playbook.timezone, now))
    for workflow in n8n_live:
        ticks += [next_tick(s.cron, s.timezone, now) for s in workflow.schedules if s.cron]
    ticks = [tick for tick in ticks if tick is not None]
    return min(ticks, key=lambda tick: tick.astimezone(dt.timezone.utc)) if ticks else None


def dagster_words(facts: PlaybookFacts) -> str:
    if facts.dagster_running is None:
        return "no schedule"
    state = "running" if facts.dagster_running else "stopped"
    how = "set in the UI or by reconcile" if facts.dagster_source == "instance" else "default"
    words = f"{state} ({how}): {describe_cron(facts.playbook.cron)} ({facts.playbook.timezone})"
    return words + (", shadow: writes nothing" if facts.playbook.scheduler == "shadow" and facts.dagster_running else "")


def n8n_words(facts: PlaybookFacts, problem: str | None = None) -> str:
    if facts.n8n is None:
        return "unknown" + (f" ({problem})" if problem else "")
    if not facts.n8n:
        return "none"
    return "; ".join(workflow.describe() for workflow in facts.n8n)


def audit(facts: list[PlaybookFacts], now: dt.datetime, n8n_problem: str | None = None, unmatched: list[N8nWorkflow] | tuple = ()) -> AuditReport:
    return AuditReport(tuple(judge(item, now) for item in facts), n8n_problem, tuple(unmatched))
