"""Comparing settled shadow ticks with what n8n wrote, and judging which playbooks in shadow
are ready to cut over. Used by the ``cutover_readiness`` asset and its check; no Dagster here.

One comparison reads the records changed since ``READ_BACK`` before the oldest tick to compare
(one paged list), and diffs every settled plan against it at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE, SsotClient
from clawbot_assets.domain.playbook import Playbook, validate_playbooks
from clawbot_assets.domain.shadow import READ_BACK, Readiness, ShadowDiff, ShadowHistory, diff_shadows, readiness


@dataclass(frozen=True)
class CutoverAssessment:
    playbook: Playbook
    readiness: Readiness
    latest: ShadowDiff | None

    def row(self) -> dict:
        latest = self.latest
        return {
            "playbook": self.playbook.name,
            "ready": self.readiness.ready,
            "clean_days": self.readiness.clean_days,
            "days_with_tasks": self.readiness.evidence_days,
            "clean_since": self.readiness.clean_since.isoformat(timespec="minutes") if self.readiness.clean_since else "",
            "latest_diff": f"{latest.tick.isoformat(timespec='minutes')}: {latest.describe()}" if latest else "none yet",
            "reason": self.readiness.reason,
        }


def playbooks_in_shadow(ssot: SsotClient) -> list[Playbook]:
    """Enabled playbooks with Scheduler ``shadow`` that can have a schedule; one whose cron or
    timezone is broken has none (its own checks say so) and is left out here."""
    validations = validate_playbooks(ssot.list_records(PLAYBOOKS_TABLE))
    shadow = [v.playbook for v in validations if v.schedulable and v.playbook and v.playbook.in_shadow]
    return sorted(shadow, key=lambda playbook: playbook.name)


def assess(history: ShadowHistory, playbooks: list[Playbook], now: dt.datetime) -> list[CutoverAssessment]:
    assessments = []
    for playbook in playbooks:
        diffs = history.diffs_of(playbook.slug)
        verdict = readiness(playbook.slug, playbook.cron, playbook.timezone, diffs, now)
        assessments.append(CutoverAssessment(playbook, verdict, max(diffs, key=lambda d: d.tick) if diffs else None))
    return assessments


def compare_settled_plans(history: ShadowHistory, ssot: SsotClient, now: dt.datetime) -> list[ShadowDiff]:
    """Diff every settled plan not compared yet; they are added to ``history`` too."""
    plans = history.to_compare(now)
    if not plans:
        return []
    records = ssot.list_records(TASKS_TABLE, changed_since=min(plan.tick for plan in plans) - READ_BACK)
    diffs = diff_shadows(plans, records)
    for diff in diffs:
        history.add_diff(diff)
    return diffs
