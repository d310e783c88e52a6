"""The post-mortem written from the record: the real jobs run on the embedded demo (nightly
dedupe, dispatch, a DLQ incident through the real sensor, a simulated shadow week, the audit
before and after the cut-over), then every figure of the post-mortem must equal what those runs
recorded, and its charts must be real PNGs. An empty instance gives "no data", not a crash."""

import datetime as dt
from pathlib import Path

import dagster as dg
from PIL import Image

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.shadow_week import DEFAULT_PLAYBOOK, simulate_shadow_week
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.names import AIRTABLE_429S, DLQ_INCIDENT_TAG, PLAYBOOK_TASKS, SSOT_AUDIT
from clawbot_assets.postmortem import POSTMORTEM_FILE, write_postmortem
from clawbot_assets.postmortem.charts import CUTOVER_CHART, DUPLICATES_CHART, INTERCEPTS_CHART
from sensors.dlq_depth import build_dlq_depth_sensor
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.dagster.helpers import defs_for, materialize_playbooks, run_every_playbook, table_state
from tests.fakes.airtable_server import FakeAirtable

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
CHARTS = (DUPLICATES_CHART, INTERCEPTS_CHART, CUTOVER_CHART)


def run(defs, name, instance, tags=None, config=None):
    return defs.resolve_job_def(name).execute_in_process(instance=instance, raise_on_error=False, tags=tags, run_config=config or {})


def materialisation_metadata(result, asset: str) -> list[dict]:
    return [
        {name: value.value for name, value in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == dg.AssetKey(asset)
    ]


def assert_valid_pngs(folder: Path) -> None:
    for name in CHARTS:
        with Image.open(folder / name) as image:
            image.verify()
            assert image.format == "PNG" and image.size[0] > 100 and image.size[1] > 100


def set_scheduler(ssot, slug: str, scheduler: str) -> None:
    (record_id,) = [v.record_id for v in validate_playbooks(ssot.list_records(PLAYBOOKS_TABLE)) if v.playbook and v.playbook.slug == slug]
    ssot.update(PLAYBOOKS_TABLE, [(record_id, {"Scheduler": scheduler})])


def test_the_post_mortem_figures_are_the_ones_the_runs_recorded(local_resources, instance, tmp_path):
    defs = defs_for(local_resources)
    assert materialize_playbooks(defs, instance).success
    dedupe = run(defs, "nightly_dedupe", instance)
    assert dedupe.success
    (dedupe_figures,) = materialisation_metadata(dedupe, "task_queue_sales")
    assert dedupe_figures["removed"] > 0 and dedupe_figures["duplicate_groups"] > 0

    assert any(run_every_playbook(defs, instance).values())
    assert any(run_every_playbook(defs, instance).values()), "the same tick again (a rerun) creates nothing"
    created_intercepted = [fields for fields in table_state(local_resources).values()
                           if fields.get("Source") == "dagster" and fields.get("Intercept Reason") == "do_not_contact"]
    dispatch = run(defs, "dispatch_sales_tasks", instance)
    assert dispatch.success
    (dispatch_figures,) = materialisation_metadata(dispatch, "sales_dispatch")

    queue = local_resources["queue"].queue()
    queue.send_batch([OutgoingMessage("poison", "poison", "{not json")])
    for _ in range(4):
        run(defs, "reference_worker", instance, config={"ops": {"consume_queue": {"config": {"visibility_timeout": 0}}}})
    sensor = build_dlq_depth_sensor(threshold=0)
    resources = {"queue": local_resources["queue"], "alerter": local_resources["alerter"]}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        evaluation = sensor(context)
    for event in evaluation.asset_events:  # what the daemon does with a sensor's asset events
        instance.report_runless_asset_event(event)
    (request,) = evaluation.run_requests
    assert run(defs, "dlq_triage", instance, tags=request.tags).success

    simulate_shadow_week(defs, instance, DEFAULT_PLAYBOOK)
    in_shadow = run(defs, "ssot_audit_refresh", instance)
    set_scheduler(local_resources["ssot"].client(), DEFAULT_PLAYBOOK, "dagster")
    cut_over = run(defs, "ssot_audit_refresh", instance)
    assert in_shadow.success and cut_over.success

    path, report = write_postmortem(instance, local_resources["ssot"], SINCE, tmp_path / "pm")

    playbook_tasks_figures = [
        {name: value.value for name, value in record.asset_materialization.metadata.items()}
        for record in instance.fetch_materializations(dg.AssetKey(PLAYBOOK_TASKS), limit=1000).records
    ]
    assert report.duplicates.removed == dedupe_figures["removed"]
    assert report.duplicates.duplicate_groups == dedupe_figures["duplicate_groups"]
    assert report.duplicates.deals_contacted_twice == len(dedupe_figures["contacted_twice_keys"]) > 0
    expected = {name[len("intercepted_"):]: value for name, value in dispatch_figures.items()
                if name.startswith("intercepted_") and value}
    do_not_contact_at_creation = sum(figures.get("intercepted_do_not_contact", 0) for figures in playbook_tasks_figures)
    assert do_not_contact_at_creation == len(created_intercepted) > 0, "counted once, however often a tick ran"
    expected["do_not_contact"] = expected.get("do_not_contact", 0) + do_not_contact_at_creation
    assert dict(report.intercepts_by_reason) == expected
    assert report.rate_limited == 0, "the embedded backend is never rate limited"
    assert report.dlq.incidents == (request.tags[DLQ_INCIDENT_TAG],) and report.dlq.peak_depth == 1

    (row,) = report.playbooks
    shadow_plans = [
        record.asset_observation.metadata for record in
        instance.fetch_observations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(PLAYBOOK_TASKS), asset_partitions=[DEFAULT_PLAYBOOK]), limit=1000).records
        if record.asset_observation.metadata.get("shadow_phase", dg.MetadataValue.text("")).value == "plan"
    ]
    assert row.slug == DEFAULT_PLAYBOOK and row.shadow_days == len({
        dt.datetime.fromisoformat(plan["tick"].value).astimezone(dt.timezone.utc).date() for plan in shadow_plans}) >= 7
    assert row.diffs == row.empty_diffs >= 7 and row.ready_at is not None
    second_audit = instance.get_latest_materialization_event(dg.AssetKey(SSOT_AUDIT))
    assert row.cutover_at == dt.datetime.fromtimestamp(second_audit.timestamp, dt.timezone.utc)
    assert row.scheduler_now == "dagster"
    assert report.budget is None

    text = path.read_text()
    assert path.name == POSTMORTEM_FILE
    assert f"records removed (archived first, restorable): **{dedupe_figures['removed']}**" in text
    assert f"| **total** | **{sum(expected.values())}** |" in text
    assert "| Renewal Reminder — 30 Days |" in text and "not measured" in text
    for name in CHARTS:
        assert f"]({name})" in text
    assert_valid_pngs(path.parent)


def test_an_airtable_budget_materialisation_is_read_and_a_foreign_one_is_not_measured(local_resources, instance, tmp_path):
    def budget(metadata):
        instance.report_runless_asset_event(dg.AssetMaterialization("airtable_budget", metadata=metadata))

    budget({"note": "an older shape"})
    assert write_postmortem(instance, local_resources["ssot"], SINCE, tmp_path / "a")[1].budget is None
    budget({"requests_last_hour": 900, "share_of_budget_last_hour": 0.05, "steady_state_requests": 700, "steady_state_share": 0.03889})
    budget({"requests_last_hour": 1800, "share_of_budget_last_hour": 0.1, "steady_state_requests": 600, "steady_state_share": 0.03333})
    path, report = write_postmortem(instance, local_resources["ssot"], SINCE, tmp_path / "b")
    assert report.budget is not None
    assert (report.budget.peak_hour_requests, report.budget.steady_state_requests, report.budget.readings) == (1800, 700, 2)
    assert "**1800** requests (10.0% of the budget)" in path.read_text()


def test_airtable_429s_are_recorded_where_they_happen_and_counted(data_dir, local_resources, instance, tmp_path):
    from clawbot_assets.demo.data import backlog_records, playbook_records
    from clawbot_assets.adapters.ssot import TASKS_TABLE

    with FakeAirtable(token=TOKEN, rate_limit=1000, penalty_seconds=0.5) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        resources = {**local_resources, "ssot": airtable_resource(server, data_dir)}
        defs = defs_for(resources)
        assert materialize_playbooks(defs, instance).success
        server.inject(429, count=2, method="GET")
        dedupe = run(defs, "nightly_dedupe", instance)
        assert dedupe.success
        (figures,) = materialisation_metadata(dedupe, "task_queue_sales")
        assert figures[AIRTABLE_429S] == 2 == server.injected_failures
        path, report = write_postmortem(instance, resources["ssot"], SINCE, tmp_path)
    assert report.rate_limited_by_source == {"task_queue_sales": 2}
    assert "**2** 429 answers" in path.read_text()


def test_an_empty_instance_gives_a_post_mortem_that_says_no_data(local_resources, instance, tmp_path):
    path, report = write_postmortem(instance, local_resources["ssot"], SINCE, tmp_path)
    text = path.read_text()
    assert report.duplicates.runs == 0 and report.playbooks == () and report.budget is None
    assert text.count("no data") >= 4 and "not measured" in text
    assert_valid_pngs(tmp_path)


def test_the_command_reads_the_instance_in_dagster_home_and_writes_beside_the_data(local_resources, data_dir, tmp_path):
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        dedupe = run(defs_for(local_resources), "nightly_dedupe", instance)
    (figures,) = materialisation_metadata(dedupe, "task_queue_sales")
    environ = {**os.environ, "DAGSTER_HOME": str(home), "CLAWBOT_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-m", "clawbot_assets.postmortem", "--since", "2026-01-01"],
                          env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = (data_dir / "rehearsal" / POSTMORTEM_FILE).read_text()
    assert f"records removed (archived first, restorable): **{figures['removed']}**" in text
    assert f"DAGSTER_HOME={home}" in text
    assert_valid_pngs(data_dir / "rehearsal")
    refused = subprocess.run([sys.executable, "-m", "clawbot_assets.postmortem", "--since", "last week"],
                             env=environ, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "not an ISO date" in refused.stderr
