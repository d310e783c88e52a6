"""The post-mortem's charts as PNG, drawn with matplotlib's Agg canvas (no display, no pyplot
state): the queue's duplicates over time, intercepts by reason, cutover progress per playbook.
A chart with nothing to show is still written, saying "no data"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from clawbot_assets.domain.postmortem import PostMortem

DUPLICATES_CHART = "duplicates_over_time.png"
INTERCEPTS_CHART = "intercepts_by_reason.png"
CUTOVER_CHART = "cutover_progress.png"
NO_DATA = "no data"


def _figure(height: float = 4.0) -> Figure:
    figure = Figure(figsize=(9, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _no_data(figure: Figure, title: str) -> None:
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=16, transform=axes.transAxes)
    axes.set_axis_off()


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def duplicates_chart(report: PostMortem, path: Path) -> Path:
    figure, title = _figure(), "task_queue_sales: duplicates found and removed per dedupe"
    series = report.duplicates.series
    if not series:
        _no_data(figure, title)
        return _save(figure, path)
    axes = figure.add_subplot()
    labels = [when.strftime("%m-%d %H:%M") for when, _groups, _removed in series]
    positions = range(len(series))
    axes.bar([p - 0.2 for p in positions], [groups for _when, groups, _removed in series], width=0.4, label="duplicate groups found")
    axes.bar([p + 0.2 for p in positions], [removed for _when, _groups, removed in series], width=0.4, label="records removed")
    axes.set_xticks(list(positions), labels, rotation=30, ha="right")
    axes.set_xlim(-1, max(len(series), 3))
    axes.set_ylabel("records / groups")
    axes.set_title(title)
    axes.legend()
    return _save(figure, path)


def intercepts_chart(report: PostMortem, path: Path) -> Path:
    figure, title = _figure(), "Guardrail intercepts by reason"
    reasons = report.intercepts_by_reason
    if not reasons:
        _no_data(figure, title)
        return _save(figure, path)
    axes = figure.add_subplot()
    names = list(reasons)[::-1]
    axes.barh(names, [reasons[name] for name in names])
    axes.set_xlabel("tasks intercepted")
    axes.set_title(title)
    return _save(figure, path)


def cutover_chart(report: PostMortem, path: Path) -> Path:
    """One line per playbook: shadow from its first shadow event to its cutover (or to the end
    of the period), a dot when it was first ready, a diamond at the cutover."""
    rows = [row for row in report.playbooks if row.shadow_from]
    figure, title = _figure(max(3.0, 1.0 + 0.45 * len(rows))), "Cutover progress per playbook"
    if not rows:
        _no_data(figure, title)
        return _save(figure, path)
    axes = figure.add_subplot()
    for index, row in enumerate(rows):
        start: dt.datetime = row.shadow_from  # type: ignore[assignment]
        end = row.cutover_at or report.until
        axes.plot([start, end], [index, index], linewidth=6, color="tab:orange", solid_capstyle="butt")
        if row.ready_at:
            axes.plot([row.ready_at], [index], "o", color="tab:green")
        if row.cutover_at:
            axes.plot([row.cutover_at], [index], "D", color="tab:blue")
    axes.set_yticks(range(len(rows)), [f"{row.name} ({row.shadow_days} shadow days)" for row in rows])
    axes.set_title(title)
    axes.set_xlabel("bar: in shadow · dot: first ready · diamond: cut over (UTC)")
    figure.autofmt_xdate()
    return _save(figure, path)


def write_charts(report: PostMortem, directory: Path) -> dict[str, Path]:
    return {
        "duplicates": duplicates_chart(report, directory / DUPLICATES_CHART),
        "intercepts": intercepts_chart(report, directory / INTERCEPTS_CHART),
        "cutover": cutover_chart(report, directory / CUTOVER_CHART),
    }
