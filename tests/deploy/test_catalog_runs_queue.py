"""A materialisation launched from the asset catalog counts against the run queue's API limits
exactly like a job's run (issue 18, item 1).

Runs are launched as the UI launches them (the webserver's GraphQL mutation: Materialize on
``playbook_tasks`` sends the implicit asset job ``__ASSET_JOB`` with an asset selection and a
partition) on an instance built from each real instance file, and dequeued by one iteration of
the queue daemon. The run launcher is Dagster's mock, which records launches and executes
nothing: what is tested is which runs the queue lets go.
"""

from __future__ import annotations

import logging
import sys

import dagster as dg
import pytest
import yaml
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import MockedRunLauncher
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon
from dagster_graphql.client.query import LAUNCH_PIPELINE_EXECUTION_MUTATION
from dagster_graphql.test.utils import execute_dagster_graphql, infer_job_selector

from clawbot_assets.names import AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG, PLAYBOOK_PARTITIONS, PLAYBOOK_RUN_JOB
from clawbot_assets.instance.run_coordinator import ApiTaggingRunCoordinator
from tests.deploy.production_home import drop_database, fresh_database, postgres_environment, production_config
from tests.deploy.tools import REPO

MOCK_LAUNCHER = {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"}
IMPLICIT_ASSET_JOB = "__ASSET_JOB"
LOCATION = "clawbot"

# Dagster 1.13's own snapshot of a schedule reads a deprecated property of it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Property `ScheduleDefinition.environment_vars` is deprecated:DeprecationWarning"
)


def instance_home(directory, config: dict):
    """``config`` with runs launched by the mock launcher (and no JSON log file)."""
    config = {key: value for key, value in config.items() if key not in {"run_launcher", "python_logs", "compute_logs"}}
    config["run_launcher"] = MOCK_LAUNCHER
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return directory


@pytest.fixture
def local_instance(tmp_path):
    config = yaml.safe_load((REPO / "deploy" / "dagster.local.yaml").read_text())
    with dg.DagsterInstance.from_config(str(instance_home(tmp_path / "home", config))) as instance:
        yield instance


@pytest.fixture
def production_instance(postgres_url, tmp_path, monkeypatch):
    url = fresh_database(postgres_url)
    for name, value in postgres_environment(url).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(instance_home(tmp_path / "home", production_config()))) as instance:
        yield instance
    drop_database(url)


@pytest.fixture
def workspace(request, data_dir, monkeypatch):
    instance = request.getfixturevalue(request.param)
    monkeypatch.setenv("CLAWBOT_TEST_DATA_DIR", str(data_dir))
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="tests.dagster.demo_location", attribute="defs"), location_name=LOCATION
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as context:
        yield context


def launch(context: WorkspaceProcessContext, job_name: str, partition: str | None, asset: str | None = None) -> dg.DagsterRun:
    """What the UI's Launch/Materialize button sends."""
    request = context.create_request_context()
    selection = [{"path": [asset]}] if asset else None
    params = {"selector": infer_job_selector(request, job_name, asset_selection=selection, location_name=LOCATION)}
    if partition:
        params["executionMetadata"] = {"tags": [{"key": "dagster/partition", "value": partition}]}
    result = execute_dagster_graphql(request, LAUNCH_PIPELINE_EXECUTION_MUTATION, variables={"executionParams": params})
    launched = result.data["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return context.instance.get_run_by_id(launched["run"]["runId"])


def dequeue(context: WorkspaceProcessContext) -> None:
    """One iteration of the daemon that starts queued runs within the instance's limits."""
    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    daemon._logger = logging.getLogger(__name__)  # the daemon controller sets it; no controller here
    list(daemon.run_iteration(context))


@pytest.mark.parametrize("workspace", ["local_instance", "production_instance"], indirect=True)
def test_a_catalog_materialisation_waits_for_a_playbook_run_like_another_playbook_run(workspace):
    instance = workspace.instance
    assert isinstance(instance.run_coordinator, ApiTaggingRunCoordinator)
    instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, ["churn_rescue", "renewal_reminder_90_days"])

    job_run = launch(workspace, PLAYBOOK_RUN_JOB, "churn_rescue")
    catalog_run = launch(workspace, IMPLICIT_ASSET_JOB, "renewal_reminder_90_days", asset="playbook_tasks")

    assert catalog_run.job_name == IMPLICIT_ASSET_JOB
    assert catalog_run.asset_selection == {dg.AssetKey("playbook_tasks")}
    # playbook_tasks reads the SSOT and HubSpot: its run carries both tags, as the job's does.
    for run in (job_run, catalog_run):
        assert run.status == dg.DagsterRunStatus.QUEUED
        assert run.tags[AIRTABLE_RUN_TAG] == "true" and run.tags[HUBSPOT_RUN_TAG] == "true", run.job_name

    dequeue(workspace)
    launcher = instance.run_launcher
    assert isinstance(launcher, MockedRunLauncher)
    assert [run.run_id for run in launcher.queue()] == [job_run.run_id], "one HubSpot run at a time"
    assert instance.get_run_by_id(catalog_run.run_id).status == dg.DagsterRunStatus.QUEUED

    instance.report_run_failed(instance.get_run_by_id(job_run.run_id))  # the first run ends
    dequeue(workspace)
    assert [run.run_id for run in launcher.queue()] == [job_run.run_id, catalog_run.run_id]


#: Asset -> the API tags of its catalog run (an asset's run also executes its checks: the
#: playbooks' checks read HubSpot's pipelines).
EXPECTED_TAGS = {
    "hubspot_deal_pipelines": {HUBSPOT_RUN_TAG},
    "cutover_readiness": {AIRTABLE_RUN_TAG},
    "playbooks": {AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG},
    "whats_live_page": set(),
}


@pytest.mark.parametrize("workspace", ["local_instance"], indirect=True)
def test_a_catalog_run_gets_the_tags_of_the_apis_its_steps_use_and_no_other(workspace):
    for asset, expected in EXPECTED_TAGS.items():
        run = launch(workspace, IMPLICIT_ASSET_JOB, partition=None, asset=asset)
        assert {tag for tag in (AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG) if run.tags.get(tag) == "true"} == expected, asset
        assert run.status == dg.DagsterRunStatus.QUEUED


@pytest.mark.parametrize("workspace", ["local_instance"], indirect=True)
def test_the_coordinator_tags_a_run_without_reading_it_back(workspace, monkeypatch):
    """The coordinator passes on the run it tagged (``with_tags``) rather than reading the whole
    run back after ``add_run_tags``: while a run is submitted, only Dagster's own code reads it
    (its enqueue event's handling and the queue's read after enqueueing)."""
    instance = workspace.instance
    readers: list[str] = []
    submitting: list[str] = []
    read_run, submit_run = instance.get_run_by_id, ApiTaggingRunCoordinator.submit_run

    def counted_read(run_id):
        if submitting:
            readers.append(sys._getframe(1).f_globals["__name__"])
        return read_run(run_id)

    def watched_submit(coordinator, context):
        submitting.append(context.dagster_run.run_id)
        try:
            return submit_run(coordinator, context)
        finally:
            submitting.clear()

    monkeypatch.setattr(instance, "get_run_by_id", counted_read)
    monkeypatch.setattr(ApiTaggingRunCoordinator, "submit_run", watched_submit)
    run = launch(workspace, IMPLICIT_ASSET_JOB, partition=None, asset="playbooks")

    assert run.tags[AIRTABLE_RUN_TAG] == "true" and run.tags[HUBSPOT_RUN_TAG] == "true"
    assert run.status == dg.DagsterRunStatus.QUEUED
    assert readers and all(reader.startswith("dagster") for reader in readers), readers
