"""What the SSOT audit compares: the Playbooks table, n8n's workflows and their executions, the
Dagster instance's schedule states and the playbook runs in its event log. One function, ``gather_audit``, used by
the ``ssot_audit`` asset, its checks and the ``reconcile`` job alike, so all of them judge the
same facts the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

import dagster as dg

from clawbot_assets.adapters.n8n import N8nBudgetSpent, N8nClient, N8nError, N8nUnknownWorkflow, RequestBudget
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.domain.audit import AuditReport, LastRun, PlaybookFacts, audit, n8n_firing, owner
from clawbot_assets.domain.credentials import CredentialError
from clawbot_assets.domain.n8n_executions import ExecutionHistory, N8nExecution, history, parse_execution
from clawbot_assets.domain.n8n_schedule import N8nWorkflow, parse_workflows, workflows_by_playbook
from clawbot_assets.domain.playbook import UNSAFE_TO_RUN, Playbook, PlaybookValidation, validate_playbooks
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.instance.schedule_state import schedule_states
from clawbot_assets.names import PLAYBOOK_SCHEDULE_PREFIX, SKIPPED_TAG, schedule_name
from clawbot_assets.resources.backends import BackendConfigError
from clawbot_assets.resources.n8n import N8nResource
from clawbot_assets.resources.ssot import SsotResource

PARTITION_TAG = "dagster/partition"
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
#: Runs read back per audit: enough for every playbook's latest outcome and latest success.
RUN_HISTORY = 1000
#: How far back executions are read for a workflow whose schedule has not fired twice yet.
EXECUTIONS_LOOKBACK = dt.timedelta(days=7)


@dataclass(frozen=True)
class GatheredAudit:
    report: AuditReport
    validations: list[PlaybookValidation]
    schedules: dict[str, dg.ScheduleDefinition]


def read_n8n(n8n: N8nResource) -> tuple[list[N8nWorkflow] | None, str | None, N8nClient | None]:
    """n8n's workflows and the client that read them, or ``None`` and why not (never the key)."""
    try:
        client = n8n.client()
        return parse_workflows(client.list_workflows()), None, client
    except (N8nError, BackendConfigError, CredentialError) as error:
        return None, str(error), None


def _since(workflow: N8nWorkflow, now: dt.datetime) -> dt.datetime:
    """The oldest execution the audit needs: two intervals back, or a week while it has not
    fired twice since activation."""
    windows = [state.recent[0] for _, state in n8n_firing([workflow], now)[id(workflow)] if len(state.recent) == 2]
    return min(windows, default=now - EXECUTIONS_LOOKBACK)


def read_n8n_runs(client: N8nClient, owned: dict[str, list[N8nWorkflow]], playbooks: list[Playbook], now: dt.datetime, budget: RequestBudget | None = None) -> dict[str, ExecutionHistory]:
    """Per playbook slug: its workflows' executions, through one bounded request budget. Playbooks
    n8n fires come first, so a spent budget leaves only the others unknown. A refusal that holds
    for every workflow (401, 403, no endpoint) is not asked again."""
    budget = budget or RequestBudget()
    ordered = sorted(playbooks, key=lambda p: (owner(p) != "n8n", p.slug))
    histories: dict[str, ExecutionHistory] = {}
    refused: str | None = None
    for playbook in ordered:
        executions: list[N8nExecution] = []
        problems: list[str] = []
        for workflow in owned.get(playbook.slug, []):
            if refused:
                problems.append(refused)
                break
            try:
                raw = client.list_executions(workflow.id, since=_since(workflow, now), budget=budget)
            except N8nBudgetSpent as spent:
                problems.append(str(spent))
                break
            except N8nUnknownWorkflow as error:
                problems.append(str(error))
                continue
            except N8nError as error:
                problems.append(str(error))
                refused = str(error)
                continue
            executions += [e for e in map(parse_execution, raw) if e is not None]
        if playbook.slug in owned:
            histories[playbook.slug] = history(executions, problems)
    return histories


def playbook_runs(instance: dg.DagsterInstance, slugs: Iterable[str]) -> list[dg.RunRecord]:
    """Finished runs of a playbook partition, however they were launched: the ``playbook_run``
    job of the schedules, or Dagster's implicit asset job when someone materialises a partition
    from the Catalog. Judged by the partition (only ``playbook_tasks`` has playbook
    partitions), never by the job's name."""
    slugs = sorted(slugs)
    if not slugs:
        return []
    return list(instance.get_run_records(dg.RunsFilter(tags={PARTITION_TAG: slugs}, statuses=FINISHED), limit=RUN_HISTORY))


def last_runs(instance: dg.DagsterInstance, slugs: Iterable[str]) -> tuple[dict[str, LastRun], dict[str, dt.datetime]]:
    """Per playbook slug: the latest finished run, and the latest run that created its tasks."""
    latest: dict[str, LastRun] = {}
    success: dict[str, dt.datetime] = {}
    for record in playbook_runs(instance, slugs):
        run = record.dagster_run
        slug = run.tags.get(PARTITION_TAG)
        if not slug or record.end_time is None:
            continue
        at = dt.datetime.fromtimestamp(record.end_time, dt.timezone.utc)
        skipped = SKIPPED_TAG in run.tags
        outcome = "skipped" if skipped and run.status == dg.DagsterRunStatus.SUCCESS else run.status.value.lower()
        if slug not in latest or at > latest[slug].at:
            latest[slug] = LastRun(outcome, at)
        if outcome == "success" and (slug not in success or at > success[slug]):
            success[slug] = at
    return latest, success


def playbook_schedules(schedules: Iterable[dg.ScheduleDefinition]) -> dict[str, dg.ScheduleDefinition]:
    return {schedule.name: schedule for schedule in schedules if schedule.name.startswith(PLAYBOOK_SCHEDULE_PREFIX)}


def gather_audit(
    instance: dg.DagsterInstance,
    schedules: Iterable[dg.ScheduleDefinition],
    ssot: SsotResource,
    n8n: N8nResource,
    now: dt.datetime | None = None,
) -> GatheredAudit:
    now = now or dt.datetime.now(dt.timezone.utc)
    validations = validate_playbooks(ssot.client().list_records(PLAYBOOKS_TABLE), DAGSTER_SCHEDULE_RULES)
    playbooks = [v.playbook for v in validations if v.playbook is not None]
    unsafe = {v.playbook.slug: v.describe(UNSAFE_TO_RUN) for v in validations if v.playbook and v.codes & UNSAFE_TO_RUN}
    workflows, n8n_problem, client = read_n8n(n8n)
    owned, unmatched = workflows_by_playbook(workflows or [], [p.slug for p in playbooks])
    runs = read_n8n_runs(client, owned, playbooks, now) if client is not None else {}
    by_name = playbook_schedules(schedules)
    states = schedule_states(instance, by_name.values())
    latest, success = last_runs(instance, [p.slug for p in playbooks])
    facts = []
    for playbook in playbooks:
        state = states.get(schedule_name(playbook.slug))
        facts.append(
            PlaybookFacts(
                playbook=playbook,
                dagster_running=state.running if state else None,
                dagster_source=state.source if state else "default",
                n8n=None if workflows is None else tuple(owned.get(playbook.slug, ())),
                last_run=latest.get(playbook.slug),
                last_success=success.get(playbook.slug),
                unsafe=unsafe.get(playbook.slug, ""),
                n8n_runs=None if workflows is None else runs.get(playbook.slug),
            )
        )
    return GatheredAudit(audit(facts, now, n8n_problem, unmatched), validations, by_name)
