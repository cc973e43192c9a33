"""Reading a synthesized cloud assembly (``cdk.out``): the stacks and their templates.
Pure Python: the command line works on a machine that has only ``cdk.out``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AssemblyError(Exception):
    """cdk.out is missing or unreadable; the message says which and what to do."""


@dataclass(frozen=True)
class StackTemplate:
    name: str
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource.get("Type") == resource_type:
                yield logical_id, resource.get("Properties", {})


def read_assembly(directory: Path) -> list[StackTemplate]:
    """The stacks of the cloud assembly in ``directory``, in manifest order."""
    manifest_path = directory / "manifest.json"
    if not directory.is_dir():
        raise AssemblyError(f"{directory} does not exist: run `make synth` (or `cdk synth`) first")
    if not manifest_path.is_file():
        raise AssemblyError(f"{directory} has no manifest.json: is it a cdk.out directory?")
    try:
        manifest = json.loads(manifest_path.read_text())
        stacks = []
        for name, artifact in manifest.get("artifacts", {}).items():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            template_file = directory / artifact["properties"]["templateFile"]
            stacks.append(StackTemplate(name, json.loads(template_file.read_text())))
    except (OSError, ValueError, KeyError) as error:
        raise AssemblyError(f"cannot read the cloud assembly in {directory}: {error}") from None
    if not stacks:
        raise AssemblyError(f"{directory} holds no CloudFormation stacks")
    return stacks


def ref_id(value: Any) -> str | None:
    """The logical ID a ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}`` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def mentions(value: Any, logical_id: str) -> bool:
    """Whether a (possibly nested) CloudFormation value references ``logical_id``."""
    return f'"{logical_id}"' in json.dumps(value)
