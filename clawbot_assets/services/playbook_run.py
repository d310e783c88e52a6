"""One run of one playbook: the deals in its trigger stage become tasks, upserted on Key.

The playbook is read live from the SSOT (it may have changed since the schedules' snapshot).
A playbook that is not safe to run is refused before anything is written; one that is not
Enabled or owned by n8n is skipped. Both say why. One in shadow computes its tasks into a
``ShadowPlan`` and writes nothing: n8n still writes them (``domain/shadow.py``).

Writes follow ``domain/tasks.py``: each upsert request of 10 Keys is followed at once by the
update that gives the records it created their identity and initial state, so a task lacks
its Status for one request at most.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clawbot_assets.adapters.crm import CrmClient
from clawbot_assets.adapters.ssot import MAX_RECORDS_PER_WRITE, PLAYBOOKS_TABLE, TASKS_TABLE, SsotClient, chunks
from clawbot_assets.domain.playbook import Playbook, validate_playbooks
from clawbot_assets.domain.schedule_rules import DEFAULT_SCHEDULE_RULES, ScheduleRules
from clawbot_assets.domain.shadow import ShadowPlan
from clawbot_assets.names import AIRTABLE_429S
from clawbot_assets.domain.tasks import (
    MERGE_FIELD,
    UpsertPlan,
    due_date_for,
    new_task,
    plan_upsert,
    still_blank,
    task_rows,
    upsert_request_row,
)


class PlaybookRefused(RuntimeError):
    """The playbook must not run; the message says why, and nothing was written."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class PlaybookRunReport:
    playbook: Playbook
    skipped: str = ""
    due_date: dt.date | None = None
    deals: int = 0
    do_not_contact: int = 0
    created: int = 0
    unchanged: int = 0
    #: records the upsert matched that appeared between the run's read and its write; untouched
    appeared_meanwhile: int = 0
    repaired: int = 0
    awaiting_status: int = 0
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    #: keys of the tasks this run created already intercepted (do-not-contact deals)
    intercepted_keys: list[str] = field(default_factory=list)
    key_mismatch: dict[str, list[str]] = field(default_factory=dict)
    ssot_requests: int = 0
    crm_requests: int = 0
    airtable_429s: int = 0
    #: Set instead of any write when the playbook is in shadow.
    shadow_plan: ShadowPlan | None = None

    def figures(self) -> dict[str, int | str]:
        return {
            "due_date": self.due_date.isoformat() if self.due_date else "",
            "deals": self.deals,
            "created": self.created,
            "unchanged": self.unchanged,
            "appeared_meanwhile": self.appeared_meanwhile,
            "repaired": self.repaired,
            "awaiting_status": self.awaiting_status,
            "do_not_contact_deals": self.do_not_contact,
            # Tasks this run created already intercepted: a rerun of the same due date creates none.
            "intercepted_do_not_contact": len(self.intercepted_keys),
            "ssot_requests": self.ssot_requests,
            "crm_requests": self.crm_requests,
            AIRTABLE_429S: self.airtable_429s,
        }


def load_playbook(ssot: SsotClient, slug: str, rules: ScheduleRules = DEFAULT_SCHEDULE_RULES) -> Playbook:
    validations = validate_playbooks(ssot.list_records(PLAYBOOKS_TABLE), rules)
    for validation in validations:
        if validation.playbook and validation.playbook.slug == slug:
            if not validation.safe_to_run:
                raise PlaybookRefused(
                    f"Playbook {validation.name!r} is not safe to run, no task was created: {validation.describe()}",
                    sorted(validation.codes),
                )
            return validation.playbook
    known = ", ".join(sorted(v.playbook.slug for v in validations if v.playbook))
    raise PlaybookRefused(
        f"No playbook in the SSOT has the slug {slug!r}. Known slugs: {known}. "
        "The next playbooks_refresh run removes this partition."
    )


def run_playbook(
    ssot: SsotClient,
    crm: CrmClient,
    slug: str,
    scheduled_for: dt.datetime,
    rules: ScheduleRules = DEFAULT_SCHEDULE_RULES,
    now: dt.datetime | None = None,
) -> PlaybookRunReport:
    """``rules`` are the cron and timezone rules of the scheduler (Dagster's, in the asset);
    ``now`` is the clock that ages tasks found without Status (``tasks.REPAIR_AFTER``)."""
    playbook = load_playbook(ssot, slug, rules)
    report = PlaybookRunReport(playbook)
    if not playbook.dagster_schedule_runs:
        report.skipped = "not Enabled" if not playbook.enabled else f"owned by {playbook.scheduler}, not dagster"
        return report
    assert playbook.trigger is not None  # safe_to_run guarantees it
    deals = crm.deals_in_stage(playbook.trigger.pipeline_id, playbook.trigger.stage_id)
    report.due_date = due_date_for(playbook, scheduled_for)
    rows = task_rows(playbook, [deal.id for deal in deals], report.due_date)
    flagged = frozenset(deal.id for deal in deals if deal.do_not_contact)
    report.deals, report.do_not_contact = len(deals), len(flagged)
    if playbook.in_shadow:
        tasks = {row[MERGE_FIELD]: new_task(row, row["Deal ID"] in flagged)["Status"] for row in rows}
        report.shadow_plan = ShadowPlan(slug, scheduled_for, report.due_date, tasks)
        _count_requests(report, ssot, crm)
        return report
    plan = plan_upsert(rows, ssot.find_by_keys(TASKS_TABLE, [row["Key"] for row in rows]), flagged, now)
    _create(ssot, plan, report)
    report.repaired = _repair(ssot, plan)
    report.unchanged += len(plan.unchanged)
    report.awaiting_status = len(plan.awaiting_status)
    report.ambiguous, report.key_mismatch = plan.ambiguous, plan.key_mismatch
    _count_requests(report, ssot, crm)
    return report


def _count_requests(report: PlaybookRunReport, ssot: SsotClient, crm: CrmClient) -> None:
    report.ssot_requests, report.crm_requests = ssot.requests_made, crm.requests_made
    report.airtable_429s = ssot.rate_limited_responses


def _create(ssot: SsotClient, plan: UpsertPlan, report: PlaybookRunReport) -> None:
    """Upsert Keys only; give what the upsert created its fields; leave what it matched."""
    for batch in chunks(plan.to_create, MAX_RECORDS_PER_WRITE):
        wanted = {row[MERGE_FIELD]: row for row in batch}
        outcome = ssot.upsert(TASKS_TABLE, [upsert_request_row(row) for row in batch])
        if outcome.created:
            ssot.update(TASKS_TABLE, [(record_id, wanted[outcome.keys[record_id]]) for record_id in outcome.created])
        created_rows = [wanted[outcome.keys[record_id]] for record_id in outcome.created]
        report.intercepted_keys += [row[MERGE_FIELD] for row in created_rows if row.get("Status") == "intercepted"]
        report.created += len(outcome.created)
        report.appeared_meanwhile += len(outcome.updated)


def _repair(ssot: SsotClient, plan: UpsertPlan) -> int:
    """Fill the blank fields of tasks found without Status, re-read just before the write."""
    if not plan.to_repair:
        return 0
    repairs = still_blank(plan.to_repair, ssot.find_by_ids(TASKS_TABLE, [record_id for record_id, _ in plan.to_repair]))
    if repairs:
        ssot.update(TASKS_TABLE, repairs)
    return len(repairs)
