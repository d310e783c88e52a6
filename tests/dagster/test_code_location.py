"""The whole code location loads, offline, whatever the SSOT holds."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from clawbot_assets.definitions import defs
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.names import PLAYBOOK_PARTITIONS, SCHEDULED_FOR_TAG
from schedules.playbook_schedules import build_playbook_schedules
from schedules.snapshot_component import PlaybookSchedulesComponent, write_snapshot


def schedules_from(records, tmp_path):
    state = tmp_path / "state"
    write_snapshot(state, records, "test")
    built = PlaybookSchedulesComponent().build_defs_from_state(None, state)
    return {schedule.name: schedule for schedule in built.schedules or []}


def test_code_location_loads_with_the_real_environment_switches_and_no_network(monkeypatch, tmp_path):
    """Switched to Airtable and HubSpot at unreachable addresses with no credentials: loading
    still works, because nothing is read from them until a run starts."""
    monkeypatch.setenv("CLAWBOT_SSOT", "airtable")
    monkeypatch.setenv("CLAWBOT_CRM", "hubspot")
    monkeypatch.setenv("AIRTABLE_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("HUBSPOT_HOST", "http://127.0.0.1:9")
    monkeypatch.delenv("AIRTABLE_API_KEY", raising=False)
    monkeypatch.setenv("CLAWBOT_DATA_DIR", str(tmp_path))
    repository = defs().get_repository_def()
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {"playbook_run", "nightly_dedupe", "restore_dedupe"} <= jobs
    assert "nightly_dedupe_schedule" in {schedule.name for schedule in repository.schedule_defs}
    dg.Definitions.validate_loadable(defs())


@pytest.mark.parametrize("switch", ["CLAWBOT_SSOT", "CLAWBOT_CRM"])
def test_an_unknown_backend_loads_and_fails_runs_naming_the_switch_not_its_value(monkeypatch, tmp_path, instance, switch):
    monkeypatch.setenv(switch, "patOOPSpastedAToken")
    monkeypatch.setenv("CLAWBOT_DATA_DIR", str(tmp_path))
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    result = loaded.resolve_job_def("playbooks_refresh").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    messages = " ".join(str(event.event_specific_data) for event in result.all_events)
    assert switch in messages and "patOOPSpastedAToken" not in messages


def test_a_run_without_a_credential_fails_clearly_instead_of_falling_back(monkeypatch, tmp_path, instance):
    monkeypatch.setenv("CLAWBOT_SSOT", "airtable")
    monkeypatch.delenv("AIRTABLE_API_KEY", raising=False)
    monkeypatch.setenv("CLAWBOT_DATA_DIR", str(tmp_path))
    job = defs().resolve_implicit_global_asset_job_def().get_subset(asset_selection={dg.AssetKey("playbooks")})
    with pytest.raises(Exception, match="AIRTABLE_API_KEY"):
        job.execute_in_process(instance=instance)


def test_sixteen_schedules_running_iff_enabled_and_owned_by_dagster(tmp_path):
    schedules = schedules_from(playbook_records(), tmp_path)
    assert len(schedules) == 16
    expected_running = {
        f"playbook__{v.playbook.slug}" for v in validate_playbooks(playbook_records()) if v.playbook.enabled and v.playbook.scheduler == "dagster"
    }
    running = {name for name, s in schedules.items() if s.default_status == dg.DefaultScheduleStatus.RUNNING}
    assert running == expected_running and 0 < len(running) < 16
    churn = schedules["playbook__churn_rescue"]
    assert (churn.cron_schedule, churn.execution_timezone, churn.job_name) == ("0 9 * * *", "America/Sao_Paulo", "playbook_run")
    assert {s.job_name for s in schedules.values()} == {"playbook_run"}


def test_malformed_rows_get_no_schedule_and_never_break_loading(tmp_path):
    records = playbook_records()
    records[0]["fields"]["Cron"] = "61 * * * *"
    records[1]["fields"]["Timezone"] = "Mars/Base"
    records[2]["fields"]["Name"] = ""
    records[3]["fields"]["Name"] = records[4]["fields"]["Name"]
    records[5]["fields"]["Daily Cap"] = "ten"
    records.append({"id": "recJunk", "fields": {"Cron": None, "Enabled": "yes please"}})
    schedules = schedules_from(records, tmp_path)
    assert len(schedules) == 16 - 5
    assert "playbook__stale_deal_nudge" in schedules


def test_no_snapshot_loads_with_no_playbook_schedules(tmp_path):
    assert PlaybookSchedulesComponent().build_defs_from_state(None, None).schedules in (None, [])
    corrupt = tmp_path / "state"
    corrupt.write_text("{not json")
    assert not PlaybookSchedulesComponent().build_defs_from_state(None, corrupt).schedules


def test_a_tick_requests_its_partition_with_a_run_key_that_makes_refiring_harmless(instance):
    schedule = next(s for s in build_playbook_schedules(validate_playbooks(playbook_records())) if s.name == "playbook__churn_rescue")
    tick = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
    request = schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
    repeat = schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
    next_day = schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=tick + dt.timedelta(days=1)))
    assert request.run_key == repeat.run_key != next_day.run_key
    assert request.partition_key in instance.get_dynamic_partitions(PLAYBOOK_PARTITIONS)
    assert dt.datetime.fromisoformat(request.tags[SCHEDULED_FOR_TAG]) == tick


def test_snapshot_file_is_json_with_the_records(tmp_path):
    write_snapshot(tmp_path / "state", playbook_records(), "local")
    snapshot = json.loads((tmp_path / "state").read_text())
    assert snapshot["source"] == "local" and len(snapshot["records"]) == 16


def test_dagster_definitions_validate_passes_on_the_workspace(tmp_path):
    project = Path(__file__).resolve().parents[2]
    dagster_cli = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster_cli), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=project,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path), "CLAWBOT_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful for code location clawbot" in result.stdout + result.stderr


def test_a_tick_of_an_unsafe_playbook_skips_with_its_reason_instead_of_a_red_run(instance):
    records = playbook_records()
    schedules = {s.name: s for s in build_playbook_schedules(validate_playbooks(records))}
    tick = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
    skipped = schedules["playbook__cold_outbound_us_saas"](dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
    assert isinstance(skipped, dg.SkipReason) and "Trigger is empty" in skipped.skip_message
    healthy = schedules["playbook__churn_rescue"](dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
    assert isinstance(healthy, dg.RunRequest)


def test_the_launchpad_shows_no_internals_and_no_local_path():
    """The default resources' config, which the Launchpad scaffolds, holds only the data
    directory, relative: no demo switches, no archive flags, no path on someone's disk."""
    from clawbot_assets.resources import resources_from_env

    def leaves(config: dict) -> dict:
        """A composed resource (the alerter: its channel and pager) shows its parts' config."""
        flat = {}
        for key, value in config.items():
            if key in ("channel", "pager") and name == "alerter":
                flat.update(leaves(value or {}))
            else:
                flat[key] = value
        return flat

    for name, resource in resources_from_env({}).items():
        config = leaves(resource.model_dump())
        assert set(config) <= {"data_dir", "directory"}, (name, config)
        assert not any(str(value).startswith("/") for value in config.values()), (name, config)


def test_the_audit_is_in_the_code_location_under_its_public_names(monkeypatch, tmp_path):
    monkeypatch.setenv("CLAWBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLAWBOT_N8N", "n8n")
    monkeypatch.delenv("N8N_API_KEY", raising=False)
    repository = defs().get_repository_def()
    assert {"ssot_audit_refresh", "reconcile"} <= {job.name for job in repository.get_all_jobs()}
    assert "playbooks_change_sensor" in {sensor.name for sensor in repository.sensor_defs}
    checks = {key.name for key in repository.asset_graph.asset_check_keys if key.asset_key == dg.AssetKey("ssot_audit")}
    assert checks == {"enabled_matches_schedule", "single_scheduler", "status_reflects_reality"}
    assert {dg.AssetKey("ssot_audit"), dg.AssetKey("whats_live_page")} <= set(repository.asset_graph.get_all_asset_keys())


def test_every_job_runs_with_the_one_executor_set_in_definitions(local_resources):
    """``Definitions(executor=...)`` is the only place an executor is chosen: every job, the
    implicit asset job a Catalog launch uses included, runs its steps in the run's process."""
    import ast

    from clawbot_assets.definitions import RUN_EXECUTOR
    from tests.dagster.helpers import defs_for

    repository = defs_for(local_resources).get_repository_def()
    executors = {job.name: job.executor_def.name for job in repository.get_all_jobs()}
    assert executors.pop("__ASSET_JOB") == RUN_EXECUTOR.name == "in_process"
    assert len(executors) == 13 and set(executors.values()) == {"in_process"}, executors
    package = Path(__file__).resolve().parents[2] / "clawbot_assets"
    per_job = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.keyword) and node.arg == "executor_def"
    ]
    assert per_job == []


def test_job_names_follow_one_convention(local_resources):
    """No ``_job`` suffix, and no job named like an asset (the UI would read it as the asset)."""
    from tests.dagster.helpers import defs_for

    repository = defs_for(local_resources).get_repository_def()
    jobs = {job.name for job in repository.get_all_jobs()} - {"__ASSET_JOB"}
    assets = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    assert [job for job in jobs if job.endswith("_job")] == []
    assert jobs & assets == set()
    assert {"dispatch_sales_tasks", "publish_ops_metrics", "write_oncall_handover"} <= jobs


def test_every_beta_or_preview_api_loading_raises_is_listed_in_decisions(monkeypatch, tmp_path):
    """Loading the code location (and the AWS secrets backend) raises beta warnings only for APIs
    docs/decisions.md lists under "Beta and preview APIs we rely on"."""
    import re
    import warnings

    from clawbot_assets.resources import resource_for

    monkeypatch.setenv("CLAWBOT_DATA_DIR", str(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        defs().get_repository_def()
        resource_for("secrets", {"CLAWBOT_SECRETS": "aws", "CLAWBOT_SECRET_ID": "clawbot"})
    subjects = {
        re.search(r"`([^`]+)`", str(warning.message)).group(1)
        for warning in caught
        if issubclass(warning.category, (dg.BetaWarning, dg.PreviewWarning))
    }
    assert {"owners", "SecretsManagerResource"} <= subjects
    decisions = (Path(__file__).resolve().parents[2] / "docs" / "decisions.md").read_text()
    section = decisions.split("## Beta and preview APIs we rely on", 1)[1].split("\n## ", 1)[0]
    assert [subject for subject in sorted(subjects) if f"`{subject}`" not in section] == []
