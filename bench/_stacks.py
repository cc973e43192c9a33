"""The two stacks the benchmarks compare: ours, and the equivalent aws_ecs_patterns one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Template

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fargate_constructs import (  # noqa: E402
    FargateService,
    FargateTaskWithRoles,
    LoadBalancer,
    NetworkedCluster,
    SharedLoadBalancer,
    TaskSize,
)

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
WAF = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/app/a1b2c3d4"
IMAGE = "public.ecr.aws/nginx/nginx:1.27"


def new_app() -> App:
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    return App(context=context)


SERVICES_PER_STACK = 25
"""Services per stack when a benchmark splits them: 25 ecs_patterns services are 365 resources,
under CloudFormation's 500 (aws-cdk-lib refuses to synthesize more); 50 do not fit."""


def splits(services: int, split: bool | None) -> bool:
    """Whether the services go in stacks of their own: as asked, else (``None``) when there
    are more than fit in one stack beside the platform."""
    return services > SERVICES_PER_STACK if split is None else split


def layout(services: int, split: bool | None) -> str:
    """How a benchmark line names the stacks: " (split)" when the services are split."""
    return " (split)" if splits(services, split) else ""


def _stacks(
    app: App, name: str, services: int, split: bool | None
) -> tuple[Stack, list[tuple[int, Stack]]]:
    """The platform stack, and each service's index with the stack it goes in: the platform
    stack itself, or (see :func:`splits`) stacks of SERVICES_PER_STACK beside it."""
    first = Stack(app, name)
    if not splits(services, split):
        return first, [(index, first) for index in range(services)]
    groups = [
        Stack(app, f"{name}Services{group}") for group in range(-(-services // SERVICES_PER_STACK))
    ]
    return first, [(index, groups[index // SERVICES_PER_STACK]) for index in range(services)]


def ours(
    app: App,
    services: int = 1,
    *,
    alarms: bool = True,
    dashboard: bool = True,
    split: bool | None = None,
) -> Stack:
    """VPC, cluster and `services` HTTPS web services (one shared ALB beyond the first); the
    services split into stacks of SERVICES_PER_STACK as :func:`splits` says."""
    stack, placed = _stacks(app, f"Ours{services}", services, split)
    network = NetworkedCluster(stack, "Network")
    shared = None
    if services > 1:
        shared = SharedLoadBalancer(
            stack, "Edge", cluster=network, certificate_arn=CERT, web_acl_arn=WAF
        )
    for index, where in placed:
        task = FargateTaskWithRoles(
            where,
            f"Task{index}",
            image=ecs.ContainerImage.from_registry(IMAGE),
            size=TaskSize(256, 512),
            container_port=8080,
            log_key=network.log_key,
        )
        load_balancer: Any = (
            shared.route(priority=index + 1, host_headers=[f"s{index}.example.com"])
            if shared is not None
            else LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF)
        )
        FargateService(
            where,
            f"Web{index}",
            cluster=network,
            task=task,
            desired_count=2,
            load_balancer=load_balancer,
            service_alarms=alarms,
            dashboard=dashboard,
        )
    return stack


def patterns(app: App, services: int = 1, *, split: bool | None = None) -> Stack:
    """The ecs_patterns equivalent: default VPC, a cluster, one ALB service per service, split
    as :func:`splits` says."""
    stack, placed = _stacks(app, f"Patterns{services}", services, split)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    certificates: dict[int, acm.ICertificate] = {}
    for index, where in placed:
        if id(where) not in certificates:
            certificates[id(where)] = acm.Certificate.from_certificate_arn(where, "Cert", CERT)
        ecs_patterns.ApplicationLoadBalancedFargateService(
            where,
            f"Web{index}",
            cluster=cluster,
            cpu=256,
            memory_limit_mib=512,
            desired_count=2,
            certificate=certificates[id(where)],
            protocol=elbv2.ApplicationProtocol.HTTPS,
            redirect_http=True,
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=ecs.ContainerImage.from_registry(IMAGE), container_port=8080
            ),
        )
    return stack


def template(stack: Stack) -> dict[str, Any]:
    result: dict[str, Any] = Template.from_stack(stack).to_json()
    return result
