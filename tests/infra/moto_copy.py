"""A copy of the template that moto's CloudFormation can create.

moto 5.2 skips resource types it does not model (with a warning) and knows no ``Fn::Cidr``.
``deployable_copy`` drops those resources, puts a recognisable placeholder wherever the
template refers to one of them, and computes ``Fn::Cidr`` from the parameters. The test then
creates the dropped resources itself with boto3, from the template's own properties.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from typing import Any

from tests.infra.cfn_template import referenced_ids

PLACEHOLDER = "arn:aws:moto-placeholder:{}"


def moto_supports(resource_type: str) -> bool:
    from moto.cloudformation.parsing import resource_class_from_type

    return resource_class_from_type(resource_type) is not None


def _cidr(block: str, count: int, host_bits: int) -> list[str]:
    network = ipaddress.ip_network(block)
    return [str(subnet) for subnet in list(network.subnets(new_prefix=network.max_prefixlen - host_bits))[:count]]


def _rewrite(value: Any, dropped: set[str], parameters: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_rewrite(inner, dropped, parameters) for inner in value]
    if not isinstance(value, dict):
        return value
    if value.get("Ref") in dropped:
        return PLACEHOLDER.format(value["Ref"])
    if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in dropped:
        return PLACEHOLDER.format(".".join(value["Fn::GetAtt"]))
    if "Fn::Cidr" in value:
        block, count, bits = value["Fn::Cidr"]
        block = parameters[block["Ref"]] if isinstance(block, dict) else block
        return _cidr(block, int(count), int(bits))
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name in dropped:
            text = re.sub(r"\$\{%s(\.[^}]*)?\}" % re.escape(name), PLACEHOLDER.format(name), text)
        return {"Fn::Sub": text}
    return {key: _rewrite(inner, dropped, parameters) for key, inner in value.items()}


def deployable_copy(template: dict[str, Any], parameters: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the copy moto can create, the dropped resources by logical id)."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    dropped = {logical_id: resource for logical_id, resource in resources.items() if not moto_supports(resource["Type"])}
    kept = {logical_id: resource for logical_id, resource in resources.items() if logical_id not in dropped}
    for resource in kept.values():
        depends_on = resource.get("DependsOn")
        if depends_on:
            names = [depends_on] if isinstance(depends_on, str) else depends_on
            remaining = [name for name in names if name not in dropped]
            if remaining:
                resource["DependsOn"] = remaining
            else:
                del resource["DependsOn"]
    template["Resources"] = _rewrite(kept, set(dropped), parameters)
    template["Outputs"] = {
        name: output for name, output in template.get("Outputs", {}).items() if not referenced_ids(output) & set(dropped)
    }
    return template, dropped


def deploy(template: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    """Creates ``template`` as stack "clawbot" in moto (inside ``mock_aws``), with an ACM
    certificate for ``CertificateArn``: its status, physical ids, outputs and the dropped
    resources, which the caller creates itself if it needs them."""
    import boto3

    certificate = boto3.client("acm", region_name=region).request_certificate(DomainName="clawbot.example.com")
    parameters = {**parameters, "CertificateArn": certificate["CertificateArn"]}
    body, dropped = deployable_copy(template, {"VpcCidr": template["Parameters"]["VpcCidr"]["Default"], **parameters})
    cloudformation = boto3.client("cloudformation", region_name=region)
    cloudformation.create_stack(
        StackName="clawbot",
        TemplateBody=json.dumps(body),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    description = cloudformation.describe_stacks(StackName="clawbot")["Stacks"][0]
    physical = {
        summary["LogicalResourceId"]: summary["PhysicalResourceId"]
        for summary in cloudformation.list_stack_resources(StackName="clawbot")["StackResourceSummaries"]
    }
    outputs = {output["OutputKey"]: output["OutputValue"] for output in description.get("Outputs", [])}
    return {"status": description["StackStatus"], "physical": physical, "outputs": outputs, "dropped": dropped}
