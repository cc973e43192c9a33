"""Catch a task that starts but cannot reach an AWS API it uses: in subnets without a NAT route,
every API call needs a VPC endpoint, and a missing one only shows at run time (the SDK times out).

For each task placed in a cluster whose task subnets are isolated, the endpoints it needs come
from its roles' actions (:mod:`fargate_constructs.endpoints`; ECS Exec's ``ssmmessages``,
FireLens's Firehose and the ADOT collector's X-Ray come in through the grants they add), and its
images must come from a private ECR registry (public registries need the internet). Adopted VPCs
are not checked: their endpoints are not known to the library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import jsii
from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

from ..endpoints import needed_by_statements, unknown_prefixes
from . import skipped

if TYPE_CHECKING:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecs as ecs


class TaskReach(IConstruct, Protocol):
    """A task as the check sees it: its two roles (whose grants say what it calls) and its
    containers (whose images it pulls)."""

    @property
    def task_role(self) -> iam.IRole: ...

    @property
    def execution_role(self) -> iam.IRole: ...

    @property
    def containers(self) -> Mapping[str, ecs.ContainerDefinition]: ...


class IsolatedCluster(IConstruct, Protocol):
    """A cluster as the check sees it: its network and the tasks placed in it."""

    @property
    def vpc(self) -> ec2.IVpc: ...

    @property
    def has_nat_route(self) -> bool: ...

    @property
    def vpc_endpoints(self) -> Mapping[str, object]: ...


def _statements(role: iam.IRole) -> list[dict[str, Any]]:
    """The statements of a :class:`ManagedPolicyRole`'s policy (grants land there)."""
    policy: iam.ManagedPolicy | None = getattr(role, "managed_policy", None)
    if policy is None:
        return []
    document = Stack.of(policy).resolve(policy.document.to_json())
    statements: list[dict[str, Any]] = document.get("Statement", [])
    return statements


def needs_by_role(task: TaskReach) -> dict[str, tuple[str, str]]:
    """Endpoint -> (the action that needs it, which role grants it)."""
    needed: dict[str, tuple[str, str]] = {}
    for label, role, via_service in (
        ("task role", task.task_role, False),
        ("execution role", task.execution_role, True),
    ):
        for endpoint, action in needed_by_statements(
            _statements(role), via_service_only=via_service
        ).items():
            needed.setdefault(endpoint, (action, label))
    return needed


def endpoints_needed(task: TaskReach) -> list[str]:
    return sorted(needs_by_role(task))


def public_images(task: TaskReach) -> list[tuple[str, str]]:
    """(container, image) of each container whose image is not in a private ECR registry."""
    stack = Stack.of(task)
    found = []
    for name, container in task.containers.items():
        image = json.dumps(stack.resolve(container.image_name))
        if ".dkr.ecr." not in image:
            found.append((name, str(stack.resolve(container.image_name))))
    return found


@jsii.implements(IValidation)
class ReachabilityCheck:
    """Fails synthesis when a task in ``cluster``'s isolated subnets needs an endpoint the
    cluster does not have, or pulls an image from outside private ECR."""

    def __init__(self, cluster: IsolatedCluster) -> None:
        self._cluster = cluster
        self._placed: list[tuple[TaskReach, IConstruct]] = []

    def add(self, task: TaskReach, placed_by: IConstruct) -> None:
        """``task`` runs in the cluster, placed by ``placed_by`` (a service, a grantee)."""
        self._placed.append((task, placed_by))

    def failures(self) -> list[str]:
        cluster = self._cluster
        if cluster.has_nat_route or not _owns_vpc(cluster):
            return []
        have = set(cluster.vpc_endpoints)
        messages = []
        seen: set[str] = set()
        for task, placed_by in self._placed:
            key = f"{task.node.path}|{placed_by.node.path}"
            if key in seen:
                continue
            seen.add(key)
            where = f"task {task.node.path} (run by {placed_by.node.path})"
            # The execution role's grants say what starting the task calls (ECR, Logs,
            # Secrets Manager, SSM), the task role's what the application calls.
            missing = {e: why for e, why in needs_by_role(task).items() if e not in have}
            for endpoint, (action, role) in sorted(missing.items()):
                messages.append(
                    f"reachability: {where} runs in {cluster.node.path}'s subnets without a NAT "
                    f"route, and its {role} grants {action}, which needs the '{endpoint}' VPC "
                    f"endpoint. Add it: NetworkedCluster(..., endpoints=[{endpoint!r}]) (or "
                    "endpoints='auto', or cluster.add_endpoints(...)), or give the cluster a NAT "
                    "gateway (nat_gateways=1)."
                )
            for container, image in public_images(task):
                messages.append(
                    f"reachability: {where}, container {container!r}: image {image} is not in a "
                    "private ECR registry, and the task's subnets have no NAT route to pull it. "
                    "Push it to ECR (or use an ECR pull-through cache rule), or give the cluster "
                    "a NAT gateway (nat_gateways=1)."
                )
        return messages

    def validate(self) -> list[str]:
        cluster = self._cluster
        if not cluster.has_nat_route and _owns_vpc(cluster):
            for task, _ in self._placed:
                for role in (task.task_role, task.execution_role):
                    unknown = unknown_prefixes(_statements(role))
                    if unknown:
                        Annotations.of(task).add_warning_v2(
                            "fargate-constructs:reachabilityUnknown",
                            f"reachability: no endpoint is known for {', '.join(sorted(unknown))} "
                            f"(granted to {task.node.path}); check that the task can reach it "
                            "without a NAT route.",
                        )
        return [] if skipped(self) else self.failures()


def _owns_vpc(cluster: IsolatedCluster) -> bool:
    from aws_cdk import aws_ec2 as ec2

    return isinstance(cluster.vpc, ec2.Vpc) and cluster.vpc.node.scope is cluster
