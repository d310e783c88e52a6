"""What every run gets from the template, read from the template itself: the environment the
daemon hands down to runs (the shared Airtable limiter, the dedupe archive), the Postgres
password only as a container secret, and a task role of its own that cannot launch tasks or
pass roles. The same things are checked on the moto-deployed stack in test_stack_in_moto.py."""

from __future__ import annotations

import json
from typing import Any, Iterator

import yaml

from tests.infra.cfn_template import REPO, load_template, refers_to, resources_of_type

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
#: The task definitions whose environment a run sees: the daemon's (copied into every run's
#: task definition by the EcsRunLauncher) and the code server's (sensors evaluate there).
APPLICATION_CONTAINERS = ("DaemonTaskDefinition", "CodeServerTaskDefinition")
RUN_ROLE_CONTEXT = {"ecs": {"task_role_arn": {"env": "CLAWBOT_RUN_TASK_ROLE_ARN"}}}


def container(logical_id: str) -> dict[str, Any]:
    (only,) = RESOURCES[logical_id]["Properties"]["ContainerDefinitions"]
    return only


def environment(logical_id: str) -> dict[str, Any]:
    return {item["Name"]: item["Value"] for item in container(logical_id).get("Environment", [])}


def secrets(logical_id: str) -> dict[str, Any]:
    return {item["Name"]: item["ValueFrom"] for item in container(logical_id).get("Secrets", [])}


def statements_of_role(role_id: str) -> Iterator[dict[str, Any]]:
    """Every policy statement that applies to ``role_id``: its inline policies, the template's
    managed policies it attaches, and the AWS::IAM::Policy resources naming it."""
    role = RESOURCES[role_id]["Properties"]
    for policy in role.get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]
    for arn in role.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            yield from RESOURCES[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        else:  # an AWS managed policy (the RDS monitoring role's): only the RDS role may have one
            assert role_id == "DatabaseMonitoringRole", f"{role_id} attaches {arn!r}, which this test cannot read"
    for _, policy in resources_of_type(TEMPLATE, "AWS::IAM::Policy"):
        if any(refers_to(role, role_id) for role in policy.get("Roles", [])):
            yield from policy["PolicyDocument"]["Statement"]
    for _, policy in resources_of_type(TEMPLATE, "AWS::IAM::ManagedPolicy"):
        if any(refers_to(role, role_id) for role in policy.get("Roles", [])):
            yield from policy["PolicyDocument"]["Statement"]


def actions(statement: dict[str, Any]) -> list[str]:
    found = statement.get("Action", [])
    return [found] if isinstance(found, str) else list(found)


def test_the_daemon_and_code_server_set_the_shared_limiter_and_the_dedupe_archive():
    parameter = TEMPLATE["Parameters"]["AirtableArchiveTable"]
    assert parameter["Default"] == "Dedupe Archive"
    assert all(field in parameter["Description"] for field in ("Run ID", "Record ID", "Record"))
    for logical_id in APPLICATION_CONTAINERS:
        env = environment(logical_id)
        assert env["CLAWBOT_RATE_LIMITER_URL"] == "instance", logical_id
        assert env["AIRTABLE_ARCHIVE_TABLE"] == {"Ref": "AirtableArchiveTable"}, logical_id
        # "instance" builds the limiter's connection from these: all must be on the container.
        assert {"DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_PORT", "DAGSTER_POSTGRES_DB"} <= set(env), logical_id
        assert {"DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD"} <= set(secrets(logical_id)), logical_id


def test_alerts_in_production_link_runbooks_from_a_stack_parameter():
    """The daemon (and the runs it launches with its container's environment) and the code server
    (sensors) send alerts; both prefix runbook paths with the RunbookBaseUrl parameter."""
    assert TEMPLATE["Parameters"]["RunbookBaseUrl"]["Default"] == ""
    for logical_id in APPLICATION_CONTAINERS:
        assert environment(logical_id)["CLAWBOT_RUNBOOK_BASE_URL"] == {"Ref": "RunbookBaseUrl"}, logical_id


#: Task definitions that load the Dagster instance (the worker does not).
DAGSTER_CONTAINERS = ("WebserverTaskDefinition", *APPLICATION_CONTAINERS)


def test_the_postgres_password_is_a_container_secret_and_never_plain_environment():
    for logical_id, _ in resources_of_type(TEMPLATE, "AWS::ECS::TaskDefinition"):
        if logical_id not in DAGSTER_CONTAINERS:
            assert "DAGSTER_POSTGRES_PASSWORD" not in {**environment(logical_id), **secrets(logical_id)}, logical_id
            continue
        assert "DAGSTER_POSTGRES_PASSWORD" not in environment(logical_id), logical_id
        assert secrets(logical_id)["DAGSTER_POSTGRES_PASSWORD"] == {"Fn::Sub": "${DatabaseSecret}:password::"}, logical_id
        assert not any("PASSWORD" in name or "SECRET_KEY" in name for name in environment(logical_id)), logical_id


def test_runs_get_the_run_role_through_the_code_locations_container_context():
    daemon = RESOURCES["DaemonTaskDefinition"]["Properties"]
    assert refers_to(daemon["TaskRoleArn"], "DaemonTaskRole")
    assert refers_to(environment("DaemonTaskDefinition")["CLAWBOT_RUN_TASK_ROLE_ARN"], "RunTaskRole")
    context = environment("CodeServerTaskDefinition")["DAGSTER_CONTAINER_CONTEXT"]
    assert json.loads(context) == RUN_ROLE_CONTEXT
    # The launcher must keep copying the daemon's task definition (environment, secrets, logs):
    # any task_definition in its config makes dagster-aws build run task definitions from scratch.
    launcher = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())["run_launcher"]["config"]
    assert launcher["use_current_ecs_task_config"] is True and "task_definition" not in launcher


def test_the_run_role_has_the_applications_access_and_no_ecs_or_iam_power():
    run_role = list(statements_of_role("RunTaskRole"))
    assert run_role, "RunTaskRole has no policy"
    granted = {action for statement in run_role if statement["Effect"] == "Allow" for action in actions(statement)}
    for action in granted:
        service = action.split(":", 1)[0].lower()
        assert action != "*" and service not in ("ecs", "iam", "sts", "ec2"), f"RunTaskRole may {action}"
    # What the application needs, and the code server has the same.
    assert {"sqs:SendMessage", "sns:Publish", "secretsmanager:GetSecretValue", "cloudwatch:PutMetricData", "s3:GetObject", "kms:Decrypt"} <= granted
    assert RESOURCES["RunTaskRole"]["Properties"]["ManagedPolicyArns"] == RESOURCES["CodeServerTaskRole"]["Properties"]["ManagedPolicyArns"]
    assert RESOURCES["RunTaskRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_the_daemon_passes_only_the_execution_role_and_the_run_role():
    passes = [statement for statement in statements_of_role("DaemonTaskRole") if "iam:PassRole" in actions(statement)]
    assert len(passes) == 1
    (statement,) = passes
    resources = statement["Resource"]
    assert len(resources) == 2
    assert {resource["Fn::GetAtt"][0] for resource in resources} == {"TaskExecutionRole", "RunTaskRole"}
    assert all(resource["Fn::GetAtt"][1] == "Arn" for resource in resources)
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    # No other role may pass roles, and none holds iam:* or a bare "*".
    for logical_id, _ in resources_of_type(TEMPLATE, "AWS::IAM::Role"):
        for other in statements_of_role(logical_id):
            assert not any(action in ("*", "iam:*") for action in actions(other)), logical_id
            if logical_id != "DaemonTaskRole":
                assert "iam:PassRole" not in actions(other), logical_id


def test_the_daemon_itself_has_no_application_access():
    """It runs no ClawBot code; a run that somehow got its role could not read the credentials.
    Its one CloudWatch right is its health check's heartbeat, in a namespace of its own."""
    statements = list(statements_of_role("DaemonTaskRole"))
    heartbeat = [statement for statement in statements if "cloudwatch:PutMetricData" in actions(statement)]
    assert len(heartbeat) == 1 and actions(heartbeat[0]) == ["cloudwatch:PutMetricData"]
    assert heartbeat[0]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "ClawBot/Dagster"}}
    granted = {action for statement in statements if statement not in heartbeat for action in actions(statement)}
    assert not any(action.split(":")[0] in ("sqs", "sns", "secretsmanager", "s3", "kms", "cloudwatch") for action in granted), granted
