"""``python -m clawbot_assets.demo rehearse``: the whole migration on the embedded demo, in
process on a temporary data dir and instance. The end state is read back from the systems
themselves (the n8n export, the SSOT, the instance's schedule states and check results), and the
post-mortem's figures must be those the runs recorded. A wrong fix stops it at its step."""

import dagster as dg
import pytest

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo import n8n_export
from clawbot_assets.demo.__main__ import main
from clawbot_assets.demo.rehearsal import COLD_FIXES, Rehearsal, failing_error_checks, rehearse
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.names import TASK_QUEUE_SALES, schedule_name
from clawbot_assets.postmortem import POSTMORTEM_FILE
from clawbot_assets.postmortem.charts import CUTOVER_CHART, DUPLICATES_CHART, INTERCEPTS_CHART
from clawbot_assets.resources.backends import LOCAL_N8N_FILE
from clawbot_assets.instance.schedule_state import schedule_states


def test_the_rehearsal_walks_the_migration_and_the_post_mortem_comes_from_the_record(local_resources, data_dir, instance, tmp_path):
    lines = []
    report = rehearse(local_resources, instance, tmp_path / "rehearsal", lambda outcome: lines.append(outcome.line()))

    assert report.succeeded, report.summary()
    assert [line.split("]")[0] for line in lines] == [f"[{n}/9" for n in range(1, 10)]
    assert all(line.endswith(" s)") and "FAILED" not in line for line in lines)

    playbooks = [v.playbook for v in validate_playbooks(local_resources["ssot"].client().list_records(PLAYBOOKS_TABLE))]
    assert {p.scheduler for p in playbooks} == {"dagster"}
    assert n8n_export.live_workflows(data_dir / LOCAL_N8N_FILE) == []
    rehearsal = Rehearsal(local_resources, instance, tmp_path / "again")
    states = schedule_states(instance, rehearsal.defs.schedules)
    enabled = [p for p in playbooks if p.enabled]
    assert len(enabled) == 12 and all(states[schedule_name(p.slug)].running for p in enabled)
    assert failing_error_checks(instance, rehearsal.defs) == []

    removed = [
        record.asset_materialization.metadata["removed"].value
        for record in instance.fetch_materializations(dg.AssetKey(TASK_QUEUE_SALES), limit=100).records
    ]
    assert len(removed) >= 3 and sum(removed) > 0
    text = (tmp_path / "rehearsal" / POSTMORTEM_FILE).read_text()
    assert f"records removed (archived first, restorable): **{sum(removed)}**" in text
    shadowed = ("Cold Outbound — EU Founders", "Cold Outbound — US SaaS", "Stale Deal Nudge", "Renewal Reminder — 30 Days", "LinkedIn Warm Intro")
    assert all(f"| {name} |" in text for name in shadowed)
    for chart in (DUPLICATES_CHART, INTERCEPTS_CHART, CUTOVER_CHART):
        assert (tmp_path / "rehearsal" / chart).stat().st_size > 1000


def test_a_wrong_fix_stops_the_rehearsal_at_its_step_and_says_why(local_resources, instance, tmp_path):
    wrong = {**COLD_FIXES, "Cold Outbound — US SaaS": {**COLD_FIXES["Cold Outbound — US SaaS"], "Approval": "auto"}}
    lines = []
    report = rehearse(local_resources, instance, tmp_path, lines.append, cold_fixes=wrong)

    assert not report.succeeded
    failed = report.failed_step
    assert (failed.number, failed.name) == (2, "fix the broken COLD playbooks")
    assert "trigger_and_approval_present still fails after the fix: Cold Outbound — US SaaS" in failed.proved
    assert len(report.outcomes) == 2 and not (tmp_path / POSTMORTEM_FILE).exists()
    assert report.summary().startswith("rehearsal stopped at step 2/9 (fix the broken COLD playbooks): trigger_and_approval_present")


def test_the_command_needs_a_dagster_home_and_refuses_a_backend_other_than_the_embedded_one(monkeypatch, tmp_path, capsys, local_resources, instance):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("CLAWBOT_DATA_DIR", str(tmp_path))
    assert main(["demo", "rehearse"]) == 2 and "DAGSTER_HOME is not set" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="embedded backend only: resource ssot"):
        Rehearsal({**local_resources, "ssot": dg.ResourceDefinition.none_resource()}, instance, tmp_path)
