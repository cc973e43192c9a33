"""FargateTaskWithRoles: a Fargate task definition with a validated size, its own task role and
task execution role (least privilege, confused-deputy-safe trust), and ``grant_run``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .checks.pass_role import PassRoleCheck
from .cluster import NetworkedCluster
from .compliance import RUN_TASK_REASON, acknowledge_wildcard_resource
from .errors import InvalidParameterError
from .log_groups import DEFAULT_LOG_RETENTION, create_log_group, create_log_key
from .roles import ECS_TASKS_SERVICE, ManagedPolicyRole, ecs_tasks_principal
from .sizing import (
    DEFAULT_EPHEMERAL_STORAGE_GIB,
    Architecture,
    OperatingSystem,
    TaskSize,
)

CONTAINER_NAME = "app"
WRITABLE_TMP = "/tmp"  # a volume private to the task, writable under a read-only root
ECS_EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


@jsii.implements(iam.IGrantable)
class FargateTaskWithRoles(Construct):
    """A Fargate task definition with one application container, a validated size, and the
    two roles done right.

    * **Task role** (:attr:`task_role`): what the application's AWS SDK calls run as. It starts
      empty; grant it what the app needs with the usual ``grant*`` calls
      (``bucket.grant_read(task.task_role)``).
    * **Task execution role** (:attr:`execution_role`): what the ECS agent uses to start the
      task: pull the image (scoped to its ECR repository), write to this task's log group, read
      exactly the ``secrets`` given. Nothing else, and no AWS managed policies.

    Both trust ``ecs-tasks.amazonaws.com`` only for tasks of this account and region. Their
    grants land in customer-managed policies. To let someone start the task, use
    :meth:`grant_run`; a RunTask grant without ``iam:PassRole`` fails synthesis.

    Size it with ``size=TaskSize(...)`` or with ``cpu`` and ``memory_mib`` (plus optional
    ``architecture``, ``operating_system``, ``ephemeral_storage_gib``), not both.

    :param image: the container image, e.g. ``ecs.ContainerImage.from_ecr_repository(repo, tag)``.
    :param container_port: TCP port the container listens on (1-65535), if any.
    :param environment: plain, non-secret environment variables.
    :param secrets: environment variables read at task start from Secrets Manager or SSM
        (``ecs.Secret.from_secrets_manager(secret)``); only these are readable by the
        execution role.
    :param command: overrides the image's CMD.
    :param health_check: container health check.
    :param log_retention: retention of the task's log group (default one year).
    :param log_key: KMS key for the log group (e.g. ``NetworkedCluster.log_key``); default: a
        new key.
    :param readonly_root_filesystem: default True on Linux (a writable ``/tmp`` volume is
        mounted), False on Windows (which does not support it).
    :param enable_exec: grant the task role what ECS Exec needs; requires
        ``readonly_root_filesystem=False`` (the SSM agent writes to the root filesystem).
    :param family: task definition family name (default: generated from the construct path).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ecs.ContainerImage,
        size: TaskSize | None = None,
        cpu: int | None = None,
        memory_mib: int | None = None,
        architecture: Architecture = Architecture.X86_64,
        operating_system: OperatingSystem = OperatingSystem.LINUX,
        ephemeral_storage_gib: int = DEFAULT_EPHEMERAL_STORAGE_GIB,
        container_port: int | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        command: Sequence[str] | None = None,
        health_check: ecs.HealthCheck | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        log_key: kms.IKey | None = None,
        readonly_root_filesystem: bool | None = None,
        enable_exec: bool = False,
        family: str | None = None,
    ) -> None:
        self.size = _resolve_size(
            size, cpu, memory_mib, architecture, operating_system, ephemeral_storage_gib
        )
        linux = not self.size.operating_system.is_windows
        readonly = linux if readonly_root_filesystem is None else readonly_root_filesystem
        _check_platform_options(self.size, readonly, enable_exec)
        _check_port(container_port)
        _check_variable_names(environment or {}, secrets or {})
        super().__init__(scope, id)

        self.enable_exec = enable_exec
        self.container_port = container_port
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
        self.log_key = log_key or create_log_key(self, "LogKey")
        self.log_group = create_log_group(
            self, "LogGroup", key=self.log_key, retention=log_retention
        )

        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=self.size.cpu,
            memory_limit_mib=self.size.memory_mib,
            ephemeral_storage_gib=(
                None if self.size.has_default_storage else self.size.ephemeral_storage_gib
            ),
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=_cpu_architecture(self.size.architecture),
                operating_system_family=getattr(
                    ecs.OperatingSystemFamily, self.size.operating_system.value
                ),
            ),
            task_role=self.task_role,
            execution_role=self.execution_role,
            family=family,
        )
        self.container = self.task_definition.add_container(
            "App",
            container_name=CONTAINER_NAME,
            image=image,
            essential=True,
            command=list(command) if command is not None else None,
            environment=dict(environment) if environment else None,
            secrets=dict(secrets) if secrets else None,
            health_check=health_check,
            readonly_root_filesystem=readonly if linux else None,
            port_mappings=(
                [ecs.PortMapping(container_port=container_port, protocol=ecs.Protocol.TCP)]
                if container_port is not None
                else None
            ),
            logging=ecs.LogDrivers.aws_logs(stream_prefix=CONTAINER_NAME, log_group=self.log_group),
            linux_parameters=(
                ecs.LinuxParameters(self, "LinuxParameters", init_process_enabled=True)
                if enable_exec and linux
                else None
            ),
        )
        if linux and readonly:
            self.task_definition.add_volume(name="tmp")
            self.container.add_mount_points(
                ecs.MountPoint(container_path=WRITABLE_TMP, source_volume="tmp", read_only=False)
            )
        if enable_exec:
            self.task_role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(ECS_EXEC_ACTIONS), resources=["*"])
            )
        PassRoleCheck.register(self)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The task role: ``bucket.grant_read(task)`` grants the application, never the agent."""
        return self.task_role

    @property
    def family(self) -> str:
        return self.task_definition.family

    def family_arn(self) -> str:
        """ARN pattern of every revision of this task definition's family."""
        return Stack.of(self).format_arn(
            service="ecs",
            resource="task-definition",
            resource_name=f"{self.family}:*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def grant_run(
        self, grantee: iam.IGrantable, *, cluster: NetworkedCluster | ecs.ICluster
    ) -> iam.Grant:
        """Let ``grantee`` (a user, CI role, Lambda, EventBridge or Step Functions role) start
        this task in ``cluster``, and nothing more:

        * ``ecs:RunTask`` on this family, only in ``cluster`` (condition ``ecs:cluster``);
        * ``iam:PassRole`` on exactly the task role and execution role, only to ECS tasks
          (condition ``iam:PassedToService``); without it RunTask fails with AccessDenied
          "not authorized to perform: iam:PassRole";
        * ``ecs:TagResource`` on the cluster's tasks when RunTask creates them (for tags);
        * ``ecs:DescribeTasks`` and ``ecs:StopTask`` on the cluster's tasks.
        """
        ecs_cluster = cluster.cluster if isinstance(cluster, NetworkedCluster) else cluster
        stack = Stack.of(self)
        tasks_in_cluster = stack.format_arn(
            service="ecs",
            resource="task",
            resource_name=f"{ecs_cluster.cluster_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        grants = [
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["ecs:RunTask"],
                resource_arns=[self.family_arn()],
                conditions={"ArnEquals": {"ecs:cluster": ecs_cluster.cluster_arn}},
            ),
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["iam:PassRole"],
                resource_arns=[self.task_role.role_arn, self.execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}},
            ),
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["ecs:TagResource"],
                resource_arns=[tasks_in_cluster],
                conditions={"StringEquals": {"ecs:CreateAction": "RunTask"}},
            ),
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["ecs:DescribeTasks", "ecs:StopTask"],
                resource_arns=[tasks_in_cluster],
            ),
        ]
        principal = grantee.grant_principal
        if isinstance(principal, Construct):
            for resource in (self.family_arn(), tasks_in_cluster):
                acknowledge_wildcard_resource(principal, RUN_TASK_REASON, resource)
        combined = grants[0]
        for grant in grants[1:]:
            combined = combined.combine(grant)
        return combined


def _resolve_size(
    size: TaskSize | None,
    cpu: int | None,
    memory_mib: int | None,
    architecture: Architecture,
    operating_system: OperatingSystem,
    ephemeral_storage_gib: int,
) -> TaskSize:
    if size is not None:
        separate = {
            "cpu": cpu,
            "memory_mib": memory_mib,
            "architecture": None if architecture == Architecture.X86_64 else architecture,
            "operating_system": (
                None if operating_system == OperatingSystem.LINUX else operating_system
            ),
            "ephemeral_storage_gib": (
                None
                if ephemeral_storage_gib == DEFAULT_EPHEMERAL_STORAGE_GIB
                else ephemeral_storage_gib
            ),
        }
        clash = next((name for name, value in separate.items() if value is not None), None)
        if clash is not None:
            raise InvalidParameterError(
                clash,
                separate[clash],
                "nothing when size= is given (size already sets cpu, memory, architecture, "
                "operating system and storage)",
                nearest=f"size=TaskSize(...) alone, or {clash}= without size=",
            )
        return size
    if cpu is None or memory_mib is None:
        missing = "cpu" if cpu is None else "memory_mib"
        raise InvalidParameterError(
            missing,
            None,
            "a value: give size=TaskSize(...) or both cpu and memory_mib",
            nearest="cpu=256, memory_mib=512 (the smallest task)",
        )
    return TaskSize(cpu, memory_mib, architecture, operating_system, ephemeral_storage_gib)


def _check_platform_options(size: TaskSize, readonly: bool, enable_exec: bool) -> None:
    if size.operating_system.is_windows and readonly:
        raise InvalidParameterError(
            "readonly_root_filesystem",
            True,
            "False or None for Windows containers (ECS does not support a read-only root "
            "filesystem on Windows)",
            given=f"operating_system={size.operating_system.value!r}",
            nearest="readonly_root_filesystem=None",
        )
    if enable_exec and readonly:
        raise InvalidParameterError(
            "enable_exec",
            True,
            "False while the root filesystem is read-only: the SSM agent ECS Exec runs in the "
            "container writes to it",
            given="readonly_root_filesystem=True",
            nearest="enable_exec=True, readonly_root_filesystem=False",
        )


def _check_port(port: int | None) -> None:
    if port is not None and not 1 <= port <= 65535:
        raise InvalidParameterError(
            "container_port",
            port,
            "a TCP port from 1 to 65535, or None",
            nearest=f"container_port={min(max(port, 1), 65535)}",
        )


def _check_variable_names(
    environment: Mapping[str, str], secrets: Mapping[str, ecs.Secret]
) -> None:
    for parameter, names in (("environment", environment), ("secrets", secrets)):
        for name in names:
            if not name or not name.strip():
                raise InvalidParameterError(
                    parameter,
                    name,
                    "non-empty environment variable names",
                )
    both = sorted(set(environment) & set(secrets))
    if both:
        raise InvalidParameterError(
            "secrets",
            both,
            "names not also given in environment (ECS rejects a variable defined twice)",
        )


def _cpu_architecture(architecture: Architecture) -> ecs.CpuArchitecture:
    if architecture is Architecture.ARM64:
        return ecs.CpuArchitecture.ARM64
    return ecs.CpuArchitecture.X86_64
