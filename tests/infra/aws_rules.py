"""Rules AWS enforces and moto does not, written down from AWS's own documentation so that a
test can hold the template to them. Each rule names the page it comes from.

Pure functions over plain values: the tests feed them what the template (through
``cfn_template``) or deploy/dagster.yaml says.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

#: ECS: "the secret name must be unique and not shared with any new or existing environment
#: variables set on the container" (RegisterTaskDefinition and RunTask refuse it; moto accepts).
#: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
ECS_SECRETS_PAGE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html"


def names_both_secret_and_environment(environment: Iterable[str], secrets: Iterable[str]) -> set[str]:
    """The variable names a container would receive both as plain environment and as a secret."""
    return set(environment) & set(secrets)


#: Fargate task sizes: cpu units -> the memory (MiB) values allowed with it.
#: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_SIZES_PAGE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size"
FARGATE_SIZES: dict[int, set[int]] = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4096 + 1, 1024)),
    1024: set(range(2048, 8192 + 1, 1024)),
    2048: set(range(4096, 16384 + 1, 1024)),
    4096: set(range(8192, 30720 + 1, 1024)),
    8192: set(range(16384, 61440 + 1, 4096)),
    16384: set(range(32768, 122880 + 1, 8192)),
}


def fargate_size_allowed(cpu: Any, memory: Any) -> bool:
    return int(memory) in FARGATE_SIZES.get(int(cpu), set())


#: SQS queue names: up to 80 characters of alphanumerics, hyphens and underscores; a FIFO
#: queue's name ends in ".fifo" (which counts towards the 80).
#: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
SQS_NAMES_PAGE = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"


def sqs_queue_name_problem(name: str, fifo: bool) -> str | None:
    base = name[: -len(".fifo")] if name.endswith(".fifo") else name
    if len(name) > 80:
        return f"{name}: longer than 80 characters"
    if fifo != name.endswith(".fifo"):
        return f"{name}: a FIFO queue's name, and only a FIFO queue's, ends in .fifo"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", base):
        return f"{name}: only alphanumerics, hyphens and underscores"
    return None


#: CloudWatch Logs resource ARNs for IAM, and what a log group's ``Fn::GetAtt Arn`` returns.
#: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html
#: ("Arn: The ARN of the log group, such as arn:aws:logs:us-west-1:123456789012:log-group:/mystack-testgroup-12ABC1AB12A1:*")
LOGS_ARN_PAGE = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html"
PARTITION, REGION, ACCOUNT = "aws", "eu-west-1", "123456789012"


def log_group_getatt_arn(name: str) -> str:
    return f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"


def log_stream_arn(group: str, stream: str) -> str:
    return f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:{stream}"


#: IAM matches a resource ARN against a policy's Resource with "*" (any run of characters,
#: colons included) and "?" (one character), case-sensitively.
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
IAM_RESOURCE_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"


def iam_resource_matches(pattern: str, arn: str) -> bool:
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, arn) is not None


#: An IAM role's ARN: arn:<partition>:iam::<12-digit account>:role/<path/>name.
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
IAM_ARNS_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns"
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
