"""CopilotAddon: a Copilot add-on template included as written, with Copilot's parameters
supplied as defaults and each output wired the way Copilot wires it (policy -> task role,
secret -> secret, security group -> service, anything else -> a variable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack

from fargate_constructs import CopilotAddon, FargateService, NetworkedCluster
from fargate_constructs.cfn_templates import environment_variable_name

from .harness import (
    REPO_ROOT,
    assert_explained,
    make_app,
    nag_findings,
    nginx_task,
    template_of,
)

SETTINGS = REPO_ROOT / "tests/fixtures/copilot/shop/copilot/orders/addons/settings.yml"

WIRED = """
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Description: !Sub ${App}-${Env}-${Name} database
  DbGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: reaches the database
      VpcId: vpc-12345678
Outputs:
  DbSecretArn:
    Value: !Ref DbSecret
  DbGroupId:
    Value: !GetAtt DbGroup.GroupId
  DBHostName:
    Value: db.internal
"""


def _orders() -> tuple[Stack, Any]:
    """A stack with a network and the nginx task an add-on is wired into."""
    stack = Stack(make_app(), "Orders")
    network = NetworkedCluster(stack, "Network")
    return stack, nginx_task(stack, network, "Task")


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


@pytest.fixture(scope="module")
def settings() -> tuple[CopilotAddon, dict[str, Any], Stack]:
    stack, task = _orders()
    addon = CopilotAddon(
        stack,
        "AddonSettings",
        template_file=SETTINGS,
        task=task,
        app="shop",
        environment="test",
        name="orders",
        parameters={"DefaultCurrency": "EUR"},
    )
    return addon, template_of(stack), stack


def test_the_template_is_included_with_its_logical_ids(
    settings: tuple[CopilotAddon, dict[str, Any], Stack],
) -> None:
    _, template, _ = settings
    assert template["Resources"]["OrderSettings"]["Type"] == "AWS::SSM::Parameter"
    assert template["Resources"]["OrderSettingsAccessPolicy"]["Type"] == "AWS::IAM::ManagedPolicy"
    # Copilot's parameters become defaults, so every !Sub keeps its variables.
    assert {name: p.get("Default") for name, p in template["Parameters"].items()}.items() >= {
        "App": "shop",
        "Env": "test",
        "Name": "orders",
        "DefaultCurrency": "EUR",
    }.items()
    name = template["Resources"]["OrderSettings"]["Properties"]["Name"]
    assert name == {"Fn::Sub": "/${App}/${Env}/${Name}/settings"}


def test_outputs_are_wired_as_copilot_wires_them(
    settings: tuple[CopilotAddon, dict[str, Any], Stack],
) -> None:
    addon, template, _ = settings
    assert addon.wired == {
        "OrderSettingsName": "variable ORDER_SETTINGS_NAME",
        "OrderSettingsAccessPolicyArn": "task role policy",
    }
    task_roles = [
        r
        for r in _resources(template, "AWS::IAM::Role")
        if {"Ref": "OrderSettingsAccessPolicy"} in r.get("ManagedPolicyArns", [])
    ]
    assert len(task_roles) == 1
    assert "task" in task_roles[0]["Description"].lower()
    [task] = _resources(template, "AWS::ECS::TaskDefinition")
    [container] = task["ContainerDefinitions"]
    assert {"Name": "ORDER_SETTINGS_NAME", "Value": {"Ref": "OrderSettings"}} in container[
        "Environment"
    ]


def test_included_resources_are_checked_not_acknowledged(tmp_path: Path) -> None:
    """The add-on's resources meet the packs like any other: an unencrypted, unlogged bucket is
    reported under the add-on's path, and nothing acknowledges it."""
    bucket = tmp_path / "bucket.yml"
    bucket.write_text("Resources:\n  Uploads:\n    Type: AWS::S3::Bucket\n")
    stack, task = _orders()
    CopilotAddon(stack, "AddonBucket", template_file=bucket, task=task)
    template_of(stack)
    findings = [f for f in nag_findings(stack) if "AddonBucket" in str(f)]
    assert any("AwsSolutions-S1" in str(f) for f in findings), findings
    metadata = json.dumps(template_of(stack)["Resources"]["Uploads"].get("Metadata", {}))
    assert "acknowledged" not in metadata.lower()


def test_secret_and_security_group_outputs(tmp_path: Path) -> None:
    wired = tmp_path / "db.yml"
    wired.write_text(WIRED)
    app = make_app()
    stack = Stack(app, "Api")
    network = NetworkedCluster(stack, "Network")
    task = nginx_task(stack, network, "Task")
    service = FargateService(stack, "Service", cluster=network, task=task)
    addon = CopilotAddon(
        stack,
        "AddonDb",
        template_file=wired,
        task=task,
        service=service.service,
        app="shop",
        environment="test",
        name="api",
    )
    assert addon.wired == {
        "DbSecretArn": "secret DB_SECRET_ARN",
        "DbGroupId": "security group",
        "DBHostName": "variable DB_HOST_NAME",
    }
    template = template_of(stack)
    [task_definition] = _resources(template, "AWS::ECS::TaskDefinition")
    [container] = task_definition["ContainerDefinitions"]
    assert container["Secrets"] == [{"Name": "DB_SECRET_ARN", "ValueFrom": {"Ref": "DbSecret"}}]
    [ecs_service] = _resources(template, "AWS::ECS::Service")
    groups = ecs_service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
    # The output's own spelling of the attribute (CfnInclude keeps "DbGroup.GroupId").
    assert len(groups) == 2
    assert "DbGroup" in json.dumps(groups[1])
    # The execution role may read exactly that secret.
    statements = [
        s
        for p in _resources(template, "AWS::IAM::ManagedPolicy")
        for s in p["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])
    ]
    assert [s["Resource"] for s in statements] == [{"Ref": "DbSecret"}]


def test_two_addons_share_copilots_parameters(tmp_path: Path) -> None:
    other = tmp_path / "other.yml"
    other.write_text(
        SETTINGS.read_text()
        .replace("OrderSettings", "AuditSettings")
        .replace("/settings", "/audit-settings")
    )
    stack, task = _orders()
    common = {"task": task, "app": "shop", "environment": "test", "name": "orders"}
    CopilotAddon(
        stack, "A", template_file=SETTINGS, parameters={"DefaultCurrency": "EUR"}, **common
    )
    CopilotAddon(stack, "B", template_file=other, parameters={"DefaultCurrency": "EUR"}, **common)
    template = template_of(stack)
    assert sorted(template["Parameters"]) == sorted(
        ["App", "Env", "Name", "DefaultCurrency", "BootstrapVersion"]
    )
    assert_explained(
        lambda: CopilotAddon(
            stack,
            "C",
            template_file=other,
            task=task,
            app="shop",
            environment="prod",
            name="orders",
            parameters={"DefaultCurrency": "EUR"},
        ),
        ["parameters['Env']", "'prod'", "another add-on", "'test'"],
    )


def test_bad_input_is_explained(tmp_path: Path) -> None:
    stack, task = _orders()
    assert_explained(
        lambda: CopilotAddon(
            stack, "Typo", template_file=SETTINGS, task=task, parameters={"DefaultCurency": "EUR"}
        ),
        ["parameters['DefaultCurency']", "'EUR'", "settings.yml declares", "DefaultCurrency"],
    )
    assert_explained(
        lambda: CopilotAddon(stack, "Missing", template_file=SETTINGS, task=task, app="shop"),
        ["parameters=", "without a Default", "missing: Env, Name, DefaultCurrency"],
    )
    not_a_template = tmp_path / "notes.yml"
    not_a_template.write_text("- just\n- a list\n")
    assert_explained(
        lambda: CopilotAddon(stack, "List", template_file=not_a_template, task=task),
        ["template_file=", "notes.yml", "with a Resources section"],
    )
    broken = tmp_path / "broken.yml"
    broken.write_text("Resources: [\n")
    assert_explained(
        lambda: CopilotAddon(stack, "Broken", template_file=broken, task=task),
        ["template_file=", "broken.yml", "readable CloudFormation template"],
    )
    group = tmp_path / "group.yml"
    group.write_text(
        "Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
        "      GroupDescription: g\nOutputs:\n  GroupId:\n    Value: !Ref G\n"
    )
    assert_explained(
        lambda: CopilotAddon(stack, "Group", template_file=group, task=task),
        ["service=None", "GroupId", "security group"],
    )


@pytest.mark.parametrize(
    ("output", "variable"),
    [
        ("MyTableName", "MY_TABLE_NAME"),
        ("DDBTableName", "DDB_TABLE_NAME"),
        ("bucketARN", "BUCKET_ARN"),
        ("Queue2Url", "QUEUE2_URL"),
        ("already_snake", "ALREADY_SNAKE"),
    ],
)
def test_copilots_variable_names(output: str, variable: str) -> None:
    assert environment_variable_name(output) == variable
