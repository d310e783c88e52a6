"""The template deployed into moto: what moto models is created by CloudFormation itself
(queues, topic, VPC, ECS, ALB, RDS, bucket, IAM, KMS, logs); the types moto's CloudFormation
skips (alarms, secrets, Cloud Map, Application Auto Scaling, separate egress rules, the
bucket policy) are created here with boto3 from the template's own properties."""

import json

import boto3
import pytest
from moto import mock_aws

from tests.infra.aws_rules import names_both_secret_and_environment
from tests.infra.cfn_template import load_template, refers_to, resources_of_type
from tests.infra.moto_copy import deploy

REGION = "us-east-1"
PARAMETERS = {
    "CodeLocationImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/clawbot:1",
    "WorkerImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/clawbot-worker:1",
    "DomainName": "clawbot.example.com",
    "OidcIssuer": "https://idp.example.com",
    "OidcAuthorizationEndpoint": "https://idp.example.com/authorize",
    "OidcTokenEndpoint": "https://idp.example.com/token",
    "OidcUserInfoEndpoint": "https://idp.example.com/userinfo",
    "OidcClientId": "clawbot-ui",
    "AirtableBaseId": "appClawbot",
    "N8nBaseUrl": "https://n8n.example.com",
    "RotationLambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:clawbot-rotate",
    "RotationLambdaRoleArn": "arn:aws:iam::123456789012:role/clawbot-rotate",
}
TEMPLATE = load_template()


@pytest.fixture(scope="module")
def stack():
    with mock_aws():
        yield deploy(TEMPLATE, PARAMETERS, REGION)


def client(name):
    return boto3.client(name, region_name=REGION)


def test_the_stack_is_created(stack):
    assert stack["status"] == "CREATE_COMPLETE"
    skipped = {resource["Type"] for resource in stack["dropped"].values()}
    # Everything else in the template was created by moto's CloudFormation.
    assert skipped <= {
        "AWS::CloudWatch::Alarm",
        "AWS::SecretsManager::Secret",
        "AWS::SecretsManager::RotationSchedule",
        "AWS::SecretsManager::SecretTargetAttachment",
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "AWS::ServiceDiscovery::Service",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::S3::BucketPolicy",
    }


def test_the_queue_is_fifo_and_dead_letters_after_three_receives(stack):
    sqs = client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=stack["outputs"]["QueueUrl"], AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=stack["outputs"]["DeadLetterQueueUrl"], AttributeNames=["All"])["Attributes"]
    assert queue["FifoQueue"] == "true" and dlq["FifoQueue"] == "true"
    assert queue.get("ContentBasedDeduplication", "false") == "false", "the task Key is the deduplication id"
    redrive = json.loads(queue["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 3}
    assert queue["KmsMasterKeyId"] and dlq["KmsMasterKeyId"]


@pytest.mark.parametrize("output", ["AlertTopicArn", "PagerTopicArn"])
def test_the_alert_and_pager_topics_are_encrypted(stack, output):
    attributes = client("sns").get_topic_attributes(TopicArn=stack["outputs"][output])["Attributes"]
    assert attributes.get("KmsMasterKeyId")


def _task_definitions(stack):
    ecs = client("ecs")
    return {
        logical_id: ecs.describe_task_definition(taskDefinition=stack["physical"][logical_id])["taskDefinition"]
        for logical_id in ("WebserverTaskDefinition", "DaemonTaskDefinition", "CodeServerTaskDefinition")
    }


def test_three_fargate_services_in_private_subnets_of_two_zones(stack):
    """moto creates the services with their task definitions and counts but drops their
    network configuration, so that part is read from the template, with the subnets' zones
    from moto."""
    ecs, ec2 = client("ecs"), client("ec2")
    services = ecs.describe_services(
        cluster="clawbot", services=["clawbot-webserver", "clawbot-daemon", "clawbot-code-server"]
    )["services"]
    families = {service["serviceName"]: service["taskDefinition"].rsplit("/", 1)[-1].split(":")[0] for service in services}
    assert families == {
        "clawbot-webserver": "clawbot-webserver",
        "clawbot-daemon": "clawbot-daemon",
        "clawbot-code-server": "clawbot-code-server",
    }
    assert {service["serviceName"]: service["desiredCount"] for service in services}["clawbot-daemon"] == 1
    private = {stack["physical"]["PrivateSubnetA"], stack["physical"]["PrivateSubnetB"]}
    zones = {subnet["AvailabilityZone"] for subnet in ec2.describe_subnets(SubnetIds=sorted(private))["Subnets"]}
    assert len(zones) == 2
    public = [stack["physical"]["PublicSubnetA"], stack["physical"]["PublicSubnetB"]]
    assert not any(subnet["MapPublicIpOnLaunch"] for subnet in ec2.describe_subnets(SubnetIds=public)["Subnets"])
    for logical_id, service in resources_of_type(TEMPLATE, "AWS::ECS::Service"):
        network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED", logical_id
        assert network["Subnets"] == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}], logical_id
        assert (service["LaunchType"], service["PlatformVersion"]) == ("FARGATE", "LATEST"), logical_id
    daemon = TEMPLATE["Resources"]["DaemonService"]["Properties"]
    assert daemon["DeploymentConfiguration"] == {"MaximumPercent": 100, "MinimumHealthyPercent": 0}, "never two daemons"


def test_containers_run_dagster_and_expose_only_their_ports(stack):
    definitions = _task_definitions(stack)
    (webserver,) = definitions["WebserverTaskDefinition"]["containerDefinitions"]
    (daemon,) = definitions["DaemonTaskDefinition"]["containerDefinitions"]
    (code_server,) = definitions["CodeServerTaskDefinition"]["containerDefinitions"]
    assert "dagster-webserver -h 0.0.0.0 -p 3000 -w /tmp/workspace.yaml" in webserver["command"][0]
    assert "dagster-daemon run -w /tmp/workspace.yaml" in daemon["command"][0]
    for container in (webserver, daemon):
        assert "location_name: clawbot" in container["command"][0]
    assert code_server["command"][:3] == ["dagster", "code-server", "start"]
    assert code_server["command"][code_server["command"].index("-p") + 1] == "4000"
    assert code_server["command"][code_server["command"].index("--location-name") + 1] == "clawbot"
    assert [m["containerPort"] for m in webserver["portMappings"]] == [3000]
    assert [m["containerPort"] for m in code_server["portMappings"]] == [4000]
    assert not daemon.get("portMappings")
    for logical_id, definition in resources_of_type(TEMPLATE, "AWS::ECS::TaskDefinition"):
        # moto keeps the containers but not these two.
        assert (definition["NetworkMode"], definition["RequiresCompatibilities"]) == ("awsvpc", ["FARGATE"]), logical_id
    for definition in definitions.values():
        (container,) = definition["containerDefinitions"]
        environment = {item["name"]: item["value"] for item in container["environment"]}
        secrets = {item["name"] for item in container["secrets"]}
        assert {"DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD"} <= secrets
        assert environment["DAGSTER_POSTGRES_DB"] == "dagster"
        assert environment["DAGSTER_GRPC_HOST"] == "code-server.clawbot.internal"
        assert environment["DAGSTER_GRPC_PORT"] == "4000"
        assert not any("PASSWORD" in name or "TOKEN" in name or "API_KEY" in name for name in environment)
    for name in ("DaemonTaskDefinition", "CodeServerTaskDefinition"):
        (container,) = definitions[name]["containerDefinitions"]
        environment = {item["name"]: item["value"] for item in container["environment"]}
        assert environment["CLAWBOT_QUEUE_URL"] == stack["outputs"]["QueueUrl"]
        assert environment["CLAWBOT_DLQ_URL"] == stack["outputs"]["DeadLetterQueueUrl"]
        assert environment["CLAWBOT_ALERT_TOPIC_ARN"] == stack["outputs"]["AlertTopicArn"]
        assert environment["CLAWBOT_PAGER_TOPIC_ARN"] == stack["outputs"]["PagerTopicArn"]
        assert environment["CLAWBOT_KEY_INDEX_S3_URI"] == f"s3://{stack['outputs']['StateBucketName']}/key-index"
        assert (environment["CLAWBOT_QUEUE"], environment["CLAWBOT_SECRETS"]) == ("sqs", "aws")


def test_the_load_balancer_authenticates_before_forwarding_and_redirects_http(stack):
    elb = client("elbv2")
    (balancer,) = elb.describe_load_balancers(Names=["clawbot"])["LoadBalancers"]
    assert balancer["Scheme"] == "internet-facing"
    listeners = {listener["Port"]: listener for listener in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443]
    assert listeners[443]["Protocol"] == "HTTPS"
    # moto drops the actions' Order (the template's order is checked by exposure_rules).
    https = {action["Type"]: action for action in listeners[443]["DefaultActions"]}
    assert sorted(https) == ["authenticate-oidc", "forward"]
    assert https["authenticate-oidc"]["AuthenticateOidcConfig"]["Issuer"] == PARAMETERS["OidcIssuer"]
    assert https["authenticate-oidc"]["AuthenticateOidcConfig"]["OnUnauthenticatedRequest"] == "authenticate"
    template_actions = TEMPLATE["Resources"]["HttpsListener"]["Properties"]["DefaultActions"]
    assert [(a["Order"], a["Type"]) for a in template_actions] == [(1, "authenticate-oidc"), (2, "forward")]
    (redirect,) = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Protocol"] == "HTTPS"


def test_the_database_is_private_encrypted_and_multi_az(stack):
    (database,) = client("rds").describe_db_instances(DBInstanceIdentifier=stack["physical"]["Database"])["DBInstances"]
    assert database["MultiAZ"] and database["StorageEncrypted"] and not database["PubliclyAccessible"]
    assert database["Engine"] == "postgres"


def test_the_state_bucket_is_versioned_encrypted_and_private(stack):
    """moto's CloudFormation applies the encryption; versioning, the access block and the
    policy are applied here from the template's properties."""
    s3 = client("s3")
    bucket = stack["outputs"]["StateBucketName"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    properties = TEMPLATE["Resources"]["StateBucket"]["Properties"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=properties["VersioningConfiguration"])
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"])
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (_, policy), = resources_of_type(TEMPLATE, "AWS::S3::BucketPolicy")
    document = json.dumps(policy["PolicyDocument"]).replace('{"Fn::GetAtt": ["StateBucket", "Arn"]}', f'"arn:aws:s3:::{bucket}"')
    document = document.replace('{"Fn::Sub": "${StateBucket.Arn}/*"}', f'"arn:aws:s3:::{bucket}/*"')
    s3.put_bucket_policy(Bucket=bucket, Policy=document)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"


def _resolved(value, known):
    """``value`` with the references in ``known`` (``{(logical id, attribute or None): value}``) resolved."""
    if isinstance(value, dict):
        if "Ref" in value and (value["Ref"], None) in known:
            return known[(value["Ref"], None)]
        if "Fn::GetAtt" in value and tuple(value["Fn::GetAtt"]) in known:
            return known[tuple(value["Fn::GetAtt"])]
        return {key: _resolved(inner, known) for key, inner in value.items()}
    if isinstance(value, list):
        return [_resolved(inner, known) for inner in value]
    return value


def test_the_template_alarms_can_be_created_and_page_or_notify_the_channel_by_severity(stack):
    cloudwatch = client("cloudwatch")
    topic, pager = stack["outputs"]["AlertTopicArn"], stack["outputs"]["PagerTopicArn"]
    balancer_arn = stack["physical"]["LoadBalancer"]
    known = {
        ("AlertTopic", None): topic,
        ("PagerTopic", None): pager,
        ("Database", None): stack["physical"]["Database"],
        # What ALB metrics name a load balancer by: the part of its ARN after "loadbalancer/".
        ("LoadBalancer", "LoadBalancerFullName"): balancer_arn.split(":loadbalancer/", 1)[1],
    }
    names = []
    for _, properties in resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm"):
        cloudwatch.put_metric_alarm(**_resolved(properties, known))
        names.append(properties["AlarmName"])
    alarms = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(alarm["AlarmName"] for alarm in alarms) == sorted(names)
    assert all(alarm["OKActions"] == [topic] for alarm in alarms), "every recovery goes to the channel"
    for alarm in alarms:
        expected = pager if alarm["AlarmDescription"].startswith("ERROR: ") else topic
        assert alarm["AlarmActions"] == [expected], alarm["AlarmName"]
    assert {pager, topic} == {action for alarm in alarms for action in alarm["AlarmActions"]}


def test_the_secret_holds_the_keys_the_app_reads_and_rotates(stack):
    from clawbot_assets.resources.secrets import AIRTABLE_API_KEY, CLAWBOT_PASSWORD, HUBSPOT_ACCESS_TOKEN, N8N_API_KEY

    properties = TEMPLATE["Resources"]["ClawBotSecret"]["Properties"]
    generate = properties["GenerateSecretString"]
    secrets = client("secretsmanager")
    password = secrets.get_random_password(PasswordLength=generate["PasswordLength"], ExcludePunctuation=generate["ExcludePunctuation"])
    value = {**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: password["RandomPassword"]}
    secret = secrets.create_secret(Name=properties["Name"], SecretString=json.dumps(value), KmsKeyId=stack["outputs"]["KeyArn"])
    stored = json.loads(secrets.get_secret_value(SecretId=secret["ARN"])["SecretString"])
    assert set(stored) == {CLAWBOT_PASSWORD, AIRTABLE_API_KEY, HUBSPOT_ACCESS_TOKEN, N8N_API_KEY}
    assert len(stored[CLAWBOT_PASSWORD]) == 48
    rotation = TEMPLATE["Resources"]["ClawBotSecretRotation"]["Properties"]
    assert refers_to(rotation["SecretId"], "ClawBotSecret")
    assert rotation["RotationLambdaARN"] == {"Ref": "RotationLambdaArn"}
    assert rotation["RotationRules"]["ScheduleExpression"] == "rate(30 days)"


def test_the_webserver_scales_on_cpu(stack):
    scaling = client("application-autoscaling")
    target = TEMPLATE["Resources"]["WebserverScalableTarget"]["Properties"]
    policy = TEMPLATE["Resources"]["WebserverCpuScaling"]["Properties"]
    resource_id = f"service/clawbot/{stack['physical']['WebserverService'].rsplit('/', 1)[-1]}"
    assert target["ResourceId"] == {"Fn::Sub": "service/${Cluster}/${WebserverService.Name}"}
    scaling.register_scalable_target(
        ServiceNamespace=target["ServiceNamespace"],
        ResourceId=resource_id,
        ScalableDimension=target["ScalableDimension"],
        MinCapacity=int(TEMPLATE["Parameters"]["WebserverMinTasks"]["Default"]),
        MaxCapacity=int(TEMPLATE["Parameters"]["WebserverMaxTasks"]["Default"]),
    )
    scaling.put_scaling_policy(
        PolicyName=policy["PolicyName"],
        ServiceNamespace=target["ServiceNamespace"],
        ResourceId=resource_id,
        ScalableDimension=target["ScalableDimension"],
        PolicyType=policy["PolicyType"],
        TargetTrackingScalingPolicyConfiguration=policy["TargetTrackingScalingPolicyConfiguration"],
    )
    (registered,) = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])["ScalableTargets"]
    assert (registered["MinCapacity"], registered["MaxCapacity"]) == (2, 4)
    (created,) = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)["ScalingPolicies"]
    assert created["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_the_code_server_name_is_the_one_the_webserver_and_daemon_dial(stack):
    resources = TEMPLATE["Resources"]
    namespace = resources["ServiceNamespace"]["Properties"]
    discovery = resources["CodeServerDiscovery"]["Properties"]
    assert refers_to(discovery["NamespaceId"], "ServiceNamespace")
    created = client("servicediscovery").create_private_dns_namespace(Name=namespace["Name"], Vpc=stack["physical"]["Vpc"])
    assert created["OperationId"]
    registries = resources["CodeServerService"]["Properties"]["ServiceRegistries"]
    assert refers_to(registries[0]["RegistryArn"], "CodeServerDiscovery")
    assert f"{discovery['Name']}.{namespace['Name']}" == "code-server.clawbot.internal"


def test_the_deployed_daemon_and_code_server_set_the_limiter_and_archive_and_keep_the_password_secret(stack):
    definitions = _task_definitions(stack)
    for name in ("DaemonTaskDefinition", "CodeServerTaskDefinition"):
        (container,) = definitions[name]["containerDefinitions"]
        environment = {item["name"]: item["value"] for item in container["environment"]}
        secrets = {item["name"]: item["valueFrom"] for item in container["secrets"]}
        assert environment["CLAWBOT_RATE_LIMITER_URL"] == "instance", name
        assert environment["AIRTABLE_ARCHIVE_TABLE"] == "Dedupe Archive", name
        assert "DAGSTER_POSTGRES_PASSWORD" in secrets and secrets["DAGSTER_POSTGRES_PASSWORD"].endswith(":password::"), name
    for name, definition in definitions.items():
        (container,) = definition["containerDefinitions"]
        assert "DAGSTER_POSTGRES_PASSWORD" not in {item["name"] for item in container["environment"]}, name


def _role_arn(stack, logical_id):
    return client("iam").get_role(RoleName=stack["physical"][logical_id])["Role"]["Arn"]


def _role_statements(stack, logical_id):
    """Every statement of the deployed role's inline policies and of the managed policies the
    template attaches to it (moto's CloudFormation creates the managed policies but does not
    attach ``ManagedPolicyArns``, so the attachment is read from the template, the documents
    from moto)."""
    iam = client("iam")
    name = stack["physical"][logical_id]
    statements = []
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        statements += iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]["Statement"]
    attached = [stack["physical"][arn["Ref"]] for arn in TEMPLATE["Resources"][logical_id]["Properties"].get("ManagedPolicyArns", [])]
    for policy_arn in attached:
        policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
        document = iam.get_policy_version(PolicyArn=policy_arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
        statements += (json.loads(document) if isinstance(document, str) else document)["Statement"]
    return statements


def _actions(statement):
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_the_deployed_run_role_cannot_launch_tasks_and_the_daemon_passes_only_two_roles(stack):
    run_role = _role_statements(stack, "RunTaskRole")
    granted = {action for statement in run_role for action in _actions(statement)}
    assert "secretsmanager:GetSecretValue" in granted and "sqs:SendMessage" in granted
    assert not any(action == "*" or action.split(":")[0] in ("ecs", "iam") for action in granted), granted
    (passes,) = [statement for statement in _role_statements(stack, "DaemonTaskRole") if "iam:PassRole" in _actions(statement)]
    assert sorted(passes["Resource"]) == sorted([_role_arn(stack, "TaskExecutionRole"), _role_arn(stack, "RunTaskRole")])
    (daemon,) = _task_definitions(stack)["DaemonTaskDefinition"]["containerDefinitions"]
    environment = {item["name"]: item["value"] for item in daemon["environment"]}
    assert environment["CLAWBOT_RUN_TASK_ROLE_ARN"] == _role_arn(stack, "RunTaskRole")


def _launch_run_as_the_daemon(stack, monkeypatch, tmp_path, container_context):
    """Launch one run with the production EcsRunLauncher (deploy/dagster.yaml), in moto, from
    inside the deployed daemon task: the task metadata endpoint and the ENI lookup, which moto
    does not serve, answer as ECS would. Returns the run task's registered task definition."""
    import dagster as dg
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.utils import make_new_run_id
    from dagster._core.launcher import LaunchRunContext
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster_aws.ecs import launcher as launcher_module
    from dagster_aws.ecs import tasks as tasks_module
    from dagster_aws.ecs.tasks import CurrentEcsTaskMetadata

    from tests.deploy.production_home import production_config

    ecs = client("ecs")
    deployed = _task_definitions(stack)["DaemonTaskDefinition"]
    # moto's CloudFormation keeps the containers but drops the task-level properties: register
    # the revision ECS would hold, with the template's roles, mode and size.
    properties = TEMPLATE["Resources"]["DaemonTaskDefinition"]["Properties"]
    assert refers_to(properties["TaskRoleArn"], "DaemonTaskRole") and refers_to(properties["ExecutionRoleArn"], "TaskExecutionRole")
    daemon_definition = ecs.register_task_definition(
        family=deployed["family"], containerDefinitions=deployed["containerDefinitions"],
        taskRoleArn=_role_arn(stack, "DaemonTaskRole"), executionRoleArn=_role_arn(stack, "TaskExecutionRole"),
        networkMode=properties["NetworkMode"], requiresCompatibilities=properties["RequiresCompatibilities"],
        cpu=properties["Cpu"], memory=properties["Memory"],
    )["taskDefinition"]
    (daemon,) = daemon_definition["containerDefinitions"]
    # The daemon process's environment: its task definition's, and its secrets as ECS injects them.
    for item in daemon["environment"]:
        monkeypatch.setenv(item["name"], item["value"])
    for item in daemon["secrets"]:
        monkeypatch.setenv(item["name"], "injected-by-ecs")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    cluster_arn = ecs.describe_clusters(clusters=["clawbot"])["clusters"][0]["clusterArn"]
    daemon_task_arn = f"arn:aws:ecs:{REGION}:123456789012:task/clawbot/0123456789abcdef"
    subnets = [stack["physical"]["PrivateSubnetA"], stack["physical"]["PrivateSubnetB"]]
    monkeypatch.setattr(launcher_module, "get_current_ecs_task_metadata", lambda: CurrentEcsTaskMetadata(cluster=cluster_arn, task_arn=daemon_task_arn))
    monkeypatch.setattr(launcher_module, "get_current_ecs_task", lambda _ecs, _arn, _cluster: {
        "taskArn": daemon_task_arn, "clusterArn": cluster_arn, "taskDefinitionArn": daemon_definition["taskDefinitionArn"]})
    monkeypatch.setattr(launcher_module, "get_task_kwargs_from_current_task", lambda _ec2, cluster, _task: {
        "cluster": cluster, "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}}})
    monkeypatch.setattr(tasks_module, "current_ecs_container_name", lambda: "daemon")
    # moto's RunTask places tasks on EC2 container instances (it needs per-container memory):
    # the RunTask request is recorded instead; the task definition it names is moto's.
    started = []
    monkeypatch.setattr(launcher_module, "run_ecs_task", lambda _ecs, kwargs: started.append(kwargs) or {
        "taskArn": f"arn:aws:ecs:{REGION}:123456789012:task/clawbot/run{len(started)}", "clusterArn": cluster_arn})

    repository = RemoteRepositoryOrigin(GrpcServerCodeLocationOrigin(host="code-server.clawbot.internal", port=4000, location_name="clawbot"), "__repository__")
    code_origin = JobPythonOrigin(
        "nightly_dedupe",
        RepositoryPythonOrigin(
            executable_path="/usr/local/bin/python",
            code_pointer=ModuleCodePointer("clawbot_assets.definitions", "defs", working_directory=None),
            container_image=PARAMETERS["CodeLocationImage"],
            container_context=container_context,
        ),
    )
    with dg.instance_for_test(overrides={"run_launcher": production_config()["run_launcher"]}, temp_dir=str(tmp_path)) as instance:
        run = instance.add_run(dg.DagsterRun(
            job_name="nightly_dedupe", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTING,
            job_code_origin=code_origin, remote_job_origin=RemoteJobOrigin(repository, "nightly_dedupe"),
        ))
        instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
        assert instance.get_run_by_id(run.run_id).tags["ecs/task_arn"].endswith("/run1")
    (request,) = started
    assert request["cluster"] == cluster_arn and request["launchType"] == "FARGATE"
    assert request["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == subnets
    return ecs.describe_task_definition(taskDefinition=request["taskDefinition"])["taskDefinition"]


def test_a_run_launched_by_the_daemon_gets_the_run_role_and_the_daemons_environment(stack, monkeypatch, tmp_path):
    """The whole path: the code server's container context (from its deployed task definition),
    the production launcher config, the daemon's deployed task definition and environment."""
    (code_server,) = _task_definitions(stack)["CodeServerTaskDefinition"]["containerDefinitions"]
    context = json.loads({item["name"]: item["value"] for item in code_server["environment"]}["DAGSTER_CONTAINER_CONTEXT"])
    definition = _launch_run_as_the_daemon(stack, monkeypatch, tmp_path, context)
    assert definition["taskRoleArn"] == _role_arn(stack, "RunTaskRole")
    assert definition["executionRoleArn"] == _role_arn(stack, "TaskExecutionRole")
    (run,) = definition["containerDefinitions"]
    assert run["image"] == PARAMETERS["CodeLocationImage"]
    environment = {item["name"]: item["value"] for item in run["environment"]}
    assert environment["CLAWBOT_RATE_LIMITER_URL"] == "instance"
    assert environment["AIRTABLE_ARCHIVE_TABLE"] == "Dedupe Archive"
    assert environment["CLAWBOT_QUEUE_URL"] == stack["outputs"]["QueueUrl"]
    assert "DAGSTER_POSTGRES_PASSWORD" not in environment
    assert {"DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD"} <= {item["name"] for item in run["secrets"]}
    # moto registers it anyway; ECS would refuse it (tests/infra/aws_rules.py).
    assert not names_both_secret_and_environment(environment, {item["name"] for item in run["secrets"]})
    assert run["logConfiguration"]["options"]["awslogs-group"] == "/clawbot/daemon"


def test_without_the_container_context_a_run_would_get_the_daemons_role(stack, monkeypatch, tmp_path):
    """Why the code server's DAGSTER_CONTAINER_CONTEXT matters: the launcher alone keeps the
    daemon's task role (the one that may launch tasks and pass roles)."""
    definition = _launch_run_as_the_daemon(stack, monkeypatch, tmp_path, None)
    assert definition["taskRoleArn"] == _role_arn(stack, "DaemonTaskRole")


def test_the_worker_service_runs_the_worker_image_and_its_scaling_policy_is_accepted(stack):
    ecs, scaling = client("ecs"), client("application-autoscaling")
    (service,) = ecs.describe_services(cluster="clawbot", services=["clawbot-worker"])["services"]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    (worker,) = definition["containerDefinitions"]
    assert worker["image"] == PARAMETERS["WorkerImage"]
    target = TEMPLATE["Resources"]["WorkerScalableTarget"]["Properties"]
    tracking = TEMPLATE["Resources"]["WorkerBacklogScaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    known = {("TaskQueue", "QueueName"): "clawbot-sales.fifo", ("Cluster", None): "clawbot", ("WorkerService", "Name"): "clawbot-worker",
             ("WorkerBacklogPerTask", None): float(TEMPLATE["Parameters"]["WorkerBacklogPerTask"]["Default"])}
    resource_id = "service/clawbot/clawbot-worker"
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension=target["ScalableDimension"],
                                     MinCapacity=1, MaxCapacity=8)
    scaling.put_scaling_policy(PolicyName="clawbot-worker-backlog-per-task", ServiceNamespace="ecs", ResourceId=resource_id,
                               ScalableDimension=target["ScalableDimension"], PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration=_resolved(tracking, known))
    (created,) = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)["ScalingPolicies"]
    assert created["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 20


def test_every_service_the_database_the_load_balancer_and_each_nat_route_span_two_zones(stack):
    """Losing one AZ leaves every part a zone (docs/runbooks/lose_one_az.md)."""
    ec2, rds, elb = client("ec2"), client("rds"), client("elbv2")
    physical = stack["physical"]

    def zones(subnet_ids):
        return {subnet["AvailabilityZone"] for subnet in ec2.describe_subnets(SubnetIds=sorted(subnet_ids))["Subnets"]}

    services = dict(resources_of_type(TEMPLATE, "AWS::ECS::Service"))
    assert len(services) == 4
    for logical_id, service in services.items():
        subnets = {physical[subnet["Ref"]] for subnet in service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]}
        assert len(zones(subnets)) == 2, logical_id
    (database,) = rds.describe_db_instances(DBInstanceIdentifier=physical["Database"])["DBInstances"]
    assert database["MultiAZ"]
    assert len({subnet["SubnetAvailabilityZone"]["Name"] for subnet in database["DBSubnetGroup"]["Subnets"]}) == 2
    (balancer,) = elb.describe_load_balancers(Names=["clawbot"])["LoadBalancers"]
    assert len({zone["ZoneName"] for zone in balancer["AvailabilityZones"]}) == 2
    # Each private subnet leaves through a NAT gateway in its own zone: one zone's NAT is not a
    # single point of failure for the other's tasks.
    associations = {association["SubnetId"]["Ref"]: association["RouteTableId"]["Ref"]
                    for _, association in resources_of_type(TEMPLATE, "AWS::EC2::SubnetRouteTableAssociation")}
    for private in ("PrivateSubnetA", "PrivateSubnetB"):
        (table,) = ec2.describe_route_tables(RouteTableIds=[physical[associations[private]]])["RouteTables"]
        (default,) = [route for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0"]
        (nat,) = ec2.describe_nat_gateways(NatGatewayIds=[default["NatGatewayId"]])["NatGateways"]
        assert zones([nat["SubnetId"]]) == zones([physical[private]]), private
    assert int(TEMPLATE["Parameters"]["WebserverMinTasks"]["Default"]) >= 2, "the UI keeps a task while ECS replaces the other"
