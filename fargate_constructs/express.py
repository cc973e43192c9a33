"""ECS Express Mode (``AWS::ECS::ExpressGatewayService``) with this library's sizing, container
checks, roles, encrypted logs and synth-time checks. ECS owns the load balancer, security groups,
scaling policy and certificate it makes; the roles, the log group and the container are ours."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Annotations, CfnOutput, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .cluster import NetworkedCluster
from .compliance import EXPRESS_INFRASTRUCTURE_ROLE, acknowledge
from .containers import Container
from .doors import checked
from .errors import InvalidParameterError
from .log_groups import create_log_group, create_log_key
from .roles import ManagedPolicyRole, ecs_tasks_principal, grant_ecr_pull
from .scopes import stack_of
from .sizing import TaskSize
from .target_health import check_health_check_path
from .validation import check_ecs_name, check_int_range, expect_bool

EXPRESS_INFRASTRUCTURE_POLICY = "service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
# What Express Mode's primary container has (AWS::ECS::ExpressGatewayService PrimaryContainer):
# a Container field outside these is refused, not dropped.
EXPRESS_CONTAINER_FIELDS = ("name", "image", "ports", "environment", "secrets", "command")
CREATE_ONLY = ("ServiceName", "Cluster", "InfrastructureRoleArn", "Tags")


class ExpressMetric(enum.Enum):
    """What Express Mode's target-tracking policy follows."""

    CPU = "AVERAGE_CPU"
    MEMORY = "AVERAGE_MEMORY"
    REQUESTS = "REQUEST_COUNT_PER_TARGET"


@checked
@dataclass(frozen=True, kw_only=True)
class ExpressScaling:
    """Express Mode's one target-tracking policy.

    :param metric: CPU (default), memory (both in percent) or requests per target.
    :param target: the value to keep the metric at: 1 to 100 percent, or requests per target
        (default 60, Express Mode's).
    :param min_tasks: at least 1 (default 1).
    :param max_tasks: at least ``min_tasks`` (default 1: no scaling, Express Mode's default).
    """

    metric: ExpressMetric = ExpressMetric.CPU
    target: int = 60
    min_tasks: int = 1
    max_tasks: int = 1

    def __post_init__(self) -> None:
        if self.metric is ExpressMetric.REQUESTS:
            check_int_range("target", self.target, 1, 1_000_000)
        else:
            check_int_range("target", self.target, 1, 100)
        check_int_range("min_tasks", self.min_tasks, 1, 5000)
        check_int_range("max_tasks", self.max_tasks, 1, 5000)
        if self.max_tasks < self.min_tasks:
            raise InvalidParameterError(
                "max_tasks",
                self.max_tasks,
                f"at least min_tasks ({self.min_tasks})",
                nearest=f"max_tasks={self.min_tasks}",
            )

    def render(self) -> dict[str, Any]:
        return {
            "autoScalingMetric": self.metric.value,
            "autoScalingTargetValue": self.target,
            "minTaskCount": self.min_tasks,
            "maxTaskCount": self.max_tasks,
        }


@checked
@jsii.implements(iam.IGrantable)
class ExpressService(Construct):
    """An ECS Express Mode service: ECS makes the HTTPS load balancer on an AWS domain, the
    target-tracking scaling, security groups and a canary deployment; this construct makes
    and checks everything it is handed.

    :param container: the primary container (:class:`Container`: image, one port,
        environment, secrets, command, registry credentials). Express Mode has no other
        container settings: a health check, mounts, a user, ... are refused (use
        :class:`FargateService`).
    :param size: a :class:`TaskSize` (default 1 vCPU / 2 GiB, AWS's documented Express Mode
        default; the CloudFormation schema says 256 / 512). Only Linux on X86_64: Express Mode
        has no architecture setting.
    :param cluster: a :class:`NetworkedCluster` (its cluster, and its private or public
        subnets); None: Express Mode's ``default`` cluster in the default VPC.
        **Create-only**: changing it replaces the service.
    :param public: an internet-facing endpoint (default) or a private one. Express Mode
        takes one subnet list for its load balancer and its tasks: a public service gets the
        network's public subnets, a private one its private subnets.
    :param health_check_path: the load balancer's health check path (default ``/ping``,
        AWS's documented default; the schema's default is ``HTTP:80/ping``).
    :param scaling: an :class:`ExpressScaling` (default: one task, CPU 60%).
    :param service_name: the ECS service name (default: generated). **Create-only**.
    :param log_key: the KMS key of the log group (default: a new rotating key).
    :param log_retention: how long the log group keeps events (default one year).

    The infrastructure role (``infrastructure_role``) and the tags (``cdk.Tags`` on the
    service or a scope above it) are **create-only** too. Changing the service name, cluster
    or infrastructure role of a service that was synthesized before (the stack's template in
    the app's output directory) is a warning at synth naming the property and the
    replacement; a tag change is not compared (tags are applied after this construct).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        container: Container,
        size: TaskSize | None = None,
        cluster: NetworkedCluster | None = None,
        public: bool = True,
        health_check_path: str = "/ping",
        scaling: ExpressScaling | None = None,
        service_name: str | None = None,
        log_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        size = size if size is not None else TaskSize(1024, 2048)
        expect_bool("public", public)
        _check_container(container)
        if size.architecture.name != "X86_64" or size.operating_system.name != "LINUX":
            raise InvalidParameterError(
                "size",
                repr(size),
                "a Linux X86_64 size: Express Mode has no architecture or OS setting",
                nearest=f"TaskSize({size.cpu}, {size.memory_mib})",
            )
        check_health_check_path(health_check_path)
        if service_name is not None:
            check_ecs_name("service_name", service_name)
        scaling = scaling if scaling is not None else ExpressScaling()
        self.container = container
        self.size = size
        self.scaling = scaling
        self.public = public
        stack = stack_of(self)
        self.task_role: iam.Role = ManagedPolicyRole(
            self,
            "TaskRole",
            assumed_by=ecs_tasks_principal(self),
            description="Task role: what the application in the task may call",
        )
        self.execution_role: iam.Role = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=ecs_tasks_principal(self),
            description="Task execution role: pulls the image, writes logs, reads secrets",
        )
        # AWS's documented trust policy for the infrastructure role has no condition keys.
        self.infrastructure_role = iam.Role(
            self,
            "InfrastructureRole",
            assumed_by=iam.ServicePrincipal("ecs.amazonaws.com"),
            description="ECS Express Mode manages the service's load balancer, scaling and "
            "security groups",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(EXPRESS_INFRASTRUCTURE_POLICY)
            ],
        )
        acknowledge(self.infrastructure_role, EXPRESS_INFRASTRUCTURE_ROLE)
        self.log_key = log_key or create_log_key(self, "LogKey")
        self.log_group = create_log_group(
            self, "LogGroup", key=self.log_key, retention=log_retention
        )
        self.log_group.grant_write(self.execution_role)
        image = _image(self, container)
        port = _port(container)
        primary: dict[str, Any] = {
            "image": image,
            "containerPort": port,
            "awsLogsConfiguration": {
                "logGroup": self.log_group.log_group_name,
                "logStreamPrefix": container.name,
            },
        }
        if container.environment:
            primary["environment"] = [
                {"name": name, "value": value} for name, value in container.environment.items()
            ]
        if container.secrets:
            primary["secrets"] = [
                {"name": name, "valueFrom": self._secret(value).arn}
                for name, value in container.secrets.items()
            ]
        if container.command is not None:
            primary["command"] = list(container.command)
        if container.registry_credentials is not None:
            container.registry_credentials.grant_read(self.execution_role)
            primary["repositoryCredentials"] = {
                "credentialsParameter": container.registry_credentials.secret_arn
            }
        network = None
        if cluster is not None:
            subnets = (
                cluster.vpc.public_subnets
                if public
                else cluster.vpc.select_subnets(subnet_type=cluster.task_subnet_type).subnets
            )
            network = {"subnets": [subnet.subnet_id for subnet in subnets]}
        self.service = ecs.CfnExpressGatewayService(
            self,
            "Service",
            infrastructure_role_arn=self.infrastructure_role.role_arn,
            execution_role_arn=self.execution_role.role_arn,
            task_role_arn=self.task_role.role_arn,
            cluster=cluster.cluster.cluster_name if cluster is not None else None,
            cpu=str(size.cpu),
            memory=str(size.memory_mib),
            health_check_path=health_check_path,
            primary_container=primary,
            network_configuration=network,
            scaling_target=scaling.render(),
            service_name=service_name,
        )
        self.url: str = self.service.attr_endpoint
        CfnOutput(
            self,
            "Url",
            value=self.url,
            description=f"The HTTPS endpoint Express Mode gave {self.node.path}",
        )
        _warn_on_replacement(self, stack)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The task role: ``bucket.grant_read(service)`` grants the application."""
        return self.task_role

    def _secret(self, value: ecs.Secret | secretsmanager.ISecret) -> ecs.Secret:
        secret = value if isinstance(value, ecs.Secret) else ecs.Secret.from_secrets_manager(value)
        secret.grant_read(self.execution_role)
        return secret


def _check_container(container: Container) -> None:
    defaults = Container(name=container.name, image=container.image)
    for name in container.__dataclass_fields__:
        if name in EXPRESS_CONTAINER_FIELDS or name == "_" or name == "registry_credentials":
            continue
        given, default = getattr(container, name), getattr(defaults, name)
        if given != default:
            raise InvalidParameterError(
                f"container.{name}",
                given,
                f"its default ({default!r}): Express Mode's primary container has only an "
                "image, one port, environment, secrets, a command and registry credentials",
                nearest=f"container.{name}={default!r}",
                hint="For the rest, use FargateService (see 'Outgrowing Express Mode')",
            )
    if len(container.ports) > 1:
        raise InvalidParameterError(
            "container.ports",
            container.ports,
            "at most one port: Express Mode routes to one container port",
            nearest=f"ports=({_port(container)},)",
        )


def _port(container: Container) -> int:
    if not container.ports:
        return 80
    port = container.ports[0]
    return port if isinstance(port, int) else port.port


def _image(service: ExpressService, container: Container) -> str:
    """The image reference; an ECR image is pulled with exactly its repository's
    permissions."""
    image = container.image
    if not isinstance(image, str):
        raise InvalidParameterError(
            "container.image",
            type(image).__name__,
            "an image reference string: Express Mode takes an image URI, not a built asset "
            "(push it to ECR and give its URI)",
            nearest="image='<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>'",
        )
    grant_ecr_pull(service.execution_role, image)
    return image


def _warn_on_replacement(service: ExpressService, stack: Stack) -> None:
    """Compare the create-only properties with the stack's last synthesized template (in the
    app's output directory): a change replaces the service on the next deploy."""
    outdir = getattr(service.node.root, "outdir", None)
    if not outdir:
        return
    path = Path(outdir) / stack.template_file
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    logical_id = stack.resolve(stack.get_logical_id(service.service))
    before = previous.get("Resources", {}).get(logical_id, {}).get("Properties")
    if before is None:
        return
    now = stack.resolve(
        {
            "ServiceName": service.service.service_name,
            "Cluster": service.service.cluster,
            "InfrastructureRoleArn": service.service.infrastructure_role_arn,
        }
    )
    for name, value in now.items():
        if before.get(name) != value:
            Annotations.of(service).add_warning_v2(
                "fargate-constructs:express-replacement",
                f"{name} changed ({json.dumps(before.get(name))} -> {json.dumps(value)}): "
                f"it is create-only, so the next deploy replaces the Express Mode service "
                f"{service.node.path} (a new endpoint; its tasks, load balancer rule and "
                "scaling are made again)",
            )
