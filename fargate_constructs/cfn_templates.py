"""Reading a CloudFormation template (YAML with the short ``!Ref``/``!GetAtt`` forms, or JSON),
and what Copilot makes of an add-on template's outputs. Pure Python (ruamel.yaml only): both the
Copilot import and :class:`~fargate_constructs.CopilotAddon` use it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.error import YAMLError

from .errors import InvalidParameterError

Wiring = Literal["task role policy", "secret", "security group", "variable"]

# What Copilot does with an output that is a !Ref of a resource of these types.
WIRING_BY_TYPE: dict[str, Wiring] = {
    "AWS::IAM::ManagedPolicy": "task role policy",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::EC2::SecurityGroup": "security group",
}


def read_template(path: Path, parameter: str = "template_file") -> dict[str, Any]:
    """The template at ``path`` as a mapping (tagged values kept as ruamel's TaggedScalar)."""
    try:
        loaded = YAML(typ="rt").load(path.read_text())
    except (OSError, UnicodeDecodeError, YAMLError) as error:
        raise InvalidParameterError(
            parameter,
            str(path),
            "a readable CloudFormation template (YAML or JSON)",
            hint=str(error).splitlines()[0],
        ) from None
    if not isinstance(loaded, Mapping) or not isinstance(loaded.get("Resources"), Mapping):
        raise InvalidParameterError(
            parameter, str(path), "a CloudFormation template with a Resources section"
        )
    return dict(loaded)


def environment_variable_name(output: str) -> str:
    """Copilot's name for an output's variable: ``MyTableName`` -> ``MY_TABLE_NAME``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", output)
    return re.sub(r"[^A-Za-z0-9_]+", "_", spaced).upper()


def output_wiring(template: Mapping[str, Any]) -> dict[str, tuple[Wiring, str | None]]:
    """Each output and what Copilot made of it, with the variable name where it is one."""
    resources = template.get("Resources") or {}
    wiring: dict[str, tuple[Wiring, str | None]] = {}
    for output, body in (template.get("Outputs") or {}).items():
        referenced = referenced_resource(body.get("Value") if isinstance(body, Mapping) else None)
        resource = resources.get(referenced) if referenced else None
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        how = WIRING_BY_TYPE.get(str(kind), "variable")
        name = environment_variable_name(str(output)) if how in ("secret", "variable") else None
        wiring[str(output)] = (how, name)
    return wiring


def referenced_resource(value: Any) -> str | None:
    """The logical ID a ``!Ref X`` / ``{"Ref": X}`` / ``!GetAtt X.GroupId`` names."""
    if isinstance(value, TaggedScalar):
        tag = str(value.tag.value)
        text = str(value.value)
        if tag == "!Ref":
            return text
        if tag == "!GetAtt" and text.endswith(".GroupId"):
            return text.split(".", 1)[0]
        return None
    if isinstance(value, Mapping):
        if "Ref" in value:
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and list(attribute[1:]) == ["GroupId"]:
            return str(attribute[0])
    return None
