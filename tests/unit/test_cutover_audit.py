"""The audit through a cut-over: n8n alone, then shadow (Dagster's schedule runs and writes
nothing, so it is not live), then Dagster alone; and the two mistakes a cut-over can make."""

import dataclasses
import datetime as dt

import pytest

from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.audit import ENABLED_MATCHES_SCHEDULE, SINGLE_SCHEDULER, PlaybookFacts, judge
from clawbot_assets.domain.n8n_schedule import N8nWorkflow, TriggerSchedule
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.reconcile import wants_dagster

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
PLAYBOOK = next(v.playbook for v in validate_playbooks(playbook_records()) if v.playbook and v.playbook.slug == "renewal_reminder_30_days")


def n8n(active: bool) -> tuple[N8nWorkflow, ...]:
    schedule = TriggerSchedule(cron="0 7 * * *", timezone="UTC", words="daily at 07:00")
    return (N8nWorkflow("wf1", "Renewal Reminder — 30 Days", active, ("playbook:renewal_reminder_30_days",), (schedule,)),)


def findings(scheduler: str, dagster_running: bool, n8n_active: bool) -> set[str]:
    facts = PlaybookFacts(dataclasses.replace(PLAYBOOK, scheduler=scheduler), dagster_running, "instance", n8n(n8n_active))
    return {finding.check for finding in judge(facts, NOW).findings}


@pytest.mark.parametrize(
    "phase, scheduler, dagster_running, n8n_active",
    [("before", "n8n", False, True), ("shadow", "shadow", True, True), ("after", "dagster", True, False)],
)
def test_each_phase_of_a_cutover_done_right_has_no_scheduling_finding(phase, scheduler, dagster_running, n8n_active):
    assert not findings(scheduler, dagster_running, n8n_active) & {SINGLE_SCHEDULER, ENABLED_MATCHES_SCHEDULE}


def test_flipping_to_dagster_with_the_n8n_workflow_still_active_fails_single_scheduler():
    assert SINGLE_SCHEDULER in findings("dagster", True, True)


def test_shadow_with_the_n8n_workflow_switched_off_fails_enabled_matches_schedule():
    """In shadow n8n still writes: without its workflow nothing is written at all."""
    assert ENABLED_MATCHES_SCHEDULE in findings("shadow", True, False)


def test_reconcile_keeps_a_shadow_playbook_schedule_running():
    facts = PlaybookFacts(dataclasses.replace(PLAYBOOK, scheduler="shadow"), False)
    assert wants_dagster(facts)
