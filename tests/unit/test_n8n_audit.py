"""The audit counts only n8n schedules that fire, names the ones that never do, and judges an
n8n-fired playbook's Status by n8n's executions."""

import dataclasses
import datetime as dt

import pytest

from clawbot_assets.adapters.n8n import N8nBudgetSpent, N8nError, N8nUnknownWorkflow
from clawbot_assets.assets.audit_facts import read_n8n_runs
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.audit import (
    ENABLED_MATCHES_SCHEDULE,
    N8N_SCHEDULE_NEVER_FIRES,
    SINGLE_SCHEDULER,
    STATUS_REFLECTS_REALITY,
    PlaybookFacts,
    judge,
    n8n_runs_words,
)
from clawbot_assets.domain.n8n_executions import ExecutionHistory, N8nExecution, history
from clawbot_assets.domain.n8n_schedule import parse_workflow
from clawbot_assets.domain.playbook import validate_playbooks

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PLAYBOOK = next(v.playbook for v in validate_playbooks(playbook_records()) if v.playbook and v.playbook.slug == "renewal_reminder_30_days")


def n8n_workflow(rule, active=True, activated="2026-03-01T00:00:00Z", version=1.3, workflow_id="wf1"):
    node = {"name": "Schedule", "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": version, "parameters": {"rule": {"interval": [rule]}}}
    return parse_workflow(
        {"id": workflow_id, "name": PLAYBOOK.name, "active": active, "nodes": [node], "settings": {"timezone": "UTC"}, "updatedAt": activated,
         "tags": [{"name": f"playbook:{PLAYBOOK.slug}"}]}
    )


DAILY_9 = {"field": "days", "triggerAtHour": 9}


def run(status: str, at: str, number: int = 1) -> N8nExecution:
    return N8nExecution(str(number), "wf1", status, dt.datetime.fromisoformat(at).replace(tzinfo=UTC))


def audit(workflows, scheduler="n8n", dagster_running=False, runs=None, status="Live", enabled=True):
    playbook = dataclasses.replace(PLAYBOOK, scheduler=scheduler, status=status, enabled=enabled)
    return judge(PlaybookFacts(playbook, dagster_running, "instance", tuple(workflows), n8n_runs=runs), NOW)


def test_a_schedule_n8n_refuses_is_a_named_finding_and_not_live():
    result = audit([n8n_workflow({"field": "seconds", "secondsInterval": 90})], runs=history([]))
    named = [f for f in result.findings if f.name == N8N_SCHEDULE_NEVER_FIRES]
    assert len(named) == 1 and "Seconds must be in range 1-59" in named[0].problem and named[0].side == "n8n"
    assert any("no active n8n workflow schedules it" in f.problem for f in result.findings)
    assert result.observed_status is None or result.observed_status != "Live"


def test_an_interval_that_stopped_firing_does_not_count_as_a_second_scheduler():
    stopped = n8n_workflow({"field": "hours", "hoursInterval": 5}, activated="2026-03-09T11:00:00Z")
    result = audit([stopped], scheduler="dagster", dagster_running=True)
    checks = {f.check for f in result.findings}
    assert SINGLE_SCHEDULER not in checks
    named = [f for f in result.findings if f.name == N8N_SCHEDULE_NEVER_FIRES]
    assert named and "stopped firing" in named[0].problem and "waits for hour 1" in named[0].problem


def test_the_same_interval_while_it_still_fires_is_a_second_scheduler():
    firing = n8n_workflow({"field": "hours", "hoursInterval": 3}, activated="2026-03-09T11:00:00Z")
    assert SINGLE_SCHEDULER in {f.check for f in audit([firing], scheduler="dagster", dagster_running=True).findings}


@pytest.mark.parametrize("scheduler", ["n8n", "shadow"])
def test_live_without_a_success_within_two_intervals_names_the_last_execution(scheduler):
    runs = history([run("success", "2026-03-07T09:00:05", 1), run("error", "2026-03-09T09:00:05", 2), run("error", "2026-03-10T09:00:04", 3)])
    result = audit([n8n_workflow(DAILY_9)], scheduler=scheduler, dagster_running=scheduler == "shadow", runs=runs)
    status = [f for f in result.findings if f.check == STATUS_REFLECTS_REALITY]
    assert len(status) == 1 and status[0].side == "n8n"
    assert "since 2026-03-09T09:00+00:00" in status[0].problem and "error at 2026-03-10T09:00+00:00 (execution 3)" in status[0].problem


def test_a_recent_success_passes_and_a_failing_latest_execution_does_not():
    ok = history([run("success", "2026-03-10T09:00:03")])
    assert not audit([n8n_workflow(DAILY_9)], runs=ok).findings
    failing = history([run("success", "2026-03-09T09:00:03", 1), run("crashed", "2026-03-10T09:00:03", 2)])
    problems = [f.problem for f in audit([n8n_workflow(DAILY_9)], runs=failing).findings]
    assert problems == ["Status Live but its last n8n execution failed: crashed at 2026-03-10T09:00+00:00 (execution 2)"]


def test_executions_unknown_make_the_verdict_unknown_and_say_why():
    runs = ExecutionHistory(problem="GET /api/v1/executions answered 403: N8N_API_KEY lacks the scope for it (execution:read for executions)")
    result = audit([n8n_workflow(DAILY_9)], runs=runs)
    assert not result.findings and "execution:read" in result.verdict and result.verdict.startswith("unknown")
    assert n8n_runs_words(result.facts).startswith("unknown (GET /api/v1/executions answered 403")


def test_enabled_matches_schedule_counts_only_firing_schedules():
    refused = n8n_workflow({"field": "cronExpression", "expression": "0 9 L * *"}, workflow_id="wf1")
    firing = n8n_workflow(DAILY_9, workflow_id="wf2")
    result = audit([refused, firing], runs=history([run("success", "2026-03-10T09:00:03")]))
    assert not any("times:" in f.problem for f in result.findings)
    assert [f.name for f in result.findings if f.check == ENABLED_MATCHES_SCHEDULE] == [N8N_SCHEDULE_NEVER_FIRES]


class ScriptedClient:
    """An n8n client whose executions answers are scripted per workflow id."""

    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def list_executions(self, workflow_id, *, since, budget):
        self.asked.append(workflow_id)
        answer = self.answers[workflow_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


def playbooks(*slugs_and_schedulers):
    return [dataclasses.replace(PLAYBOOK, slug=slug, name=slug, scheduler=scheduler) for slug, scheduler in slugs_and_schedulers]


def test_reading_runs_puts_n8n_fired_playbooks_first_and_a_spent_budget_makes_the_rest_unknown():
    books = playbooks(("a_dagster", "dagster"), ("b_n8n", "n8n"))
    owned = {"a_dagster": [n8n_workflow(DAILY_9, workflow_id="wfA")], "b_n8n": [n8n_workflow(DAILY_9, workflow_id="wfB")]}
    client = ScriptedClient({"wfB": [{"id": "9", "workflowId": "wfB", "status": "success", "startedAt": "2026-03-10T09:00:02Z"}], "wfA": N8nBudgetSpent("budget of 1 spent")})
    runs = read_n8n_runs(client, owned, books, NOW)
    assert client.asked == ["wfB", "wfA"]
    assert runs["b_n8n"].last.describe() == "success at 2026-03-10T09:00+00:00 (execution 9)"
    assert runs["a_dagster"].problem == "budget of 1 spent"


def test_a_refusal_for_every_workflow_is_asked_once_and_a_404_only_costs_its_workflow():
    books = playbooks(("a", "n8n"), ("b", "n8n"), ("c", "n8n"))
    owned = {slug: [n8n_workflow(DAILY_9, workflow_id=f"wf_{slug}")] for slug in "abc"}
    gone = ScriptedClient({"wf_a": N8nUnknownWorkflow("404 for workflowId wf_a"), "wf_b": [], "wf_c": []})
    runs = read_n8n_runs(gone, owned, books, NOW)
    assert runs["a"].problem and runs["b"].problem is None and runs["b"].describe() == "none in n8n"
    refused = ScriptedClient({"wf_a": N8nError("answered 403: lacks execution:read"), "wf_b": [], "wf_c": []})
    runs = read_n8n_runs(refused, owned, books, NOW)
    assert refused.asked == ["wf_a"] and all("403" in runs[slug].problem for slug in "abc")
