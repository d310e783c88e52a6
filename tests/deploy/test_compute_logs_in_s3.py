"""Step logs outlive the run's Fargate task: the production instance's S3ComputeLogManager
uploads every step's stdout/stderr to the stack's bucket, and another instance (the webserver's)
reads them back from there, as the UI does. moto's S3, a real Postgres for the storage."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from tests.deploy.production_home import drop_database, fresh_database, postgres_environment, production_home

BUCKET = "clawbot-state-bucket"
LINE = "step output that must survive the task"


@dg.op
def noisy_step(context) -> None:
    print(LINE)  # noqa: T201 - stdout is what is captured
    context.log.info("logged through Dagster too")


@dg.job
def noisy_job():
    noisy_step()


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "DAGSTER_COMPUTE_LOGS_BUCKET": BUCKET}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        import boto3

        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield boto3.client("s3", region_name="eu-west-1")


def test_step_logs_land_in_s3_and_another_instance_reads_them(aws, postgres_url, tmp_path, monkeypatch):
    url = fresh_database(postgres_url)
    for name, value in postgres_environment(url).items():
        monkeypatch.setenv(name, value)
    try:
        run_home = production_home(tmp_path / "run", without=["run_launcher"])
        with dg.DagsterInstance.from_config(str(run_home)) as instance:
            assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
            result = noisy_job.execute_in_process(instance=instance)
            assert result.success
        keys = [item["Key"] for item in aws.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        assert keys and all(key.startswith("compute-logs/") for key in keys), keys
        stored = "".join(aws.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode() for key in keys if key.endswith(".out"))
        assert LINE in stored

        # The webserver: a fresh instance on another disk, nothing local to read from.
        web_home = production_home(tmp_path / "web", without=["run_launcher"])
        with dg.DagsterInstance.from_config(str(web_home)) as web:
            manager = web.compute_log_manager
            (out_key,) = [key for key in keys if key.endswith(".out")]
            log_key = out_key.removeprefix("compute-logs/storage/").removesuffix(".out").split("/")
            data = manager.get_log_data(log_key)
            assert LINE in data.stdout.decode()
    finally:
        drop_database(url)
