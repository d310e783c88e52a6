"""The KMS key outlives whatever it encrypts that outlives the stack, and the external rotation
Lambda may use it: read from the template, against AWS's documented behaviour."""

from __future__ import annotations

import re

from tests.infra import aws_rules
from tests.infra.cfn_template import REPO, load_template, referenced_ids, resources_of_type

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
KEPT = ("Retain", "RetainExceptOnCreate", "Snapshot")


def test_every_key_of_a_kept_resource_is_kept_too():
    """A snapshot (DeletionPolicy Snapshot) or a retained bucket encrypted with a key the stack
    deletes becomes unreadable: deleting the stack schedules the key's deletion
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html;
    https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)."""
    keys = {logical_id for logical_id, _ in resources_of_type(TEMPLATE, "AWS::KMS::Key")}
    kept = {logical_id: resource for logical_id, resource in RESOURCES.items() if resource.get("DeletionPolicy") in KEPT}
    assert {"Database", "StateBucket"} <= set(kept)
    for logical_id, resource in kept.items():
        for key in referenced_ids(resource.get("Properties", {})) & keys:
            assert RESOURCES[key].get("DeletionPolicy") == "Retain", f"{logical_id} outlives the stack, its key {key} does not"
            assert RESOURCES[key].get("UpdateReplacePolicy") == "Retain", f"replacing {key} would orphan {logical_id}'s data"


def test_the_rotation_lambdas_role_may_use_the_key_through_secrets_manager():
    """A rotation function of a secret encrypted with a customer managed key needs kms:Decrypt
    and kms:GenerateDataKey on it
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html)."""
    rotation = RESOURCES["ClawBotSecretRotation"]["Properties"]
    secret = RESOURCES[rotation["SecretId"]["Ref"]]["Properties"]
    key = secret["KmsKeyId"]["Ref"]
    grants = [
        statement
        for statement in RESOURCES[key]["Properties"]["KeyPolicy"]["Statement"]
        if statement["Principal"] == {"AWS": {"Ref": "RotationLambdaRoleArn"}}
    ]
    assert len(grants) == 1, "the key policy names the rotation Lambda's role"
    (grant,) = grants
    assert grant["Effect"] == "Allow"
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(grant["Action"])
    assert grant["Condition"] == {"StringEquals": {"kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}}


def test_the_rotation_role_parameter_takes_a_role_arn_only():
    """A role ARN is arn:<partition>:iam::<account>:role/<path>name
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns);
    KMS refuses a key policy whose principal does not exist, so a Lambda's ARN here would fail
    the whole stack."""
    pattern = re.compile(TEMPLATE["Parameters"]["RotationLambdaRoleArn"]["AllowedPattern"])
    for arn in ("arn:aws:iam::123456789012:role/clawbot-rotation", "arn:aws:iam::123456789012:role/service-role/rotate"):
        assert pattern.match(arn) and aws_rules.IAM_ROLE_ARN.match(arn)
    for arn in ("arn:aws:lambda:eu-west-1:123456789012:function:rotate", "arn:aws:iam::123456789012:user/ops", "clawbot-rotation"):
        assert not pattern.match(arn) and not aws_rules.IAM_ROLE_ARN.match(arn)


def test_the_deployment_guide_says_rotation_starts_at_once_and_what_the_lambda_needs():
    """Secrets Manager rotates a secret immediately when rotation is turned on
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_turn-on-for-other.html)."""
    guide = (REPO / "docs" / "deploying.md").read_text()
    assert "RotationLambdaRoleArn" in guide
    assert "rotates the ClawBot password at once" in guide
