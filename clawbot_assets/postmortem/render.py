"""The post-mortem as markdown: every figure from ``PostMortem`` with the place it was read
(``read.SOURCES``); a section with nothing recorded says "no data"."""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from clawbot_assets.domain.postmortem import PostMortem
from clawbot_assets.postmortem.charts import CUTOVER_CHART, DUPLICATES_CHART, INTERCEPTS_CHART, NO_DATA
from clawbot_assets.postmortem.read import SOURCES

NOT_MEASURED = "not measured"


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def _source(name: str) -> str:
    return f"source: {SOURCES[name]}"


def _counts(counts: Mapping[str, int], source: str) -> list[str]:
    if not counts:
        return [f"{NO_DATA} ({_source(source)})", ""]
    lines = ["| | count |", "|---|---:|", *(f"| {name} | {count} |" for name, count in counts.items())]
    return [*lines, f"| **total** | **{sum(counts.values())}** |", "", f"_{_source(source)}_", ""]


def _duplicates(report: PostMortem) -> list[str]:
    figures = report.duplicates
    if not figures.runs:
        return ["## Duplicates in task_queue_sales", "", f"{NO_DATA}: no dedupe committed in the period ({_source('removed')}).", "",
                f"![duplicates over time]({DUPLICATES_CHART})", ""]
    return [
        "## Duplicates in task_queue_sales",
        "",
        f"- dedupe runs committed: **{figures.runs}** ({_source('removed')})",
        f"- duplicate groups found: **{figures.duplicate_groups}** ({_source('duplicates')})",
        f"- records removed (archived first, restorable): **{figures.removed}** ({_source('removed')})",
        f"- deals contacted twice before the fix: **{figures.deals_contacted_twice}** ({_source('contacted_twice')})",
        "",
        f"![duplicates over time]({DUPLICATES_CHART})",
        "",
    ]


def _intercepts(report: PostMortem) -> list[str]:
    lines = ["## Guardrail intercepts by reason", "", *_counts(dict(report.intercepts_by_reason), "intercepts")]
    if report.intercepts_by_reason:
        lines += ["By asset: " + ", ".join(f"`{source}` {count}" for source, count in report.intercepts_by_source.items()), ""]
    return [*lines, f"![intercepts by reason]({INTERCEPTS_CHART})", ""]


def _rate_limited(report: PostMortem) -> list[str]:
    return [
        "## Airtable 429s",
        "",
        f"**{report.rate_limited}** 429 answers, each a 30 s penalty for every process on the base.",
        "",
        *(_counts(dict(report.rate_limited_by_source), "rate_limited") if report.rate_limited else [f"_{_source('rate_limited')}_", ""]),
    ]


def _dlq(report: PostMortem) -> list[str]:
    dlq = report.dlq
    lines = ["## Dead-letter queue incidents", ""]
    if not dlq.incidents:
        lines.append(f"- incidents: **0** ({NO_DATA}: no triage run for an incident; {_source('dlq_incidents')})")
    else:
        lines.append(f"- incidents: **{len(dlq.incidents)}**, triage runs: {dlq.triage_runs} ({_source('dlq_incidents')})")
        lines += [f"  - `{incident}`: {', '.join(statuses)}" for incident, statuses in dlq.statuses.items()]
    depth = f"**{dlq.peak_depth}** (observations: {dlq.observations})" if dlq.peak_depth is not None else NO_DATA
    return [*lines, f"- peak DLQ depth: {depth} ({_source('dlq_depth')})", ""]


def _playbooks(report: PostMortem) -> list[str]:
    lines = ["## Shadow and cutover per playbook", ""]
    if not report.playbooks:
        lines += [f"{NO_DATA}: no playbook was in shadow in the period ({_source('shadow')}).", ""]
    else:
        lines += [
            "| playbook | shadow from | shadow days | empty diffs | first ready | cut over | shadow → cutover | Scheduler now |",
            "|---|---|---:|---:|---|---|---|---|",
            *(
                f"| {row.name} | {_when(row.shadow_from)} | {row.shadow_days} | {row.empty_diffs}/{row.diffs} | "
                f"{_when(row.ready_at)} | {_when(row.cutover_at)} | {_duration(row.shadow_to_cutover)} | {row.scheduler_now} |"
                for row in report.playbooks
            ),
            "",
            f"_Shadow days and diffs, {_source('shadow')}. First ready, {_source('ready')}. "
            f"Cut over, {_source('cutover')}. Scheduler now, {_source('scheduler_now')}._",
            "",
        ]
    if report.ssot_problem:
        lines += [f"The SSOT could not be read, so \"Scheduler now\" is unknown: {report.ssot_problem}", ""]
    elif report.schedulers_now:
        owners = ", ".join(f"{scheduler} {count}" for scheduler, count in report.schedulers_now.items())
        lines += [f"Playbooks by Scheduler now: {owners} ({_source('scheduler_now')}).", ""]
    return [*lines, f"![cutover progress]({CUTOVER_CHART})", ""]


def _budget(report: PostMortem) -> list[str]:
    lines = ["## Airtable requests against the budget (18,000 an hour per base)", ""]
    budget = report.budget
    if budget is None:
        return [*lines, f"{NOT_MEASURED} ({_source('budget')}: none in the period).", ""]

    def figure(requests: int | None, share: float | None) -> str:
        if requests is None:
            return NOT_MEASURED
        return f"**{requests}** requests" + (f" ({share:.1%} of the budget)" if share is not None else "")

    return [
        *lines,
        f"- busiest measured hour: {figure(budget.peak_hour_requests, budget.peak_hour_share)}",
        f"- highest steady state (without the nightly dedupe): {figure(budget.steady_state_requests, budget.steady_state_share)}",
        f"- readings: {budget.readings}",
        "",
        f"_{_source('budget')}_",
        "",
    ]


def render_markdown(report: PostMortem, instance_description: str, ssot_description: str) -> str:
    header = [
        "# ClawBot migration post-mortem",
        "",
        f"Period: {_when(report.since)} to {_when(report.until)}. Written by `python -m clawbot_assets.postmortem` from the "
        f"event log of the Dagster instance ({instance_description}) and the SSOT ({ssot_description}); no figure is typed in.",
        "",
    ]
    sections = [_duplicates, _intercepts, _rate_limited, _dlq, _playbooks, _budget]
    return "\n".join(header + [line for section in sections for line in section(report)])
