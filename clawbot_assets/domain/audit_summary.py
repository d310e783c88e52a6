"""The audit's rows as the Dagster UI can show them. Pure.

Dagster 1.13's UI draws a table metadata value inside the value column of the asset's
metadata (about 390 px on a 1600 px screen) at its natural width, without a scroll bar: the 14
columns of the full ``audit`` table, or any column of sentences, run past the edge and are cut
off. So the UI gets the audit twice in forms that fit: a ``report`` in markdown, which the UI
opens in a wide dialog (*Show Markdown*), one section per playbook with every fact, and a
``summary`` table of short columns only (state, playbook, owner).
"""

from __future__ import annotations

from typing import Sequence

from clawbot_assets.domain.live_page import Row, ordered, state

SUMMARY_COLUMNS = ("state", "playbook", "owner")

#: The facts a report section lists under each playbook: (label, row key).
REPORT_FACTS = (
    ("Fix", "fix"),
    ("SSOT", None),
    ("Dagster schedule", "dagster_schedule"),
    ("Next tick", "next_tick"),
    ("Last run", "last_run"),
    ("n8n", "n8n"),
    ("Last n8n execution", "last_n8n_execution"),
    ("Observed Status", "observed_status"),
)


def summary_rows(rows: Sequence[Row]) -> list[dict[str, str]]:
    """State, playbook and owner of each playbook, broken first."""
    return [{column: state(row) if column == "state" else str(row.get(column) or "") for column in SUMMARY_COLUMNS} for row in ordered(rows)]


def _ssot_words(row: Row) -> str:
    enabled = "Enabled" if row.get("enabled") else "not Enabled"
    return f"{enabled}, Status {row.get('status') or '(empty)'}, Scheduler {row.get('scheduler')}"


def _escaped(text: object) -> str:
    return str(text).replace("*", "\\*").replace("_", "\\_")


def report_markdown(rows: Sequence[Row]) -> str:
    """Every row of the audit, one section per playbook, broken first, nothing left out."""
    counts = {label: sum(state(row) == label for row in rows) for label in ("BROKEN", "UNKNOWN", "OK")}
    lines = [
        "# SSOT audit",
        "",
        f"{len(rows)} playbooks: {counts['BROKEN']} broken, {counts['UNKNOWN']} unknown, {counts['OK']} ok.",
    ]
    for row in ordered(rows):
        owner = ", ".join(str(part) for part in (row.get("tier"), row.get("owner")) if part)
        lines += ["", f"## {state(row)}: {_escaped(row.get('playbook'))}" + (f" ({_escaped(owner)})" if owner else ""), ""]
        lines.append(f"**Verdict:** {_escaped(row.get('verdict') or '')}")
        lines.append("")
        for label, key in REPORT_FACTS:
            value = _ssot_words(row) if key is None else row.get(key)
            if value:
                lines.append(f"- **{label}:** {_escaped(value)}")
    return "\n".join(lines) + "\n"
