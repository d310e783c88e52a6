"""The operators' way in for the runbooks: ECS Exec into the code server's task, whose image
holds every file the runbooks need (tests/runbooks/test_runbooks_run_in_the_image.py), with
the rights ECS Exec documents and every session logged and encrypted
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html)."""

from __future__ import annotations

import re

from tests.infra import aws_rules
from tests.infra.cfn_template import REPO, load_template, refers_to, resources_of_type
from tests.infra.test_aws_rules import allowed
from tests.infra.test_run_role_and_environment import actions, container, statements_of_role

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
SESSION_CHANNELS = {"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}


def granted(role_id: str) -> set[str]:
    return {action for statement in statements_of_role(role_id) if statement["Effect"] == "Allow" for action in actions(statement)}


def test_only_the_code_server_takes_ecs_exec_and_only_its_role_opens_sessions():
    services = dict(resources_of_type(TEMPLATE, "AWS::ECS::Service"))
    assert {logical_id for logical_id, service in services.items() if service.get("EnableExecuteCommand")} == {"CodeServerService"}
    assert SESSION_CHANNELS <= granted("CodeServerTaskRole")
    for role in ("RunTaskRole", "DaemonTaskRole", "WebserverTaskRole", "WorkerTaskRole"):
        assert not granted(role) & SESSION_CHANNELS, role


def test_sessions_are_logged_and_encrypted_with_the_clawbot_key():
    configuration = RESOURCES["Cluster"]["Properties"]["Configuration"]["ExecuteCommandConfiguration"]
    assert refers_to(configuration["KmsKeyId"], "ClawBotKey")
    assert configuration["Logging"] == "OVERRIDE"
    logging = configuration["LogConfiguration"]
    assert logging["CloudWatchEncryptionEnabled"] is True and refers_to(logging["CloudWatchLogGroupName"], "ExecSessionLogGroup")
    group = RESOURCES["ExecSessionLogGroup"]["Properties"]
    assert refers_to(group["KmsKeyId"], "ClawBotKey") and group["RetentionInDays"] >= 365
    stream = aws_rules.log_stream_arn(group["LogGroupName"], "ecs-execute-command-0123")
    assert allowed("CodeServerTaskRole", "logs:PutLogEvents", stream) and allowed("CodeServerTaskRole", "logs:CreateLogStream", stream)
    assert "logs:DescribeLogGroups" in granted("CodeServerTaskRole") and "kms:Decrypt" in granted("CodeServerTaskRole")


def test_operators_may_exec_into_the_code_server_container_only():
    (statement,) = [s for s in RESOURCES["OperatorExecPolicy"]["Properties"]["PolicyDocument"]["Statement"] if "ecs:ExecuteCommand" in actions(s)]
    assert statement["Condition"] == {"StringEquals": {"ecs:container-name": container("CodeServerTaskDefinition")["Name"]}}


def test_the_runbooks_say_how_to_get_in():
    """The command in the runbooks' index names the template's cluster, service and container."""
    index = (REPO / "docs" / "runbooks" / "README.md").read_text()
    (command,) = re.findall(r"aws ecs execute-command[^\n]*(?:\\\n[^\n]*)*", index)
    cluster = RESOURCES["Cluster"]["Properties"]["ClusterName"]
    assert f"--cluster {cluster}" in command and f"--container {container('CodeServerTaskDefinition')['Name']}" in command
    assert RESOURCES["CodeServerService"]["Properties"]["ServiceName"] in index
