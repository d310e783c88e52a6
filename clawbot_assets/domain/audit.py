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
- ``status_reflects_reality``: ``Live`` means Enabled, scheduled, and a successful run within
  the last two intervals of the schedule that fires it: Dagster runs for a Dagster-owned
  playbook, n8n executions (``GET /api/v1/executions``) for an n8n-owned or shadow one, whose
  latest execution must not have failed either; ``Paused`` and ``Retired`` mean scheduled
  nowhere. ``Draft`` and a blank Status are not judged.

An n8n schedule counts only while it fires (``n8n_fire_times``): one n8n refuses, or whose
interval has stopped firing, is the finding ``n8n_schedule_never_fires`` (under
``enabled_matches_schedule``, with the reason) on an active workflow, and is not live.

A judgement that needs n8n while n8n is unknown is ``unknown``, never a pass or a failure, and a
playbook with anything unknown has no observed Status: reconcile writes none for it.
Every finding says which side to fix (``dagster``, ``n8n`` or ``ssot``) and how.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clawbot_assets.domain.cron_words import describe_cron, next_tick, previous_tick
from clawbot_assets.domain.n8n_executions import FAILING, ExecutionHistory
from clawbot_assets.domain.n8n_fire_times import FiringState, firing_state, next_fire_words
from clawbot_assets.domain.n8n_schedule import N8nWorkflow, TriggerSchedule
from clawbot_assets.domain.playbook import Playbook
from clawbot_assets.names import schedule_name

ENABLED_MATCHES_SCHEDULE = "enabled_matches_schedule"
SINGLE_SCHEDULER = "single_scheduler"
STATUS_REFLECTS_REALITY = "status_reflects_reality"
TRIGGER_AND_APPROVAL_PRESENT = "trigger_and_approval_present"
#: The named finding for an n8n schedule that n8n refuses or that has stopped firing.
N8N_SCHEDULE_NEVER_FIRES = "n8n_schedule_never_fires"
#: Within how many cron intervals a Live playbook must have succeeded.
LIVE_WITHIN_INTERVALS = 2


@dataclass(frozen=True)
class Finding:
    check: str
    playbook: str
    problem: str
    fix: str
    side: str
    #: A finer name than the check, where one applies (``n8n_schedule_never_fires``).
    name: str = ""


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
    #: Its n8n workflows' executions; ``None`` when they were not read (n8n unknown).
    n8n_runs: ExecutionHistory | None = None


@dataclass(frozen=True)
class PlaybookAudit:
    facts: PlaybookFacts
    findings: tuple[Finding, ...]
    unknown: tuple[str, ...]
    #: The Status the facts show, where they show one: what reconcile writes back.
    observed_status: str | None
    next_expected: dt.datetime | None
    #: How to read ``next_expected`` when n8n picks part of it at random.
    next_words: str = ""

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
    firing = n8n_firing(facts.n8n or (), now)
    n8n_live = [w for w in facts.n8n or () if w.active and any(state.fires for _, state in firing[id(w)])]
    findings: list[Finding] = []
    unknown: list[str] = []

    def add(check: str, problem: str, fix: str, side: str, finding_name: str = "") -> None:
        findings.append(Finding(check, name, problem, fix, side, finding_name))

    for workflow in facts.n8n or ():
        for rule, state in firing[id(workflow)]:
            if workflow.active and not state.fires:
                add(
                    ENABLED_MATCHES_SCHEDULE,
                    f"{N8N_SCHEDULE_NEVER_FIRES}: {_names([workflow])} node {rule.node!r} never fires: {state.never_fires}",
                    f"fix that rule in n8n (then deactivate and reactivate {_names([workflow])}), or remove it",
                    "n8n",
                    N8N_SCHEDULE_NEVER_FIRES,
                )

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
        elif owner(playbook) == "n8n" and n8n_live:
            _judge_n8n_runs(facts, [state for w in n8n_live for _, state in firing[id(w)] if state.fires], add, unknown)
    elif playbook.status in ("Paused", "Retired") and scheduled_anywhere:
        add(STATUS_REFLECTS_REALITY, f"Status {playbook.status} but it is still scheduled", "stop its schedules, or set Status to Live", "ssot")

    status = None if unknown else observed_status(facts, owner_known, owner_live, scheduled_anywhere)
    next_expected, next_words = _next(facts, dagster_live, [(s, state) for w in n8n_live for s, state in firing[id(w)]], now)
    return PlaybookAudit(facts, tuple(findings), tuple(unknown), status, next_expected, next_words)


def n8n_firing(workflows: tuple[N8nWorkflow, ...] | list[N8nWorkflow], now: dt.datetime) -> dict[int, list[tuple[TriggerSchedule, FiringState]]]:
    """Each workflow's schedules (keyed by the workflow object's ``id()``) with what n8n does with them around ``now``."""
    return {id(w): [(s, firing_state(s, w.activated_at, now)) for s in w.schedules] for w in workflows}


def _judge_n8n_runs(facts: PlaybookFacts, states: list[FiringState], add, unknown: list[str]) -> None:
    """Live and fired by n8n: a successful execution since the second-last fire, and the latest
    execution not a failure. Judged only once the schedule has fired twice since activation."""
    runs = facts.n8n_runs
    if runs is None or runs.problem:
        unknown.append("n8n executions: " + (runs.problem if runs and runs.problem else "not read"))
        return
    windows = [state.recent[0] for state in states if len(state.recent) == 2]
    latest = runs.last.describe() if runs.last else "none"
    if windows:
        since = min(windows)
        if runs.last_success is None or runs.last_success.started_at < since:
            add(
                STATUS_REFLECTS_REALITY,
                f"Status Live but no successful n8n execution since {since.isoformat(timespec='minutes')} (two intervals); last execution: {latest}",
                "look at the workflow's executions in n8n",
                "n8n",
            )
            return
    if runs.last is not None and runs.last.status in FAILING:
        add(STATUS_REFLECTS_REALITY, f"Status Live but its last n8n execution failed: {latest}", "look at the failed execution in n8n", "n8n")


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


def _next(facts: PlaybookFacts, dagster_live: bool, n8n_states: list[tuple[TriggerSchedule, FiringState]], now: dt.datetime) -> tuple[dt.datetime | None, str]:
    ticks: list[tuple[dt.datetime | None, str]] = []
    if dagster_live or facts.dagster_running:
        ticks.append((next_tick(facts.playbook.cron, facts.playbook.timezone, now), ""))
    ticks += [(state.next_fire, next_fire_words(schedule, state.next_fire)) for schedule, state in n8n_states if state.next_fire]
    known = [(tick, words) for tick, words in ticks if tick is not None]
    if not known:
        return None, ""
    tick, words = min(known, key=lambda item: item[0].astimezone(dt.timezone.utc))
    return tick, (words if words != tick.isoformat(timespec="minutes") else "")


def dagster_words(facts: PlaybookFacts) -> str:
    if facts.dagster_running is None:
        return "no schedule"
    state = "running" if facts.dagster_running else "stopped"
    how = "set in the UI or by reconcile" if facts.dagster_source == "instance" else "default"
    words = f"{state} ({how}): {describe_cron(facts.playbook.cron)} ({facts.playbook.timezone})"
    return words + (", shadow: writes nothing" if facts.playbook.scheduler == "shadow" and facts.dagster_running else "")


def n8n_runs_words(facts: PlaybookFacts, problem: str | None = None) -> str:
    """The latest n8n execution of the playbook's workflows, or ``unknown`` and why."""
    if facts.n8n is None:
        return "unknown" + (f" ({problem})" if problem else "")
    if facts.n8n_runs is None:
        return "unknown (not read)" if facts.n8n else "no n8n workflow"
    return facts.n8n_runs.describe()


def n8n_words(facts: PlaybookFacts, problem: str | None = None) -> str:
    if facts.n8n is None:
        return "unknown" + (f" ({problem})" if problem else "")
    if not facts.n8n:
        return "none"
    return "; ".join(workflow.describe() for workflow in facts.n8n)


def audit(facts: list[PlaybookFacts], now: dt.datetime, n8n_problem: str | None = None, unmatched: list[N8nWorkflow] | tuple = ()) -> AuditReport:
    return AuditReport(tuple(judge(item, now) for item in facts), n8n_problem, tuple(unmatched))
