from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Environment, Stack, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Match, Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    Architecture,
    FargateTaskWithRoles,
    InvalidParameterError,
    ManagedPolicyRole,
    NetworkedCluster,
    OperatingSystem,
    TaskSize,
)

from .harness import (
    NGINX as PUBLIC_IMAGE,
)
from .harness import (
    assert_explained,
    assert_logical_ids,
    cfn_lint,
    execution_role_start_statements,
    make_app,
    nag_findings,
    normalized,
    synth_warnings,
)

ACCOUNT, REGION = "123456789012", "eu-west-1"


def _ack(scope: Any, rule_id: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


class Synthesized:
    """One app, synthesized once, with a task of each kind the tests look at."""

    def __init__(self) -> None:
        self.app = make_app()
        self.stacks: dict[str, Stack] = {}

        main = self._stack("Main")
        self.network = NetworkedCluster(main, "Net")
        self.repository = ecr.Repository(main, "Repo", image_scan_on_push=True)
        self.secret_key = kms.Key(main, "SecretKey", enable_key_rotation=True)
        self.secret = secretsmanager.Secret(main, "DbPassword", encryption_key=self.secret_key)
        _ack(self.secret, "AwsSolutions-SMG4", "test fixture: rotation is the app's concern")
        for pack in ("NIST.800.53.R5", "HIPAA.Security"):
            _ack(self.secret, f"{pack}-SecretsManagerRotationEnabled", "test fixture")
        self.parameter = ssm.StringParameter.from_secure_string_parameter_attributes(
            main, "ApiKey", parameter_name="/app/api-key"
        )
        self.task = FargateTaskWithRoles(
            main,
            "Task",
            image=ecs.ContainerImage.from_ecr_repository(self.repository, "v1"),
            size=TaskSize(512, 1024, architecture=Architecture.ARM64),
            container_port=8080,
            environment={"LOG_LEVEL": "info"},
            secrets={
                "DB_PASSWORD": ecs.Secret.from_secrets_manager(self.secret),
                "API_KEY": ecs.Secret.from_ssm_parameter(self.parameter),
            },
            health_check=ecs.HealthCheck(
                command=["CMD-SHELL", "curl -f localhost:8080/ || exit 1"]
            ),
            log_key=self.network.log_key,
        )
        _ack(self.task, "AwsSolutions-ECS2", "LOG_LEVEL is plain configuration, not a secret")
        self.launcher = ManagedPolicyRole(
            main, "Launcher", assumed_by=iam.AccountRootPrincipal(), description="CI launcher"
        )
        self.grant = self.task.grant_run(self.launcher, cluster=self.network)

        exec_stack = self._stack("Exec")
        self.exec_task = FargateTaskWithRoles(
            exec_stack,
            "Task",
            image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE),
            cpu=1024,
            memory_mib=2048,
            ephemeral_storage_gib=50,
            enable_exec=True,
            readonly_root_filesystem=False,
            family="exec-demo",
        )

        windows = self._stack("Windows")
        self.windows_task = FargateTaskWithRoles(
            windows,
            "Task",
            image=ecs.ContainerImage.from_registry("mcr.microsoft.com/windows/servercore:ltsc2022"),
            cpu=1024,
            memory_mib=3072,
            operating_system=OperatingSystem.WINDOWS_SERVER_2022_CORE,
        )

        located = self._stack("Located", env=Environment(account=ACCOUNT, region=REGION))
        self.located_task = FargateTaskWithRoles(
            located,
            "Task",
            image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE),
            cpu=256,
            memory_mib=512,
        )

        self.warnings = synth_warnings(self.app)
        self.templates = {name: Template.from_stack(stack) for name, stack in self.stacks.items()}

    def _stack(self, name: str, env: Environment | None = None) -> Stack:
        stack = Stack(self.app, name, env=env)
        self.stacks[name] = stack
        return stack

    def resources(self, stack: str, type_: str) -> dict[str, Any]:
        found: dict[str, Any] = self.templates[stack].find_resources(type_)
        return found

    def logical_id(self, stack: str, construct: Any) -> str:
        logical_id: str = self.stacks[stack].resolve(construct.node.default_child.logical_id)
        return logical_id


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def _partition_region_account_join(*tail: Any) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ecs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                *tail,
            ],
        ]
    }


ENV_AGNOSTIC_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {"aws:SourceArn": _partition_region_account_join(":*")},
            },
        }
    ],
}


@pytest.mark.parametrize("role", ["task_role", "execution_role"])
def test_both_roles_trust_ecs_tasks_of_this_account_and_region(
    synth: Synthesized, role: str
) -> None:
    logical_id = synth.logical_id("Main", getattr(synth.task, role))
    resource = synth.resources("Main", "AWS::IAM::Role")[logical_id]
    assert resource["Properties"]["AssumeRolePolicyDocument"] == ENV_AGNOSTIC_TRUST


@pytest.mark.parametrize("role", ["task_role", "execution_role"])
def test_trust_uses_literal_account_and_region_when_the_stack_has_them(
    synth: Synthesized, role: str
) -> None:
    logical_id = synth.logical_id("Located", getattr(synth.located_task, role))
    statement = synth.resources("Located", "AWS::IAM::Role")[logical_id]["Properties"][
        "AssumeRolePolicyDocument"
    ]["Statement"][0]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
    }


@pytest.mark.parametrize("stack", ["Main", "Exec", "Windows", "Located"])
def test_no_role_carries_a_managed_aws_policy(synth: Synthesized, stack: str) -> None:
    for logical_id, role in synth.resources(stack, "AWS::IAM::Role").items():
        if logical_id.startswith("CustomVpcRestrictDefaultSG"):
            continue  # aws-cdk-lib's own Lambda for the default security group
        assert "ManagedPolicyArns" not in role["Properties"], logical_id
        assert "Policies" not in role["Properties"], logical_id
    assert synth.resources(stack, "AWS::IAM::Policy") == {}


def _policy_of(synth: Synthesized, stack: str, role: Any) -> list[dict[str, Any]]:
    role_id = synth.logical_id(stack, role)
    attached = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in synth.resources(stack, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    assert len(attached) <= 1
    return attached[0] if attached else []


def test_execution_role_holds_exactly_what_starting_the_task_needs(synth: Synthesized) -> None:
    repo = synth.logical_id("Main", synth.repository)
    log_group = synth.logical_id("Main", synth.task.log_group)
    secret = synth.logical_id("Main", synth.secret)
    key = synth.logical_id("Main", synth.secret_key)
    statements = _policy_of(synth, "Main", synth.task.execution_role)
    assert statements[:4] == execution_role_start_statements(repo, log_group, secret)
    assert len(statements) == 5
    parameter = statements[4]
    assert "ssm:GetParameters" in parameter["Action"]
    assert all(action.startswith("ssm:") for action in parameter["Action"])
    assert ":parameter/app/api-key" in json.dumps(parameter["Resource"])
    # The secret's KMS key lets exactly this role decrypt, only through Secrets Manager.
    key_statements = synth.resources("Main", "AWS::KMS::Key")[key]["Properties"]["KeyPolicy"][
        "Statement"
    ]
    execution_role = synth.logical_id("Main", synth.task.execution_role)
    assert {
        "Action": "kms:Decrypt",
        "Condition": {
            "StringEquals": {
                "kms:ViaService": {
                    "Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
                }
            }
        },
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::GetAtt": [execution_role, "Arn"]}},
        "Resource": "*",
    } in key_statements


def test_only_the_ecr_token_uses_a_wildcard_resource(synth: Synthesized) -> None:
    for stack, role in [
        ("Main", synth.task.execution_role),
        ("Exec", synth.exec_task.execution_role),
        ("Main", synth.task.task_role),
    ]:
        for statement in _policy_of(synth, stack, role):
            if statement["Resource"] == "*":
                assert statement["Action"] == "ecr:GetAuthorizationToken"


def test_public_registry_image_needs_no_ecr_permissions(synth: Synthesized) -> None:
    statements = _policy_of(synth, "Exec", synth.exec_task.execution_role)
    assert [s["Action"] for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"]]


def test_task_role_starts_empty(synth: Synthesized) -> None:
    assert _policy_of(synth, "Main", synth.task.task_role) == []
    assert _policy_of(synth, "Located", synth.located_task.task_role) == []


def test_grants_on_the_task_role_land_in_a_customer_managed_policy() -> None:
    stack = Stack(make_app(), "Grants")
    task = FargateTaskWithRoles(
        stack, "Task", image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE), cpu=256, memory_mib=512
    )
    repository = ecr.Repository(stack, "Repo")
    repository.grant_pull(task)  # the task is IGrantable: grants go to its task role
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": [{"Ref": stack.resolve(task.task_role.node.default_child.logical_id)}],  # type: ignore[union-attr]
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": "ecr:GetAuthorizationToken", "Resource": "*"})]
                )
            },
        },
    )


def test_exec_adds_exactly_the_ssm_channel_actions(synth: Synthesized) -> None:
    assert _policy_of(synth, "Exec", synth.exec_task.task_role) == [
        {
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Effect": "Allow",
            "Resource": "*",
        }
    ]
    container = synth.templates["Exec"].to_json()["Resources"][
        synth.logical_id("Exec", synth.exec_task.task_definition)
    ]["Properties"]["ContainerDefinitions"][0]
    assert container["LinuxParameters"]["InitProcessEnabled"] is True
    assert container["ReadonlyRootFilesystem"] is False


def _task_definition(synth: Synthesized, stack: str, task: FargateTaskWithRoles) -> dict[str, Any]:
    props: dict[str, Any] = synth.templates[stack].to_json()["Resources"][
        synth.logical_id(stack, task.task_definition)
    ]["Properties"]
    return props


def test_task_definition_sizing_and_platform(synth: Synthesized) -> None:
    main = _task_definition(synth, "Main", synth.task)
    assert (main["Cpu"], main["Memory"]) == ("512", "1024")
    assert main["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    assert main["NetworkMode"] == "awsvpc"
    assert main["RequiresCompatibilities"] == ["FARGATE"]
    assert "EphemeralStorage" not in main

    exec_ = _task_definition(synth, "Exec", synth.exec_task)
    assert (exec_["Cpu"], exec_["Memory"]) == ("1024", "2048")
    assert exec_["EphemeralStorage"] == {"SizeInGiB": 50}
    assert exec_["RuntimePlatform"] == {
        "CpuArchitecture": "X86_64",
        "OperatingSystemFamily": "LINUX",
    }
    assert exec_["Family"] == "exec-demo"

    windows = _task_definition(synth, "Windows", synth.windows_task)
    assert (windows["Cpu"], windows["Memory"]) == ("1024", "3072")
    assert windows["RuntimePlatform"] == {
        "CpuArchitecture": "X86_64",
        "OperatingSystemFamily": "WINDOWS_SERVER_2022_CORE",
    }
    assert "ReadonlyRootFilesystem" not in windows["ContainerDefinitions"][0]


def test_container_logs_to_its_own_encrypted_log_group_and_has_writable_tmp(
    synth: Synthesized,
) -> None:
    props = _task_definition(synth, "Main", synth.task)
    container = props["ContainerDefinitions"][0]
    log_group = synth.logical_id("Main", synth.task.log_group)
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": log_group}
    assert container["ReadonlyRootFilesystem"] is True
    assert container["MountPoints"] == [
        {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}
    ]
    assert props["Volumes"] == [{"Name": "tmp"}]
    assert container["PortMappings"] == [
        {"ContainerPort": 8080, "Name": "app-8080", "Protocol": "tcp"}
    ]
    group = synth.resources("Main", "AWS::Logs::LogGroup")[log_group]["Properties"]
    assert group["RetentionInDays"] == 365
    assert group["KmsKeyId"] == {
        "Fn::GetAtt": [synth.logical_id("Main", synth.network.log_key), "Arn"]
    }


def test_grant_run_grants_exactly_what_a_launcher_needs(synth: Synthesized) -> None:
    cluster = synth.logical_id("Main", synth.network.cluster)
    family = synth.task.family
    tasks_in_cluster = _partition_region_account_join(":task/", {"Ref": cluster}, "/*")
    assert _policy_of(synth, "Main", synth.launcher) == [
        {
            "Action": "ecs:RunTask",
            "Condition": {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": [cluster, "Arn"]}}},
            "Effect": "Allow",
            "Resource": _partition_region_account_join(f":task-definition/{family}:*"),
        },
        {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": [
                {"Fn::GetAtt": [synth.logical_id("Main", synth.task.execution_role), "Arn"]},
                {"Fn::GetAtt": [synth.logical_id("Main", synth.task.task_role), "Arn"]},
            ],
        },
        {
            "Action": "ecs:TagResource",
            "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            "Effect": "Allow",
            "Resource": tasks_in_cluster,
        },
    ]
    assert synth.grant.success


def test_grant_run_adds_describe_and_stop_only_when_asked() -> None:
    app = make_app()
    stack = Stack(app, "Ci")
    network = NetworkedCluster(stack, "Network")
    task = FargateTaskWithRoles(
        stack, "Task", image=PUBLIC_IMAGE, size=TaskSize(256, 512), user="1"
    )
    waiter = ManagedPolicyRole(
        stack, "Waiter", assumed_by=iam.AccountRootPrincipal(), description="CI"
    )
    task.grant_run(waiter, cluster=network, manage_tasks=True)
    policy = waiter.managed_policy
    assert policy is not None
    actions = [s["Action"] for s in stack.resolve(policy.document.to_json())["Statement"]]
    assert ["ecs:DescribeTasks", "ecs:StopTask"] in actions
    with pytest.raises(InvalidParameterError, match="manage_tasks='yes'"):
        task.grant_run(waiter, cluster=network, manage_tasks="yes")  # type: ignore[arg-type]


def test_synthesis_emits_no_warnings(synth: Synthesized) -> None:
    assert synth.warnings == []


@pytest.mark.parametrize("stack", ["Main", "Exec", "Windows", "Located"])
def test_no_unacknowledged_nag_findings(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in nag_findings(synth.stacks[stack])] == []


@pytest.mark.parametrize("stack", ["Main", "Exec", "Windows", "Located"])
def test_cfn_lint_is_clean(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in cfn_lint(synth.templates[stack].to_json())] == []


def test_task_stack_snapshot(synth: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert normalized(synth.templates["Main"].to_json()) == json_snapshot


TASK_LOGICAL_IDS = {
    "TaskTaskRole": "AWS::IAM::Role",
    "TaskExecutionRole": "AWS::IAM::Role",
    "TaskExecutionRolePolicy": "AWS::IAM::ManagedPolicy",
    "TaskLogGroup": "AWS::Logs::LogGroup",
    "TaskTaskDefinition": "AWS::ECS::TaskDefinition",
}


def test_logical_ids_are_stable(synth: Synthesized) -> None:
    assert_logical_ids(synth.templates["Main"].to_json(), TASK_LOGICAL_IDS)


# --- bad input -------------------------------------------------------------------------------


def _build(**props: Any) -> None:
    props.setdefault("image", ecs.ContainerImage.from_registry(PUBLIC_IMAGE))
    FargateTaskWithRoles(Stack(App(), "Bad"), "Task", **props)


@pytest.mark.parametrize(
    ("props", "fragments"),
    [
        (
            {"cpu": 512, "memory_mib": 3000},
            ["memory_mib=3000 is not valid for cpu=512", "nearest valid: cpu=512, memory_mib=3072"],
        ),
        ({"cpu": 256}, ["memory_mib=None", "give size=TaskSize(...) or both cpu and memory_mib"]),
        (
            {"size": TaskSize(256, 512), "cpu": 512},
            ["cpu=512 is not valid", "nothing when size= is given"],
        ),
        (
            {
                "cpu": 1024,
                "memory_mib": 2048,
                "architecture": Architecture.ARM64,
                "operating_system": OperatingSystem.WINDOWS_SERVER_2019_CORE,
            },
            ["architecture='ARM64' is not valid for operating_system='WINDOWS_SERVER_2019_CORE'"],
        ),
        (
            {"cpu": 256, "memory_mib": 512, "enable_exec": True},
            [
                "enable_exec=True is not valid for readonly_root_filesystem=True",
                "nearest valid: enable_exec=True, readonly_root_filesystem=False",
            ],
        ),
        (
            {
                "cpu": 1024,
                "memory_mib": 2048,
                "operating_system": OperatingSystem.WINDOWS_SERVER_2022_FULL,
                "readonly_root_filesystem": True,
            },
            ["readonly_root_filesystem=True is not valid for operating_system='WINDOWS"],
        ),
        (
            {"cpu": 256, "memory_mib": 512, "container_port": 0},
            ["container_port=0 is not valid", "1 to 65535", "nearest valid: container_port=1"],
        ),
        (
            {"cpu": 256, "memory_mib": 512, "container_port": 70000},
            ["container_port=70000", "nearest valid: container_port=65535"],
        ),
        (
            {"cpu": 256, "memory_mib": 512, "environment": {" ": "x"}},
            ["environment=' ' is not valid", "non-empty"],
        ),
    ],
)
def test_bad_input_is_explained(props: dict[str, Any], fragments: list[str]) -> None:
    assert_explained(lambda: _build(**props), fragments)


def _secret(stack: Stack) -> ecs.Secret:
    parameter = ssm.StringParameter.from_secure_string_parameter_attributes(
        stack, "P", parameter_name="/x"
    )
    return ecs.Secret.from_ssm_parameter(parameter)


@pytest.mark.parametrize(
    ("names", "environment", "message"),
    [
        ([""], {}, r"secrets='' is not valid; allowed: non-empty"),
        (["TOKEN"], {"TOKEN": "x"}, r"secrets=\['TOKEN'\] is not valid; allowed: names not also"),
    ],
)
def test_bad_secret_names_are_explained(
    names: list[str], environment: dict[str, str], message: str
) -> None:
    stack = Stack(App(), "Bad")
    with pytest.raises(InvalidParameterError, match=message):
        FargateTaskWithRoles(
            stack,
            "Task",
            image=ecs.ContainerImage.from_registry(PUBLIC_IMAGE),
            cpu=256,
            memory_mib=512,
            environment=environment,
            secrets={name: _secret(stack) for name in names},
        )


def test_an_ecr_image_given_by_its_uri_is_pullable() -> None:
    """``image="<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>"`` (from_registry grants
    nothing): the execution role may pull exactly that repository, or the task would not
    start (CannotPullContainerError)."""
    stack = Stack(make_app(), "Uri")
    task = FargateTaskWithRoles(
        stack,
        "Task",
        image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:2.1",
        cpu=256,
        memory_mib=512,
    )
    template = Template.from_stack(stack).to_json()
    role = stack.resolve(task.execution_role.node.default_child.logical_id)  # type: ignore[union-attr]
    statements = [
        s
        for p in template["Resources"].values()
        if p["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    [pull] = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert pull["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert pull["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ecr:eu-west-1:123456789012:repository/shop/orders",
            ],
        ]
    }
    assert [s["Resource"] for s in statements if s["Action"] == "ecr:GetAuthorizationToken"] == [
        "*"
    ]
