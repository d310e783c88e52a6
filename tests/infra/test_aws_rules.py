"""The template and deploy/dagster.yaml held to rules AWS enforces and moto does not
(tests/infra/aws_rules.py; each test's docstring cites the AWS page). The first tests prove
each rule refuses what AWS refuses, so a rule that matched nothing could not pass."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.infra import aws_rules
from tests.infra.cfn_template import REPO, load_template, resources_of_type
from tests.infra.test_run_role_and_environment import actions, container, environment, secrets, statements_of_role

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
LAUNCHER = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())["run_launcher"]["config"]


def test_the_rules_refuse_what_aws_refuses():
    assert aws_rules.names_both_secret_and_environment(["A", "B"], ["B"]) == {"B"}
    assert aws_rules.fargate_size_allowed("512", "1024") and aws_rules.fargate_size_allowed(1024, 2048)
    assert not aws_rules.fargate_size_allowed("512", "512") and not aws_rules.fargate_size_allowed(1024, 1024)
    assert not aws_rules.fargate_size_allowed(8192, 18432), "8 vCPU takes memory in 4 GB steps"
    assert aws_rules.sqs_queue_name_problem("clawbot-sales", fifo=True)
    assert aws_rules.sqs_queue_name_problem("a.b.fifo", fifo=True)
    assert aws_rules.sqs_queue_name_problem("x" * 76 + ".fifo", fifo=True)
    assert aws_rules.sqs_queue_name_problem("x" * 75 + ".fifo", fifo=True) is None
    group = aws_rules.log_group_getatt_arn("/clawbot/daemon")
    stream = aws_rules.log_stream_arn("/clawbot/daemon", "daemon/daemon/abc")
    assert not aws_rules.iam_resource_matches(group + ":log-stream:*", stream), "the log group's Arn already ends in :*"
    assert aws_rules.iam_resource_matches(group, stream)
    assert aws_rules.iam_resource_matches(group.removesuffix(":*") + ":log-stream:*", stream)
    assert aws_rules.IAM_ROLE_ARN.match("arn:aws:iam::123456789012:role/service-role/rotate-clawbot")
    assert not aws_rules.IAM_ROLE_ARN.match("arn:aws:lambda:eu-west-1:123456789012:function:rotate")


def test_no_container_receives_a_name_both_as_secret_and_as_environment():
    """ECS refuses a container whose variable is both a secret and an environment variable
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html)."""
    for logical_id, _ in resources_of_type(TEMPLATE, "AWS::ECS::TaskDefinition"):
        clash = aws_rules.names_both_secret_and_environment(environment(logical_id), secrets(logical_id))
        assert not clash, f"{logical_id}: {clash}"


def test_no_run_task_receives_a_name_both_as_secret_and_as_environment():
    """A run's container is the daemon's (environment and secrets copied by the EcsRunLauncher)
    plus every name in the launcher's env_vars, set as environment: none may be one of the
    daemon's secrets, or every RunTask fails (dagster-io/dagster#11622;
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html)."""
    run_environment = set(environment("DaemonTaskDefinition")) | set(LAUNCHER["env_vars"]) | {"DAGSTER_RUN_JOB_NAME"}
    clash = aws_rules.names_both_secret_and_environment(run_environment, secrets("DaemonTaskDefinition"))
    assert not clash, f"env_vars or the daemon's environment repeat the daemon's secrets {clash}"


def test_every_fargate_task_size_is_a_pair_fargate_accepts():
    """Task definitions, and the run size the launcher asks for
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size)."""
    sizes = {logical_id: (task["Cpu"], task["Memory"]) for logical_id, task in resources_of_type(TEMPLATE, "AWS::ECS::TaskDefinition")}
    sizes["run_launcher.run_resources"] = (LAUNCHER["run_resources"]["cpu"], LAUNCHER["run_resources"]["memory"])
    assert len(sizes) >= 4
    for where, (cpu, memory) in sizes.items():
        assert aws_rules.fargate_size_allowed(cpu, memory), f"{where}: Fargate has no {cpu} CPU / {memory} MiB task"


def test_queue_names_are_names_sqs_accepts():
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"""
    queues = list(resources_of_type(TEMPLATE, "AWS::SQS::Queue"))
    assert len(queues) == 2
    for logical_id, queue in queues:
        problem = aws_rules.sqs_queue_name_problem(queue["QueueName"], fifo=bool(queue.get("FifoQueue")))
        assert problem is None, f"{logical_id}: {problem}"


#: What ``${Name}`` turns into for names that are not log groups: what CloudFormation returns.
SUBSTITUTES = {
    "Cluster": "clawbot",  # Ref of an ECS cluster: its name
    "StateBucket.Arn": "arn:aws:s3:::clawbot-statebucket-abc",
    "StateBucket": "clawbot-statebucket-abc",
    "Cluster.Arn": f"arn:aws:ecs:{aws_rules.REGION}:{aws_rules.ACCOUNT}:cluster/clawbot",
}


def concrete_arn(value: Any) -> str:
    """A policy Resource as IAM would see it in account 123456789012, eu-west-1: pseudo
    parameters filled in, a log group's ``Arn`` as CloudFormation documents it (ending in
    ``:*``), its ``Ref`` as its name. Anything else stays a visible placeholder."""
    groups = {logical_id: group["LogGroupName"] for logical_id, group in resources_of_type(TEMPLATE, "AWS::Logs::LogGroup")}
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target, attribute = value["Fn::GetAtt"]
        return aws_rules.log_group_getatt_arn(groups[target]) if target in groups and attribute == "Arn" else f"<{target}.{attribute}>"
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        pseudo = {"AWS::Partition": aws_rules.PARTITION, "AWS::Region": aws_rules.REGION, "AWS::AccountId": aws_rules.ACCOUNT}

        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name in pseudo:
                return pseudo[name]
            if name.endswith(".Arn") and name[: -len(".Arn")] in groups:
                return aws_rules.log_group_getatt_arn(groups[name[: -len(".Arn")]])
            return groups.get(name, SUBSTITUTES.get(name, f"<{name}>"))

        return re.sub(r"\$\{([^}]+)\}", fill, value["Fn::Sub"])
    return value if isinstance(value, str) else f"<{value}>"


def allowed(role_id: str, action: str, arn: str) -> bool:
    for statement in statements_of_role(role_id):
        if statement["Effect"] != "Allow" or action not in actions(statement):
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if any(aws_rules.iam_resource_matches(concrete_arn(resource), arn) for resource in resources):
            return True
    return False


def test_the_daemon_can_read_a_failed_runs_log_stream():
    """dagster-aws reads a failed run's log stream (logs:GetLogEvents) to report why its task
    stopped. Run tasks log to the daemon's group with its prefix: stream
    ``daemon/daemon/<task id>`` (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html;
    a log group's Fn::GetAtt Arn ends in ``:*``:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html)."""
    group = RESOURCES["DaemonLogGroup"]["Properties"]["LogGroupName"]
    prefix = container("DaemonTaskDefinition")["LogConfiguration"]["Options"]["awslogs-stream-prefix"]
    stream = aws_rules.log_stream_arn(group, f"{prefix}/daemon/0123456789abcdef0123456789abcdef")
    assert allowed("DaemonTaskRole", "logs:GetLogEvents", stream), stream
    other = aws_rules.log_stream_arn("/clawbot/code-server", "code-server/code-server/0123")
    assert not allowed("DaemonTaskRole", "logs:GetLogEvents", other), "only its own group"


def test_the_execution_role_can_write_every_containers_log_stream():
    """The awslogs driver writes ``<prefix>/<container>/<task id>`` in each task's group with the
    execution role (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html)."""
    for logical_id, task in resources_of_type(TEMPLATE, "AWS::ECS::TaskDefinition"):
        for definition in task["ContainerDefinitions"]:
            options = definition["LogConfiguration"]["Options"]
            group = RESOURCES[options["awslogs-group"]["Ref"]]["Properties"]["LogGroupName"]
            stream = aws_rules.log_stream_arn(group, f"{options['awslogs-stream-prefix']}/{definition['Name']}/0123")
            assert allowed("TaskExecutionRole", "logs:PutLogEvents", stream), f"{logical_id}: {stream}"


def policy_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every IAM and KMS policy document in the template, with where it is."""
    found = []
    for logical_id, role in resources_of_type(TEMPLATE, "AWS::IAM::Role"):
        found += [(f"{logical_id}.{policy['PolicyName']}", policy["PolicyDocument"]) for policy in role.get("Policies", [])]
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        found += [(logical_id, policy["PolicyDocument"]) for logical_id, policy in resources_of_type(TEMPLATE, kind)]
    found += [(logical_id, key["KeyPolicy"]) for logical_id, key in resources_of_type(TEMPLATE, "AWS::KMS::Key")]
    return found


def test_every_arn_a_policy_spells_out_is_well_formed():
    """arn:partition:service:region:account-id:resource, with the region and account empty only
    for global services (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
    moto stores a policy naming ARNs that match nothing; AWS accepts it too, and it grants nothing."""
    documents = policy_documents()
    assert len(documents) >= 8
    spelled = 0
    for where, document in documents:
        for statement in document["Statement"]:
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                if not (isinstance(resource, dict) and "Fn::Sub" in resource):
                    continue
                arn = concrete_arn(resource)
                spelled += 1
                assert "<" not in arn, f"{where}: {arn} names something this test cannot resolve"
                match = re.fullmatch(r"arn:aws:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)", arn)
                assert match, f"{where}: {arn} is not an ARN"
                service, region, account, rest = match.groups()
                if service in ("iam", "s3"):
                    assert not region, f"{where}: {service} ARNs have no region"
                else:
                    assert region and account, f"{where}: {arn} lacks its region or account"
                if service == "logs":
                    assert re.fullmatch(r"log-group:[\w/.#-]+(:\*|:log-stream:.+)?", rest), f"{where}: {arn}"
    assert spelled >= 5
