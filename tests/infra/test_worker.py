"""The ClawBot worker on Fargate, read from the template: its image is a parameter, its role
may only consume the task queue and read its credentials, it scales on backlog per task, and
n8n callers reach it over HTTPS with their own credential, not the operators' sign-in."""

from __future__ import annotations

from tests.infra.cfn_template import load_template, refers_to, resources_of_type
from tests.infra.exposure_rules import requires_caller_credential
from tests.infra.test_run_role_and_environment import actions, container, environment, statements_of_role

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]


def test_the_worker_runs_the_worker_image_as_a_private_fargate_service_behind_its_target_group():
    assert "Default" not in PARAMETERS["WorkerImage"], "no worker image, no stack"
    assert container("WorkerTaskDefinition")["Image"] == {"Ref": "WorkerImage"}
    service = RESOURCES["WorkerService"]["Properties"]
    assert refers_to(service["TaskDefinition"], "WorkerTaskDefinition")
    assert service["ServiceName"] == "clawbot-worker" and service["LaunchType"] == "FARGATE"
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    (balancer,) = service["LoadBalancers"]
    assert refers_to(balancer["TargetGroupArn"], "WorkerTargetGroup")
    assert refers_to(RESOURCES["WorkerTaskDefinition"]["Properties"]["TaskRoleArn"], "WorkerTaskRole")
    env = environment("WorkerTaskDefinition")
    assert refers_to(env["CLAWBOT_QUEUE_URL"], "TaskQueue") and refers_to(env["CLAWBOT_SECRET_ID"], "ClawBotSecret")
    assert not container("WorkerTaskDefinition").get("Secrets"), "it reads the secret itself, at every use, so a rotation reaches it"


def test_the_worker_role_is_least_privilege():
    """Receive, delete and extend visibility on the task queue (never send, never the DLQ),
    read the ClawBot secret, decrypt through SQS and Secrets Manager only."""
    granted = {}
    for statement in statements_of_role("WorkerTaskRole"):
        assert statement["Effect"] == "Allow"
        for action in actions(statement):
            granted.setdefault(action, []).append(statement)
    assert set(granted) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
                            "secretsmanager:GetSecretValue", "kms:Decrypt"}
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):
        (statement,) = granted[action]
        assert statement["Resource"] == {"Fn::GetAtt": ["TaskQueue", "Arn"]}
    (secret,) = granted["secretsmanager:GetSecretValue"]
    assert refers_to(secret["Resource"], "ClawBotSecret")
    (decrypt,) = granted["kms:Decrypt"]
    services = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert [value["Fn::Sub"].split(".")[0] for value in services] == ["sqs", "secretsmanager"]
    # No other role is attached to it.
    assert "ManagedPolicyArns" not in RESOURCES["WorkerTaskRole"]["Properties"]


def test_the_worker_scales_on_backlog_per_task_within_documented_bounds():
    """Target tracking on metric math, as AWS documents for SQS backlog per task
    (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html)."""
    target = RESOURCES["WorkerScalableTarget"]["Properties"]
    assert target["ResourceId"] == {"Fn::Sub": "service/${Cluster}/${WorkerService.Name}"}
    assert (target["MinCapacity"], target["MaxCapacity"]) == ({"Ref": "WorkerMinTasks"}, {"Ref": "WorkerMaxTasks"})
    assert (PARAMETERS["WorkerMinTasks"]["Default"], PARAMETERS["WorkerMaxTasks"]["Default"]) == (1, 8)
    policy = RESOURCES["WorkerBacklogScaling"]["Properties"]
    assert policy["PolicyType"] == "TargetTrackingScaling" and refers_to(policy["ScalingTargetId"], "WorkerScalableTarget")
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == {"Ref": "WorkerBacklogPerTask"} and PARAMETERS["WorkerBacklogPerTask"]["Default"] == 20
    queries = {query["Id"]: query for query in tracking["CustomizedMetricSpecification"]["Metrics"]}
    visible = queries["visible"]["MetricStat"]["Metric"]
    assert (visible["Namespace"], visible["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert visible["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["TaskQueue", "QueueName"]}}]
    running = queries["running"]["MetricStat"]["Metric"]
    assert (running["Namespace"], running["MetricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert {"Name": "ServiceName", "Value": {"Fn::GetAtt": ["WorkerService", "Name"]}} in running["Dimensions"]
    returned = [query for query in queries.values() if query["ReturnData"]]
    assert len(returned) == 1 and "visible / running" in returned[0]["Expression"], "one time series: backlog per task"


def test_n8n_callers_reach_the_worker_only_with_their_credential_and_never_the_ui():
    rules = dict(resources_of_type(TEMPLATE, "AWS::ElasticLoadBalancingV2::ListenerRule"))
    rule = rules["WorkerListenerRule"]
    assert refers_to(rule["ListenerArn"], "HttpsListener")
    assert requires_caller_credential(rule)
    (forward,) = rule["Actions"]
    assert forward["Type"] == "forward" and refers_to(forward["TargetGroupArn"], "WorkerTargetGroup")
    paths = [c for c in rule["Conditions"] if c["Field"] == "path-pattern"]
    assert paths and paths[0]["PathPatternConfig"]["Values"] == {"Ref": "WorkerCallerPaths"}
    assert PARAMETERS["WorkerCallerPaths"]["Default"] != "/*", "the callers get their paths, not the whole site"
