"""The audit as the UI shows it: a report in markdown and a summary table of short columns."""

from clawbot_assets.domain.audit_summary import SUMMARY_COLUMNS, report_markdown, summary_rows

ROWS = [
    {"playbook": "Upsell Expansion", "tier": "WARM", "owner": "Aiko", "enabled": False, "status": "Paused", "scheduler": "dagster",
     "dagster_schedule": "stopped (default)", "n8n": "none", "last_run": "none in Dagster", "last_n8n_execution": "no n8n workflow",
     "next_tick": "not scheduled", "verdict": "ok", "fix": "", "observed_status": "Paused"},
    {"playbook": "Churn Rescue", "tier": "HOT", "owner": "Diego", "enabled": True, "status": "Live", "scheduler": "dagster",
     "dagster_schedule": "running (default): every day at 09:00", "n8n": "none", "last_run": "none in Dagster",
     "last_n8n_execution": "no n8n workflow", "next_tick": "2026-12-07T09:00-03:00",
     "verdict": "Status Live but no successful run since 2026-12-05", "fix": "check trigger_and_approval_present on playbooks",
     "observed_status": "Live"},
    {"playbook": "Stale Deal Nudge", "tier": "WARM", "owner": "Marcus", "enabled": True, "status": "Live", "scheduler": "n8n",
     "dagster_schedule": "stopped (default)", "n8n": "unknown", "last_run": "none in Dagster", "last_n8n_execution": "unknown",
     "next_tick": "unknown", "verdict": "unknown: n8n could not be read", "fix": "", "observed_status": ""},
]


def test_the_summary_has_short_columns_only_broken_first():
    rows = summary_rows(ROWS)
    assert [tuple(row) for row in rows] == [SUMMARY_COLUMNS] * 3
    assert [(row["state"], row["playbook"], row["owner"]) for row in rows] == [
        ("BROKEN", "Churn Rescue", "Diego"), ("UNKNOWN", "Stale Deal Nudge", "Marcus"), ("OK", "Upsell Expansion", "Aiko"),
    ]


def test_the_report_has_a_section_per_playbook_broken_first_with_every_fact():
    report = report_markdown(ROWS)
    assert report.startswith("# SSOT audit\n\n3 playbooks: 1 broken, 1 unknown, 1 ok.\n")
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings == ["## BROKEN: Churn Rescue (HOT, Diego)", "## UNKNOWN: Stale Deal Nudge (WARM, Marcus)", "## OK: Upsell Expansion (WARM, Aiko)"]
    churn = report.split("## BROKEN: Churn Rescue")[1].split("## ")[0]
    assert "**Verdict:** Status Live but no successful run since 2026-12-05" in churn
    # Underscores are escaped, or markdown would set the check's name in italics.
    assert "- **Fix:** check trigger\\_and\\_approval\\_present on playbooks" in churn
    for fact in ("**SSOT:** Enabled, Status Live, Scheduler dagster", "**Dagster schedule:** running (default): every day at 09:00",
                 "**Next tick:** 2026-12-07T09:00-03:00", "**Last run:** none in Dagster", "**n8n:** none",
                 "**Last n8n execution:** no n8n workflow", "**Observed Status:** Live"):
        assert f"- {fact}" in churn
    upsell = report.split("## OK: Upsell Expansion")[1]
    assert "**SSOT:** not Enabled, Status Paused, Scheduler dagster" in upsell and "**Fix:**" not in upsell
