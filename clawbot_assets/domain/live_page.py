"""The "what's live" page, rendered from the audit's rows: static HTML and markdown. Pure.

Broken playbooks come first, each with what to fix; then those n8n could not confirm; then
the ones that are fine.
"""

from __future__ import annotations

import html
from typing import Mapping, Sequence

Row = Mapping[str, object]


def state(row: Row) -> str:
    verdict = str(row.get("verdict") or "")
    if verdict == "ok":
        return "OK"
    return "UNKNOWN" if verdict.startswith("unknown") else "BROKEN"


def ordered(rows: Sequence[Row]) -> list[Row]:
    """Broken first, then unknown, then ok; by playbook within each."""
    rank = {"BROKEN": 0, "UNKNOWN": 1, "OK": 2}
    return sorted(rows, key=lambda row: (rank[state(row)], str(row.get("playbook"))))


def _schedule(row: Row) -> str:
    return f"Dagster: {row.get('dagster_schedule')}. n8n: {row.get('n8n')}"


def render_markdown(rows: Sequence[Row], generated_at: str) -> str:
    broken = sum(state(row) == "BROKEN" for row in rows)
    lines = [
        "# What's live",
        "",
        f"Generated {generated_at} from the `ssot_audit` asset: {len(rows)} playbooks, {broken} broken.",
        "",
        "| state | playbook | owner | tier | scheduler | schedule | last Dagster run | last n8n execution | next run | verdict | fix |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in ordered(rows):
        cells = [state(row), row.get("playbook"), row.get("owner"), row.get("tier"), row.get("scheduler"), _schedule(row),
                 row.get("last_run"), row.get("last_n8n_execution") or "unknown", row.get("next_tick"), row.get("verdict"), row.get("fix") or ""]
        lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.4rem; text-align: left; vertical-align: top; }
tr.BROKEN { background: #fde8e8; } tr.UNKNOWN { background: #fff6db; } tr.OK { background: #edf7ed; }
.fix { font-weight: 600; }
"""


def render_html(rows: Sequence[Row], generated_at: str) -> str:
    broken = sum(state(row) == "BROKEN" for row in rows)
    body = []
    for row in ordered(rows):
        label = state(row)
        fix = f'<div class="fix">Fix: {html.escape(str(row.get("fix")))}</div>' if row.get("fix") else ""
        cells = [
            f"<td>{label}</td>",
            f"<td><strong>{html.escape(str(row.get('playbook')))}</strong></td>",
            *(f"<td>{html.escape(str(row.get(key) or ''))}</td>" for key in ("owner", "tier", "scheduler")),
            f"<td>{html.escape(_schedule(row))}</td>",
            f"<td>{html.escape(str(row.get('last_run') or ''))}</td>",
            f"<td>{html.escape(str(row.get('last_n8n_execution') or 'unknown'))}</td>",
            f"<td>{html.escape(str(row.get('next_tick') or ''))}</td>",
            f"<td>{html.escape(str(row.get('verdict') or ''))}{fix}</td>",
        ]
        body.append(f'<tr class="{label}">' + "".join(cells) + "</tr>")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ClawBot: what's live</title>"
        f"<style>{_STYLE}</style></head><body>\n<h1>What's live</h1>\n"
        f"<p>Generated {html.escape(generated_at)} from the <code>ssot_audit</code> asset: {len(rows)} playbooks, "
        f"<strong>{broken} broken</strong>.</p>\n"
        "<table><thead><tr><th>State</th><th>Playbook</th><th>Owner</th><th>Tier</th><th>Scheduler</th>"
        "<th>Schedule</th><th>Last Dagster run</th><th>Last n8n execution</th><th>Next run</th><th>Verdict and fix</th></tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>\n</body></html>\n"
    )
