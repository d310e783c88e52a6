"""The template never opens the Dagster UI without authentication and never makes a bucket
public; each rule is proven to reject a copy of the template broken in that one way."""

import copy
from typing import Callable

import pytest

from tests.infra.cfn_template import load_template
from tests.infra.exposure_rules import bucket_problems, webserver_exposure_problems

TEMPLATE = load_template()


def _resource(template, logical_id):
    return template["Resources"][logical_id]["Properties"]


def _https_actions(template):
    return _resource(template, "HttpsListener")["DefaultActions"]


def forward_only(t):
    actions = _https_actions(t)
    actions[:] = [action for action in actions if action["Type"] == "forward"]


def forward_ordered_first(t):
    for action in _https_actions(t):
        action["Order"] = 1 if action["Type"] == "forward" else 2


def http_listener_forwards(t):
    _resource(t, "HttpListener")["DefaultActions"] = [{"Type": "forward", "TargetGroupArn": {"Ref": "WebserverTargetGroup"}}]


def listener_rule_skips_authentication(t):
    t["Resources"]["OpenPath"] = {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": {"Ref": "HttpsListener"},
            "Priority": 1,
            "Conditions": [{"Field": "path-pattern", "Values": ["/graphql"]}],
            "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "WebserverTargetGroup"}}],
        },
    }


def worker_rule_without_credential(t):
    conditions = _resource(t, "WorkerListenerRule")["Conditions"]
    conditions[:] = [condition for condition in conditions if condition["Field"] != "http-header"]


def worker_rule_accepts_an_empty_credential(t):
    for condition in _resource(t, "WorkerListenerRule")["Conditions"]:
        if condition["Field"] == "http-header":
            condition["HttpHeaderConfig"]["Values"] = ["*"]


def credential_rule_reaches_the_webserver(t):
    _resource(t, "WorkerListenerRule")["Actions"] = [{"Type": "forward", "TargetGroupArn": {"Ref": "WebserverTargetGroup"}}]


def worker_open_to_world(t):
    _resource(t, "WorkerSecurityGroup")["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "CidrIp": "0.0.0.0/0"}
    )


def plain_tcp_listener(t):
    t["Resources"]["TcpListener"] = copy.deepcopy(t["Resources"]["HttpsListener"])
    _resource(t, "TcpListener").update(Protocol="TCP", Port=3000)


def webserver_open_to_world(t):
    _resource(t, "WebserverSecurityGroup")["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "CidrIp": "0.0.0.0/0"}
    )


def webserver_open_by_separate_rule(t):
    t["Resources"]["WebserverFromVpc"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {"GroupId": {"Ref": "WebserverSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "CidrIp": "10.40.0.0/16"},
    }


def webserver_reached_from_daemon_group(t):
    _resource(t, "WebserverSecurityGroup")["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "SourceSecurityGroupId": {"Ref": "DaemonSecurityGroup"}}
    )


def code_server_open_to_world(t):
    _resource(t, "CodeServerSecurityGroup")["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 4000, "ToPort": 4000, "CidrIp": "0.0.0.0/0"}
    )


def load_balancer_open_on_every_port(t):
    _resource(t, "LoadBalancerSecurityGroup")["SecurityGroupIngress"].append({"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"})


def public_ip_on_webserver(t):
    _resource(t, "WebserverService")["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] = "ENABLED"


def bridge_network_mode(t):
    _resource(t, "CodeServerTaskDefinition")["NetworkMode"] = "bridge"


EXPOSURES: dict[str, Callable[[dict], None]] = {
    f.__name__: f
    for f in (
        forward_only,
        forward_ordered_first,
        http_listener_forwards,
        listener_rule_skips_authentication,
        worker_rule_without_credential,
        worker_rule_accepts_an_empty_credential,
        credential_rule_reaches_the_webserver,
        worker_open_to_world,
        plain_tcp_listener,
        webserver_open_to_world,
        webserver_open_by_separate_rule,
        webserver_reached_from_daemon_group,
        code_server_open_to_world,
        load_balancer_open_on_every_port,
        public_ip_on_webserver,
        bridge_network_mode,
    )
}


def _bucket(t):
    return _resource(t, "StateBucket")


def access_block_flag_false(t):
    _bucket(t)["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False


def access_block_flag_missing(t):
    del _bucket(t)["PublicAccessBlockConfiguration"]["IgnorePublicAcls"]


def no_access_block(t):
    del _bucket(t)["PublicAccessBlockConfiguration"]


def public_read_acl(t):
    _bucket(t)["AccessControl"] = "PublicRead"


def website(t):
    _bucket(t)["WebsiteConfiguration"] = {"IndexDocument": "index.html"}


def policy_allows_anyone(t):
    _resource(t, "StateBucketPolicy")["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}
    )


def no_tls_denial(t):
    del t["Resources"]["StateBucketPolicy"]


def second_bucket_without_protection(t):
    t["Resources"]["Exports"] = {"Type": "AWS::S3::Bucket", "Properties": {}}


PUBLIC_BUCKETS: dict[str, Callable[[dict], None]] = {
    f.__name__: f
    for f in (
        access_block_flag_false,
        access_block_flag_missing,
        no_access_block,
        public_read_acl,
        website,
        policy_allows_anyone,
        no_tls_denial,
        second_bucket_without_protection,
    )
}


def _broken(mutation):
    template = copy.deepcopy(TEMPLATE)
    mutation(template)
    return template


def test_the_template_authenticates_every_request_to_the_webserver():
    assert webserver_exposure_problems(TEMPLATE) == []


def test_the_template_has_no_public_bucket():
    assert bucket_problems(TEMPLATE) == []


@pytest.mark.parametrize("mutation", EXPOSURES.values(), ids=EXPOSURES.keys())
def test_an_exposed_webserver_is_rejected(mutation):
    assert webserver_exposure_problems(_broken(mutation))


@pytest.mark.parametrize("mutation", PUBLIC_BUCKETS.values(), ids=PUBLIC_BUCKETS.keys())
def test_a_public_bucket_is_rejected(mutation):
    assert bucket_problems(_broken(mutation))
