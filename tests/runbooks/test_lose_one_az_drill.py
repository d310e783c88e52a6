"""Drill for docs/runbooks/lose_one_az.md: the template deployed in moto, its ECS services
created with the template's own network configuration (moto's CloudFormation drops it), then
the runbook's python blocks run in process for each zone."""

from __future__ import annotations

import copy

import boto3
import pytest
from moto import mock_aws

from tests.infra.cfn_template import resources_of_type
from tests.infra.moto_copy import deploy
from tests.infra.test_stack_in_moto import PARAMETERS, REGION, TEMPLATE
from tests.runbooks.drill import exec_python

RUNBOOK = "lose_one_az"


def _value(value, physical):
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        return physical.get(name) or TEMPLATE["Parameters"][name]["Default"]
    return value


@pytest.fixture
def deployed(monkeypatch):
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        template = copy.deepcopy(TEMPLATE)
        services = dict(resources_of_type(template, "AWS::ECS::Service"))
        for logical_id in services:
            del template["Resources"][logical_id]
        physical = deploy(template, PARAMETERS, REGION)["physical"]
        ecs = boto3.client("ecs", region_name=REGION)
        for logical_id, service in services.items():
            network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
            ecs.create_service(
                cluster="clawbot", serviceName=service["ServiceName"], taskDefinition=physical[service["TaskDefinition"]["Ref"]],
                desiredCount=int(_value(service["DesiredCount"], physical)), launchType="FARGATE",
                networkConfiguration={"awsvpcConfiguration": {
                    "subnets": [physical[subnet["Ref"]] for subnet in network["Subnets"]],
                    "securityGroups": [physical[group["Ref"]] for group in network["SecurityGroups"]],
                    "assignPublicIp": network["AssignPublicIp"]}},
            )
        zones = {logical_id: boto3.client("ec2", region_name=REGION).describe_subnets(SubnetIds=[physical[logical_id]])["Subnets"][0]["AvailabilityZone"]
                 for logical_id in ("PrivateSubnetA", "PrivateSubnetB")}
        yield {"physical": physical, "zones": zones}


def test_every_part_keeps_a_zone_whichever_zone_is_lost(deployed, monkeypatch, capsys):
    assert len(set(deployed["zones"].values())) == 2
    for zone in deployed["zones"].values():
        namespace = exec_python(RUNBOOK, "where_is_everything", monkeypatch, LOST_AZ=zone)
        assert namespace["at_risk"] == [], zone
        report = capsys.readouterr().out
        assert "Every part has a zone left" in report
        for service in ("clawbot-webserver", "clawbot-daemon", "clawbot-code-server", "clawbot-worker"):
            assert f"{service}: " in report


def test_a_service_left_in_one_zone_is_reported_at_risk(deployed, monkeypatch, capsys):
    physical, zones = deployed["physical"], deployed["zones"]
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_service(cluster="clawbot", serviceName="clawbot-hand-made", taskDefinition=physical["WorkerTaskDefinition"],
                       desiredCount=1, launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                           "subnets": [physical["PrivateSubnetA"]], "securityGroups": [physical["WorkerSecurityGroup"]]}})
    namespace = exec_python(RUNBOOK, "where_is_everything", monkeypatch, LOST_AZ=zones["PrivateSubnetA"])
    assert namespace["at_risk"] == ["clawbot-hand-made"]
    assert "AT RISK: clawbot-hand-made" in capsys.readouterr().out
    namespace = exec_python(RUNBOOK, "where_is_everything", monkeypatch, LOST_AZ=zones["PrivateSubnetB"])
    assert namespace["at_risk"] == []


def test_the_forced_failover_names_the_dagster_database(deployed, monkeypatch, capsys):
    exec_python(RUNBOOK, "force_failover", monkeypatch)
    assert f"failover of {deployed['physical']['Database']} requested" in capsys.readouterr().out
