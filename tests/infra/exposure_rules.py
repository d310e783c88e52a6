"""Pure checks over a parsed CloudFormation template (``cfn_template.load_template``): would
it open the Dagster UI without authentication, or make a bucket public? Each returns the
problems it finds, as sentences naming the resource; an empty list means none."""

from __future__ import annotations

from typing import Any

from tests.infra.cfn_template import refers_to, resources_of_type

AUTHENTICATE = {"authenticate-oidc", "authenticate-cognito"}
#: The Dagster UI's target group: never reached without the operators' sign-in.
WEBSERVER_TARGETS = "WebserverTargetGroup"
WORLD = {"0.0.0.0/0", "::/0"}
PUBLIC_ACLS = {"PublicRead", "PublicReadWrite", "AuthenticatedRead"}
ACCESS_BLOCK_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")


def _ordered(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ELB runs actions by Order (an action without one comes in list position)."""
    return sorted(actions, key=lambda action: (int(action.get("Order", 50000)), actions.index(action)))


def _actions_problem(where: str, actions: list[dict[str, Any]], caller_credential: bool = False) -> str | None:
    """Traffic may only reach a target after an authenticate action; redirects and fixed
    responses reach nothing. A rule that requires the caller's own credential header
    (``caller_credential``) may forward machines' requests to any target but the webserver."""
    authenticated = False
    for action in _ordered(actions):
        kind = action.get("Type")
        if kind in AUTHENTICATE:
            authenticated = True
        elif kind == "forward" and not authenticated:
            if caller_credential and not refers_to(action.get("TargetGroupArn"), WEBSERVER_TARGETS):
                continue
            return f"{where} forwards to a target before any authenticate action"
    return None


def _matches_empty(value: str) -> bool:
    """ALB header values match with * (any run, even none) and ? (exactly one character)."""
    return set(value) <= {"*"}


def requires_caller_credential(rule: dict[str, Any]) -> bool:
    """The rule matches only requests carrying a named header with a non-empty value."""
    for condition in rule.get("Conditions") or []:
        config = condition.get("HttpHeaderConfig") or {}
        values = config.get("Values") or []
        if condition.get("Field") == "http-header" and config.get("HttpHeaderName") and values:
            if all(isinstance(value, str) and not _matches_empty(value) for value in values):
                return True
    return False


def listener_problems(template: dict[str, Any]) -> list[str]:
    problems = []
    for logical_id, listener in resources_of_type(template, "AWS::ElasticLoadBalancingV2::Listener"):
        protocol = listener.get("Protocol")
        actions = listener.get("DefaultActions") or []
        if protocol == "HTTP":
            redirects = [a for a in actions if a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"]
            if len(actions) != 1 or not redirects:
                problems.append(f"{logical_id}: an HTTP listener must only redirect to HTTPS")
        elif protocol == "HTTPS":
            if not any(a.get("Type") in AUTHENTICATE for a in actions):
                problems.append(f"{logical_id}: the HTTPS listener's default actions do not authenticate")
            problem = _actions_problem(logical_id, actions)
            if problem:
                problems.append(problem)
        else:
            problems.append(f"{logical_id}: protocol {protocol!r} cannot authenticate; use HTTPS")
    for logical_id, rule in resources_of_type(template, "AWS::ElasticLoadBalancingV2::ListenerRule"):
        problem = _actions_problem(logical_id, rule.get("Actions") or [], requires_caller_credential(rule))
        if problem:
            problems.append(problem)
    return problems


def _load_balancer_groups(template: dict[str, Any]) -> set[str]:
    groups = set()
    for _, balancer in resources_of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
        for group in balancer.get("SecurityGroups") or []:
            groups.update(value for key, value in group.items() if key == "Ref")
    return groups


def _ingress_rules(template: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(where, logical id of the group it opens, rule) for inline and separate ingress rules."""
    rules = []
    for logical_id, group in resources_of_type(template, "AWS::EC2::SecurityGroup"):
        for rule in group.get("SecurityGroupIngress") or []:
            rules.append((logical_id, logical_id, rule))
    for logical_id, rule in resources_of_type(template, "AWS::EC2::SecurityGroupIngress"):
        target = rule.get("GroupId")
        rules.append((logical_id, target.get("Ref") if isinstance(target, dict) else None, rule))
    return rules


def _number(template: dict[str, Any], value: Any) -> int:
    """A port, literal or ``Ref`` to a parameter (its default)."""
    if isinstance(value, dict) and "Ref" in value:
        value = template["Parameters"][value["Ref"]]["Default"]
    return int(value)


def _ports(template: dict[str, Any], rule: dict[str, Any]) -> set[int] | None:
    """The ports a rule opens; None for every port."""
    if str(rule.get("IpProtocol")) in ("-1", "all"):
        return None
    return set(range(_number(template, rule.get("FromPort", 0)), _number(template, rule.get("ToPort", 65535)) + 1))


def network_problems(template: dict[str, Any]) -> list[str]:
    """Only the load balancer faces the internet, on 80 and 443; every task is reached only
    from other security groups, and the webserver's port only from the load balancer's."""
    problems = []
    balancer_groups = _load_balancer_groups(template)
    services = dict(resources_of_type(template, "AWS::ECS::Service"))
    task_groups: set[str] = set()
    balanced: dict[str, set[int]] = {}  # task security group -> container ports registered with the ALB
    for logical_id, service in services.items():
        network = (service.get("NetworkConfiguration") or {}).get("AwsvpcConfiguration") or {}
        if network.get("AssignPublicIp") == "ENABLED":
            problems.append(f"{logical_id}: AssignPublicIp is ENABLED")
        groups = {group["Ref"] for group in network.get("SecurityGroups") or [] if isinstance(group, dict) and "Ref" in group}
        if not groups:
            problems.append(f"{logical_id}: no security group of this template guards its tasks")
        task_groups |= groups
        for balancer in service.get("LoadBalancers") or []:
            for group in groups:
                balanced.setdefault(group, set()).add(_number(template, balancer["ContainerPort"]))
    for where, group, rule in _ingress_rules(template):
        ports = _ports(template, rule)
        from_world = rule.get("CidrIp") in WORLD or rule.get("CidrIpv6") in WORLD
        if group in balancer_groups:
            if from_world and (ports is None or not ports <= {80, 443}):
                problems.append(f"{where}: the load balancer is open to the internet beyond ports 80 and 443")
            continue
        if from_world:
            problems.append(f"{where}: {group} is open to the internet")
        if group in task_groups and ("CidrIp" in rule or "CidrIpv6" in rule or "SourcePrefixListId" in rule):
            problems.append(f"{where}: tasks of {group} are reachable from an address range, not only from security groups")
        if group in balanced and (ports is None or ports & balanced[group]):
            source = rule.get("SourceSecurityGroupId")
            if not (isinstance(source, dict) and source.get("Ref") in balancer_groups):
                problems.append(f"{where}: the webserver port of {group} is reachable other than through the load balancer")
    for logical_id, definition in resources_of_type(template, "AWS::ECS::TaskDefinition"):
        if definition.get("NetworkMode") != "awsvpc":
            problems.append(f"{logical_id}: NetworkMode is not awsvpc, so its ports bypass the task security groups")
    return problems


def webserver_exposure_problems(template: dict[str, Any]) -> list[str]:
    return listener_problems(template) + network_problems(template)


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement") or []
    return [statements] if isinstance(statements, dict) else statements


def _anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS")
        return values == "*" or (isinstance(values, list) and "*" in values)
    return False


def bucket_problems(template: dict[str, Any]) -> list[str]:
    """Every bucket blocks public access with all four flags, has no public ACL, and has a
    policy that denies requests without TLS and allows no one at all."""
    problems = []
    policies = list(resources_of_type(template, "AWS::S3::BucketPolicy"))
    for logical_id, bucket in resources_of_type(template, "AWS::S3::Bucket"):
        block = bucket.get("PublicAccessBlockConfiguration") or {}
        for flag in ACCESS_BLOCK_FLAGS:
            if block.get(flag) is not True:
                problems.append(f"{logical_id}: PublicAccessBlockConfiguration.{flag} is not true")
        if bucket.get("AccessControl") in PUBLIC_ACLS:
            problems.append(f"{logical_id}: AccessControl {bucket['AccessControl']} is public")
        if "WebsiteConfiguration" in bucket:
            problems.append(f"{logical_id}: serves a public website")
        own = [policy for _, policy in policies if refers_to(policy.get("Bucket"), logical_id)]
        denies_plain_http = any(
            statement.get("Effect") == "Deny"
            and (statement.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
            for policy in own
            for statement in _statements(policy.get("PolicyDocument") or {})
        )
        if not denies_plain_http:
            problems.append(f"{logical_id}: no bucket policy denies requests without TLS")
    for logical_id, policy in policies:
        for statement in _statements(policy.get("PolicyDocument") or {}):
            if statement.get("Effect") == "Allow" and _anyone(statement.get("Principal")):
                problems.append(f"{logical_id}: allows Principal * ")
    return problems
