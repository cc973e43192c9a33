"""TemplatePatches: RFC 6902 patches replayed by synth(app) on the synthesized templates, with
resource names standing for logical IDs, and one explained error for each bad operation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack

from fargate_constructs import NetworkedCluster, TemplatePatches, synth

from .harness import assert_explained, make_app, nginx_task


def _stack(tmp_path: Path) -> tuple[Any, Stack, Any]:
    app = make_app(outdir=str(tmp_path / "cdk.out"))
    stack = Stack(app, "Api")
    network = NetworkedCluster(stack, "Network")
    return app, stack, nginx_task(stack, network, "Task")


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_patches_reach_the_template_in_the_cloud_assembly(tmp_path: Path) -> None:
    app, stack, task = _stack(tmp_path)
    patches = tmp_path / "cfn.patches.yml"
    patches.write_text(
        "- op: add\n  path: /Resources/TaskDefinition/Properties/ContainerDefinitions/0/Ulimits\n"
        "  value: [{Name: nofile, SoftLimit: 4096, HardLimit: 4096}]\n"
        "- op: remove\n  path: /Resources/TaskDefinition/Properties/ContainerDefinitions/0"
        "/ReadonlyRootFilesystem\n"
        "- op: add\n  path: /Outputs\n  value: {Family: {Value: {Ref: TaskDefinition}}}\n"
    )
    TemplatePatches.from_file(
        stack, "Patches", file=patches, resources={"TaskDefinition": task.task_definition}
    )
    synth(app)
    # app.synth() hands back the assembly it wrote: the patches (a remove among them) are not
    # replayed a second time.
    assembly = synth(app)
    template = json.loads(Path(assembly.get_stack_artifact("Api").template_full_path).read_text())
    [definition] = _resources(template, "AWS::ECS::TaskDefinition")
    container = definition["ContainerDefinitions"][0]
    assert container["Ulimits"] == [{"Name": "nofile", "SoftLimit": 4096, "HardLimit": 4096}]
    assert "ReadonlyRootFilesystem" not in container
    # A Ref of a resource name in a value names the resource's logical ID.
    logical_id = stack.resolve(stack.get_logical_id(task.task_definition.node.default_child))
    assert template["Outputs"]["Family"] == {"Value": {"Ref": logical_id}}


def test_a_missing_path_stops_synth_with_the_nearest_resource(tmp_path: Path) -> None:
    app, stack, task = _stack(tmp_path)
    TemplatePatches(
        stack,
        "Patches",
        operations=[
            {"op": "replace", "path": "/Resources/TaskDefinitio/Properties/Cpu", "value": 1}
        ],
        resources={"TaskDefinition": task.task_definition},
        source="cfn.patches.yml",
    )
    assert_explained(
        lambda: synth(app),
        [
            "cfn.patches.yml[0].path=",
            "/Resources/TaskDefinitio/Properties/Cpu",
            "exists in the synthesized template of stack Api",
            "nearest valid: /Resources/TaskDefinition/...",
            "replace failed: member 'TaskDefinitio' not found",
        ],
    )


@pytest.mark.parametrize(
    ("operation", "fragments"),
    [
        ({"op": "ad", "path": "/Resources", "value": 1}, ["operations[0].op='ad'", "'add'"]),
        ({"op": "add", "path": "Resources/X", "value": 1},
         ["operations[0].path='Resources/X'", "starting with '/'", "'/Resources/X'"]),
        ({"op": "replace", "path": "/Resources/X"}, ["operations[0].value=", "replace sets"]),
        ({"op": "copy", "path": "/Resources/X"}, ["operations[0].from=", "copy reads"]),
        ("add /Resources/X", ["operations=['add /Resources/X']", "mapping"]),
    ],
)  # fmt: skip
def test_bad_operations_are_explained(tmp_path: Path, operation: Any, fragments: list[str]) -> None:
    _, stack, _ = _stack(tmp_path)
    assert_explained(lambda: TemplatePatches(stack, "P", operations=[operation]), fragments)


def test_bad_files_and_resources_are_explained(tmp_path: Path) -> None:
    _, stack, task = _stack(tmp_path)
    mapping = tmp_path / "patch.yml"
    mapping.write_text("op: add\npath: /Resources\n")
    assert_explained(
        lambda: TemplatePatches.from_file(stack, "P", file=mapping),
        ["file=", "patch.yml", "list of JSON patch operations"],
    )
    assert_explained(
        lambda: TemplatePatches(stack, "Q", operations=[], resources={"Task": task}),
        ["resources['Task']=", "Api/Task", "node.default_child"],
    )
