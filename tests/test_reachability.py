"""The reachability check: in subnets without a NAT route, a task's API calls need VPC
endpoints and its images must come from private ECR; synth fails, naming the task, the service,
the action and the fix, until they do. Plus check()/synth(): failures as one Python error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from fargate_constructs import (
    ChecksFailedError,
    FargateService,
    FargateTaskWithRoles,
    ManagedPolicyRole,
    NetworkedCluster,
    TaskSize,
    check,
    synth,
)
from fargate_constructs.endpoints import needed_by_statements

from .harness import (
    assert_explained,
    compliance_findings,
    make_app,
    synth_warnings,
)


def worker(
    *,
    grant: Callable[[Stack, FargateTaskWithRoles], None] | None = None,
    image: str | None = None,
    **cluster_props: Any,
) -> tuple[App, Stack, NetworkedCluster]:
    """An app with one queue worker (no load balancer) in a cluster made with
    ``cluster_props`` (default: no NAT), its image in private ECR unless ``image`` is given."""
    app = make_app()
    stack = Stack(app, "Jobs")
    cluster_props.setdefault("nat_gateways", 0)
    cluster = NetworkedCluster(stack, "Network", **cluster_props)
    repository = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    task = FargateTaskWithRoles(
        stack,
        "WorkerTask",
        size=TaskSize(256, 512),
        image=(
            ecs.ContainerImage.from_registry(image)
            if image
            else ecs.ContainerImage.from_ecr_repository(repository, "v1")
        ),
        user="1000",
    )
    if grant is not None:
        grant(stack, task)
    FargateService(stack, "Worker", cluster=cluster, task=task)
    return app, stack, cluster


def consume_queue(stack: Stack, task: FargateTaskWithRoles) -> None:
    key = kms.Key(stack, "QueueKey", enable_key_rotation=True)
    dead_letters = sqs.Queue(stack, "DeadLetters", encryption_master_key=key, enforce_ssl=True)
    queue = sqs.Queue(
        stack,
        "Queue",
        encryption_master_key=key,
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=5),
    )
    queue.grant_consume_messages(task)


def read_table(stack: Stack, task: FargateTaskWithRoles) -> None:
    table = dynamodb.Table(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
    )
    table.grant_read_data(task)


def decrypt_directly(stack: Stack, task: FargateTaskWithRoles) -> None:
    kms.Key(stack, "DataKey", enable_key_rotation=True).grant_decrypt(task)


def failures_of(app: App) -> list[str]:
    with pytest.raises(ChecksFailedError) as raised:
        check(app)
    return raised.value.failures


def test_sqs_without_its_endpoint_fails_naming_task_service_action_and_fix() -> None:
    app, _, _ = worker(grant=consume_queue)
    (failure,) = failures_of(app)
    assert "task Jobs/WorkerTask (run by Jobs/Worker)" in failure
    assert "without a NAT route" in failure
    assert "task role grants sqs:ReceiveMessage" in failure
    assert "'sqs' VPC endpoint" in failure
    assert "endpoints=['sqs']" in failure
    assert "nat_gateways=1" in failure


def test_sqs_with_its_endpoint_passes_and_sse_needs_no_kms_endpoint() -> None:
    app, stack, cluster = worker(grant=consume_queue, endpoints=["sqs"])
    check(app)
    assert "kms" not in cluster.vpc_endpoints
    endpoints = Template.from_stack(stack).find_resources("AWS::EC2::VPCEndpoint")
    names = sorted(str(e["Properties"]["ServiceName"]) for e in endpoints.values())
    assert sum("sqs" in name for name in names) == 1


@pytest.mark.parametrize(
    ("grant", "endpoint", "action"),
    [
        (read_table, "dynamodb", "dynamodb:"),
        (decrypt_directly, "kms", "kms:Decrypt"),
    ],
)
def test_each_api_needs_its_endpoint(
    grant: Callable[[Stack, FargateTaskWithRoles], None], endpoint: str, action: str
) -> None:
    app, _, _ = worker(grant=grant)
    (failure,) = failures_of(app)
    assert f"'{endpoint}' VPC endpoint" in failure
    assert action in failure
    app, _, _ = worker(grant=grant, endpoints=[endpoint])
    check(app)


def test_dynamodb_and_s3_are_gateway_endpoints() -> None:
    _, stack, _ = worker(grant=read_table, endpoints=["dynamodb"])
    gateways = [
        e["Properties"]
        for e in Template.from_stack(stack).find_resources("AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Gateway"
    ]
    assert len(gateways) == 2  # S3 (for ECR layers) and DynamoDB


def test_ecs_exec_needs_ssmmessages() -> None:
    app = make_app()
    stack = Stack(app, "Exec")
    cluster = NetworkedCluster(stack, "Network", nat_gateways=0)
    repository = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    task = FargateTaskWithRoles(
        stack,
        "Task",
        size=TaskSize(256, 512),
        image=ecs.ContainerImage.from_ecr_repository(repository, "v1"),
        enable_exec=True,
        readonly_root_filesystem=False,
        user="1000",
    )
    FargateService(stack, "Shell", cluster=cluster, task=task)
    (failure,) = failures_of(app)
    assert "'ssmmessages' VPC endpoint" in failure
    cluster.add_endpoints("ssmmessages")
    check(app)


def test_a_public_image_cannot_be_pulled_without_nat() -> None:
    app, _, _ = worker(image="public.ecr.aws/docker/library/busybox:1.36")
    (failure,) = failures_of(app)
    assert "image public.ecr.aws/docker/library/busybox:1.36 is not in a private ECR" in failure
    assert "pull-through cache" in failure


def test_with_a_nat_gateway_nothing_is_required() -> None:
    app, _, cluster = worker(
        grant=consume_queue, image="public.ecr.aws/docker/library/busybox:1.36", nat_gateways=1
    )
    check(app)
    assert cluster.vpc_endpoints == {}


def test_auto_adds_exactly_what_the_tasks_need() -> None:
    app, stack, cluster = worker(grant=consume_queue, endpoints="auto")
    check(app)
    assert sorted(cluster.vpc_endpoints) == ["ecr.api", "ecr.dkr", "logs", "s3", "sqs"]
    assert synth_warnings(app) == []
    assert compliance_findings(stack, Template.from_stack(stack).to_json()) == []


def test_a_grant_after_the_service_in_auto_mode_is_still_caught() -> None:
    def late(stack: Stack, task: FargateTaskWithRoles) -> None:
        pass

    app, stack, cluster = worker(endpoints="auto", grant=late)
    task = stack.node.find_child("WorkerTask")
    assert isinstance(task, FargateTaskWithRoles)
    read_table(stack, task)
    (failure,) = failures_of(app)
    assert "'dynamodb' VPC endpoint" in failure
    cluster.add_endpoints("dynamodb")
    check(app)


def test_synth_raises_one_python_error_and_cdk_synth_still_fails() -> None:
    app, _, _ = worker(grant=consume_queue)
    with pytest.raises(ChecksFailedError, match=r"1 check failed:\n- reachability: "):
        synth(app)
    with pytest.raises(RuntimeError, match="reachability"):
        app.synth()


def test_pass_role_failures_come_through_check() -> None:
    app, stack, _ = worker(nat_gateways=1)
    task = stack.node.find_child("WorkerTask")
    assert isinstance(task, FargateTaskWithRoles)
    launcher = ManagedPolicyRole(
        stack, "Launcher", assumed_by=iam.AccountPrincipal("123456789012"), description="CI"
    )
    launcher.add_to_principal_policy(
        iam.PolicyStatement(actions=["ecs:RunTask"], resources=[task.family_arn()])
    )
    (failure,) = failures_of(app)
    assert failure.startswith("PassRole: ")
    assert "task.grant_run(grantee, cluster=...)" in failure


def test_synth_returns_the_assembly_when_all_checks_pass() -> None:
    app, _, _ = worker(grant=consume_queue, endpoints=["sqs"])
    assembly = synth(app)
    assert [s.stack_name for s in assembly.stacks] == ["Jobs"]


@pytest.mark.parametrize(
    ("endpoints", "fragments"),
    [
        (["sqs2"], ["endpoints='sqs2'", "endpoint service names", "nearest valid: 'sqs'"]),
        ("sqs", ["endpoints='sqs'", "nearest valid: endpoints=['sqs']"]),
        ("Auto", ["endpoints='Auto'", "nearest valid: endpoints='auto'"]),
    ],
)
def test_bad_endpoint_names_are_explained(endpoints: Any, fragments: list[str]) -> None:
    assert_explained(
        lambda: NetworkedCluster(Stack(make_app(), "Bad"), "Network", endpoints=endpoints),
        fragments,
    )


def test_statement_rules() -> None:
    sqs_and_kms = [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "q"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "k"},
    ]
    assert needed_by_statements(sqs_and_kms) == {"sqs": "sqs:ReceiveMessage"}
    assert needed_by_statements(sqs_and_kms[1:]) == {"kms": "kms:Decrypt"}
    assert needed_by_statements([{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]) == {}
    assert needed_by_statements(
        [{"Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": "r"}]
    ) == {"ecr.api": "ecr:BatchGetImage", "ecr.dkr": "ecr:BatchGetImage", "s3": "ecr:BatchGetImage"}
