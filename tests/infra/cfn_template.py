"""The CloudFormation template, parsed with its short-form intrinsic functions (``!Ref``,
``!GetAtt``, ``!Sub`` ...) turned into their long JSON form, and small helpers to walk it.

PyYAML's safe loader (libyaml's when PyYAML has it: ten times faster) with one
multi-constructor for ``!`` tags: no CloudFormation library is needed in the project's own venv
(cfn-lint lives in ``.venv-infra``). Parsed once per process; each caller gets its own copy.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any, Iterator

import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "cloudformation" / "clawbot.yaml"
ALARMS_JSON = REPO / "deploy" / "observability" / "cloudwatch_alarms.json"


class CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that reads ``!Name value`` as ``{"Fn::Name": value}`` (``Ref``, ``Condition``
    and ``GetAtt``'s dotted short form as CloudFormation itself does)."""


def _intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """A copy of its own for each caller: tests may change what they load."""
    return copy.deepcopy(_parsed(path))


@functools.cache
def _parsed(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 - a safe loader's subclass


def resources_of_type(template: dict[str, Any], resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


def refers_to(value: Any, logical_id: str) -> bool:
    """Whether ``value`` is ``Ref`` or ``Fn::GetAtt`` of ``logical_id``."""
    if not isinstance(value, dict):
        return False
    if value.get("Ref") == logical_id:
        return True
    target = value.get("Fn::GetAtt")
    return isinstance(target, list) and bool(target) and target[0] == logical_id


def referenced_ids(value: Any) -> set[str]:
    """Every logical id ``value`` names through ``Ref``, ``Fn::GetAtt`` or ``${...}`` in ``Fn::Sub``."""
    import re

    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else str(inner).split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if isinstance(inner, list):
                    found |= referenced_ids(inner[1])
            else:
                found |= referenced_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= referenced_ids(inner)
    return found
