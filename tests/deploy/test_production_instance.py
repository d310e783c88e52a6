"""The production instance (deploy/dagster.yaml), loaded through Dagster's own validation and
run against a real Postgres server: the test cluster of tests/fakes/postgres.py, one fresh
database per test."""

from __future__ import annotations

import dagster as dg
import psycopg
import pytest
from dagster_aws.ecs import EcsRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from clawbot_assets.instance.pool_guard import airtable_pool_limit
from clawbot_assets.names import AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG, PLAYBOOK_PARTITIONS
from clawbot_assets.instance.run_coordinator import ApiTaggingRunCoordinator
from tests.dagster.helpers import defs_for, materialize_playbooks
from tests.deploy.production_home import (
    closed_port,
    drop_database,
    fresh_database,
    postgres_environment,
    production_config,
    production_home,
)

PLAYBOOK = "churn_rescue"


@pytest.fixture
def instance_database(postgres_url, monkeypatch):
    """A fresh database, and the DAGSTER_POSTGRES_* variables pointing at it."""
    url = fresh_database(postgres_url)
    for name, value in postgres_environment(url).items():
        monkeypatch.setenv(name, value)
    yield url
    drop_database(url)


def test_the_tags_the_queue_limits_are_the_ones_jobs_carry():
    limits = production_config()["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {(limit["key"], limit["value"]) for limit in limits} == {(AIRTABLE_RUN_TAG, "true"), (HUBSPOT_RUN_TAG, "true")}


def test_the_production_instance_loads_with_postgres_the_queue_and_the_ecs_launcher(instance_database, tmp_path, monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    home = production_home(tmp_path / "home")
    with mock_aws(), dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, dg.QueuedRunCoordinator) and isinstance(coordinator, ApiTaggingRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config  # what the queue daemon applies
        assert queue.max_concurrent_runs == 4
        limits = {limit["key"]: limit["limit"] for limit in queue.tag_concurrency_limits}
        assert limits == {AIRTABLE_RUN_TAG: 2, HUBSPOT_RUN_TAG: 1}
        launcher = instance.run_launcher  # built under moto: its config passed Dagster's schema
        assert isinstance(launcher, EcsRunLauncher)
        assert launcher.use_current_ecs_task_config and launcher.secrets_tags == []
        assert {"DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_DB"} <= set(launcher.env_vars)
        assert "DAGSTER_POSTGRES_PASSWORD" not in launcher.env_vars, "the password reaches runs as an ECS secret only"
        # A daemon without these fails the launch instead of starting a run that paces Airtable
        # alone or a dedupe that cannot archive.
        assert {"CLAWBOT_RATE_LIMITER_URL", "AIRTABLE_ARCHIVE_TABLE"} <= set(launcher.env_vars)
        # No task_definition: run task definitions stay copies of the daemon's (environment,
        # secrets, execution role, logs); the run's task role comes from the container context.
        assert launcher.task_definition is None and launcher.task_definition_dict == {}
        assert launcher.task_role_arn is None
        assert instance.telemetry_enabled is False
        assert instance.run_monitoring_enabled and instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert airtable_pool_limit(instance) == 1


def test_runs_of_the_demo_are_stored_in_postgres_and_read_back_by_another_instance(instance_database, local_resources, tmp_path):
    """The jobs run in process on the embedded backend, with the production storage (the ECS
    launcher left out: Dagster's default launcher would start them the same way; step logs to S3
    are tested in test_compute_logs_in_s3.py)."""
    home = production_home(tmp_path / "home", without=["run_launcher", "compute_logs"])
    defs = defs_for(local_resources)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        refresh = materialize_playbooks(defs, instance)
        playbook = defs.resolve_job_def("playbook_run").execute_in_process(instance=instance, partition_key=PLAYBOOK, raise_on_error=False)
        dedupe = defs.resolve_job_def("nightly_dedupe").execute_in_process(instance=instance, raise_on_error=False)
        assert refresh.success and playbook.success and dedupe.success

    # A second instance object on the same database, as the webserver or the daemon would be.
    with dg.DagsterInstance.from_config(str(home)) as reader:
        assert isinstance(reader.run_storage, PostgresRunStorage)
        runs = {run.run_id: run for run in reader.get_runs()}
        assert set(runs) == {refresh.run_id, playbook.run_id, dedupe.run_id}
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs.values())
        assert runs[playbook.run_id].tags[AIRTABLE_RUN_TAG] == "true" and runs[playbook.run_id].tags[HUBSPOT_RUN_TAG] == "true"
        assert PLAYBOOK in reader.get_dynamic_partitions(PLAYBOOK_PARTITIONS)
        tasks = reader.get_latest_materialization_event(dg.AssetKey("playbook_tasks"))
        assert tasks.run_id == playbook.run_id and tasks.dagster_event.partition == PLAYBOOK
        assert reader.get_latest_materialization_event(dg.AssetKey("task_queue_sales")).run_id == dedupe.run_id
        assert reader.get_latest_materialization_event(dg.AssetKey("playbooks")).run_id == refresh.run_id

    # And in the database itself, whatever Dagster's objects say.
    with psycopg.connect(instance_database) as connection:
        stored_runs = connection.execute("SELECT count(*) FROM runs").fetchone()[0]
        materialisations = connection.execute(
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
        ).fetchone()[0]
    assert stored_runs == 3 and materialisations >= 3


def exception_chain(error: BaseException) -> str:
    """The error and every error it was raised from, as a traceback's last lines show them."""
    lines = []
    while error is not None:
        lines.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return "\n".join(lines)


def test_an_unreachable_instance_database_fails_naming_host_and_port_never_the_password(tmp_path, monkeypatch, caplog):
    """What the daemon and webserver log when Postgres is down: no run can even be created.
    dagster-postgres retries, logging psycopg2's reason each time, then raises
    ``DagsterPostgresException: too many retries`` from that reason."""
    port = closed_port()
    secret = "s3cret-Instance-Pw"
    for name, value in postgres_environment(f"postgresql://dagster:{secret}@127.0.0.1:{port}/dagster").items():
        monkeypatch.setenv(name, value)
    home = production_home(tmp_path / "home", without=["run_launcher"])
    with pytest.raises(Exception) as failure:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            instance.get_runs(limit=1)
    chain = exception_chain(failure.value)
    assert f'connection to server at "127.0.0.1", port {port} failed: Connection refused' in chain, chain
    assert "Retrying failed database connection" in caplog.text and f"port {port}" in caplog.text
    assert secret not in chain and secret not in caplog.text


RUN_ROLE = "arn:aws:iam::123456789012:role/clawbot-RunTaskRole-ABC"


def run_from_the_code_server(container_context) -> dg.DagsterRun:
    """A run as the daemon sees it: its origin carries the code server's container context."""
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin

    origin = JobPythonOrigin(
        "nightly_dedupe",
        RepositoryPythonOrigin(
            executable_path="/usr/local/bin/python",
            code_pointer=ModuleCodePointer("clawbot_assets.definitions", "defs", working_directory=None),
            container_image="clawbot:1",
            container_context=container_context,
        ),
    )
    return dg.DagsterRun(job_name="nightly_dedupe", run_id="0" * 36, job_code_origin=origin)


def test_the_run_task_role_comes_from_the_code_locations_container_context(tmp_path, monkeypatch):
    """The production launcher with the container context the template gives the code server
    (DAGSTER_CONTAINER_CONTEXT): the run's task role is CLAWBOT_RUN_TASK_ROLE_ARN as the daemon
    has it; without the variable the launch fails rather than falling back to the daemon's role."""
    import json

    from dagster._core.errors import DagsterInvalidConfigError
    from dagster_aws.ecs.container_context import EcsContainerContext
    from moto import mock_aws

    from tests.infra.test_run_role_and_environment import environment

    context = json.loads(environment("CodeServerTaskDefinition")["DAGSTER_CONTAINER_CONTEXT"])
    for name, value in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    overrides = {"run_launcher": production_config()["run_launcher"]}
    with mock_aws(), dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        monkeypatch.setenv("CLAWBOT_RUN_TASK_ROLE_ARN", RUN_ROLE)
        assert EcsContainerContext.create_for_run(run_from_the_code_server(context), launcher).task_role_arn == RUN_ROLE
        # The launcher alone names no role: the run would keep the daemon's.
        assert EcsContainerContext.create_for_run(run_from_the_code_server(None), launcher).task_role_arn is None
        monkeypatch.delenv("CLAWBOT_RUN_TASK_ROLE_ARN")
        with pytest.raises(DagsterInvalidConfigError, match="CLAWBOT_RUN_TASK_ROLE_ARN"):
            EcsContainerContext.create_for_run(run_from_the_code_server(context), launcher)
