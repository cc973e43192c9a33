"""The PassRole check: an identity that may run one of the app's tasks (``ecs:RunTask``) but
may not pass both of its roles fails synthesis, wherever its policies are held."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from fargate_constructs import FargateTaskWithRoles, NetworkedCluster

from .harness import NGINX as PUBLIC_IMAGE
from .harness import make_app


def _validation_errors(app: App) -> list[str]:
    """The error annotations that make synthesis fail, read from CDK's validation report."""
    report_path = None
    try:
        app.synth()
    except RuntimeError as error:
        found = re.search(r"can be found in: (\S+validation-report\.json)", str(error))
        report_path = found.group(1) if found else str(error)
    if report_path is None:
        return []
    report = json.loads(Path(report_path).read_text())
    return [
        violation["description"]
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    ]


def _check_app(grant: Any) -> list[str]:
    app = make_app()
    stack = Stack(app, "Check")
    network = NetworkedCluster(stack, "Net", flow_logs=False)
    task = FargateTaskWithRoles(
        stack, "Task", image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE), cpu=256, memory_mib=512
    )
    grant(stack, task, network)
    return _validation_errors(app)


def _role(stack: Stack, name: str = "Launcher") -> iam.Role:
    return iam.Role(stack, name, assumed_by=iam.AccountRootPrincipal())


def test_pass_role_check_fires_on_run_task_without_pass_role() -> None:
    def grant(stack: Stack, task: FargateTaskWithRoles, network: NetworkedCluster) -> None:
        _role(stack).add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:RunTask"], resources=[task.task_definition.task_definition_arn]
            )
        )

    errors = _check_app(grant)
    assert len(errors) == 1
    assert "may call ecs:RunTask on task definition family" in errors[0]
    assert "may not iam:PassRole its task role and execution role" in errors[0]
    assert "not authorized to perform: iam:PassRole" in errors[0]
    assert "grant_run" in errors[0]


def test_pass_role_check_names_the_one_role_missing() -> None:
    def grant(stack: Stack, task: FargateTaskWithRoles, network: NetworkedCluster) -> None:
        role = _role(stack)
        role.add_to_policy(iam.PolicyStatement(actions=["ecs:*"], resources=["*"]))
        task.task_role.grant_pass_role(role)

    errors = _check_app(grant)
    assert len(errors) == 1
    assert "may not iam:PassRole its execution role:" in errors[0]


def test_pass_role_check_covers_every_task_of_the_app() -> None:
    app = make_app()
    first_stack, second_stack = Stack(app, "First"), Stack(app, "Second")
    first = FargateTaskWithRoles(
        first_stack,
        "Task",
        image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE),
        cpu=256,
        memory_mib=512,
    )
    second = FargateTaskWithRoles(
        second_stack,
        "Task",
        image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE),
        cpu=256,
        memory_mib=512,
    )
    first.task_definition.grant_run(_role(first_stack))
    _role(second_stack).add_to_policy(
        iam.PolicyStatement(
            actions=["ecs:RunTask"], resources=[second.task_definition.task_definition_arn]
        )
    )
    (error,) = _validation_errors(app)
    assert f"family '{second.family}' (Second/Task)" in error


def test_pass_role_check_accepts_grant_run_to_a_launcher_in_another_stack() -> None:
    app = make_app()
    tasks, launchers = Stack(app, "Tasks"), Stack(app, "Launchers")
    network = NetworkedCluster(tasks, "Net", flow_logs=False)
    task = FargateTaskWithRoles(
        tasks, "Task", image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE), cpu=256, memory_mib=512
    )
    task.grant_run(_role(launchers), cluster=network)
    assert _validation_errors(app) == []


def test_pass_role_check_sees_lambda_roles_and_wildcards() -> None:
    def grant(stack: Stack, task: FargateTaskWithRoles, network: NetworkedCluster) -> None:
        function = lambda_.Function(
            stack,
            "Starter",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context): pass"),
        )
        function.add_to_role_policy(iam.PolicyStatement(actions=["ecs:Run*"], resources=["*"]))

    assert len(_check_app(grant)) == 1


@pytest.mark.parametrize("where", ["inline_policy", "managed_policy_of_role", "l1_role"])
def test_pass_role_check_sees_policies_held_by_the_role_itself(where: str) -> None:
    def grant(stack: Stack, task: FargateTaskWithRoles, network: NetworkedCluster) -> None:
        document = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    actions=["ecs:RunTask"], resources=[task.task_definition.task_definition_arn]
                ),
                iam.PolicyStatement(actions=["iam:PassRole"], resources=[task.task_role.role_arn]),
            ]
        )
        if where == "inline_policy":
            iam.Role(
                stack,
                "Launcher",
                assumed_by=iam.AccountRootPrincipal(),
                inline_policies={"Run": document},
            )
        elif where == "managed_policy_of_role":
            iam.Role(
                stack,
                "Launcher",
                assumed_by=iam.AccountRootPrincipal(),
                managed_policies=[iam.ManagedPolicy(stack, "Run", document=document)],
            )
        else:
            iam.CfnRole(
                stack,
                "Launcher",
                assume_role_policy_document=iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["sts:AssumeRole"], principals=[iam.AccountRootPrincipal()]
                        )
                    ]
                ),
                policies=[iam.CfnRole.PolicyProperty(policy_document=document, policy_name="Run")],
            )

    (error,) = _check_app(grant)
    assert "Check/Launcher" in error
    assert "may not iam:PassRole its execution role" in error


@pytest.mark.parametrize(
    "how",
    ["grant_run", "cdk_grant_run", "pass_role_star", "unrelated_run_task"],
)
def test_pass_role_check_stays_quiet_when_the_roles_can_be_passed(how: str) -> None:
    def grant(stack: Stack, task: FargateTaskWithRoles, network: NetworkedCluster) -> None:
        role = _role(stack)
        if how == "grant_run":
            task.grant_run(role, cluster=network)
        elif how == "cdk_grant_run":
            task.task_definition.grant_run(role)
        elif how == "pass_role_star":
            role.add_to_policy(
                iam.PolicyStatement(actions=["ecs:RunTask", "iam:PassRole"], resources=["*"])
            )
        else:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["ecs:RunTask"],
                    resources=["arn:aws:ecs:eu-west-1:123456789012:task-definition/other:*"],
                )
            )

    assert _check_app(grant) == []
