"""FargateTaskWithRoles: a Fargate task definition with a validated size, its own task role and
task execution role (least privilege, confused-deputy-safe trust), and ``grant_run``."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import jsii
from aws_cdk import ArnFormat
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .checks.pass_role import PassRoleCheck
from .cluster import NetworkedCluster
from .compliance import RUN_TASK_REASON, acknowledge_wildcard_resource_across_stacks
from .containers import (
    DEFAULT_WRITABLE_PATHS,
    Command,
    Container,
    Dependency,
    HealthCheck,
    Port,
    Transport,
    check_containers,
    is_root_user,
)
from .doors import checked
from .durations import to_duration
from .errors import InvalidParameterError
from .log_groups import DEFAULT_LOG_RETENTION, create_log_group, create_log_key
from .roles import ECS_TASKS_SERVICE, ManagedPolicyRole, ecs_tasks_principal
from .scopes import remember_scope, stack_of
from .sidecars import LOG_ROUTER_NAME, XRAY_ACTIONS, FireLens, Tracing
from .sizing import (
    DEFAULT_EPHEMERAL_STORAGE_GIB,
    Architecture,
    OperatingSystem,
    TaskSize,
)
from .validation import (
    check_ecs_name,
    check_int_range,
    expect_bool,
    expect_instance,
    expect_str_tuple,
)
from .volumes import EfsVolume, SharedVolume, Volume

CONTAINER_NAME = "app"  # the main container made by the shorthand parameters
ECS_EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


@checked
@jsii.implements(iam.IGrantable)
class FargateTaskWithRoles(Construct):
    """A Fargate task definition of one or more containers, a validated size, and the two
    roles done right.

    * **Task role** (:attr:`task_role`): what the application's AWS SDK calls run as. It starts
      empty; grant it what the app needs with the usual ``grant*`` calls
      (``bucket.grant_read(task.task_role)``).
    * **Task execution role** (:attr:`execution_role`): what the ECS agent uses to start the
      task: pull each container's image (scoped to its ECR repository), write to this task's
      log group, read exactly the ``secrets`` and registry credentials given. Nothing else, and
      no AWS managed policies.

    Both trust ``ecs-tasks.amazonaws.com`` only for tasks of this account and region. Their
    grants land in customer-managed policies. To let someone start the task, use
    :meth:`grant_run`; a RunTask grant without ``iam:PassRole`` fails synthesis.

    Size it with ``size=TaskSize(...)`` or with ``cpu`` and ``memory_mib`` (plus optional
    ``architecture``, ``operating_system``, ``ephemeral_storage_gib``), not both.

    **Containers.** The main container is either given as ``container=Container(...)`` or, for
    the common one-container task, by the shorthand parameters (``image``, ``container_port``,
    ``environment``, ``secrets``, ``command``, ``health_check``, ``user``, ``writable_paths``),
    which make a container named ``app``. ``sidecars`` adds more containers; ``log_router``
    and ``tracing`` add the FireLens and OpenTelemetry sidecars. Every container gets: logs in
    the task's encrypted log group (stream prefix = its name) or through FireLens, a memory
    hard limit, a read-only root on Linux with a scratch volume per writable path, and
    execution-role grants for exactly its image and secrets.

    :param image: the main container's image (shorthand), e.g.
        ``ecs.ContainerImage.from_ecr_repository(repo, tag)``.
    :param container: the main container as a :class:`Container` (instead of the shorthand).
    :param sidecars: further containers of the task.
    :param volumes: volumes containers mount with ``Mount(...)``: :class:`SharedVolume`,
        :class:`EfsVolume`.
    :param log_router: :class:`FireLens` to route logs through Fluent Bit.
    :param tracing: :class:`Tracing` to add the ADOT collector exporting to X-Ray.
    :param container_port: TCP port the main container listens on (1-65535), if any.
    :param environment: plain, non-secret environment variables.
    :param secrets: environment variables read at task start from Secrets Manager or SSM
        (``ecs.Secret.from_secrets_manager(secret)``), or a ``secretsmanager.ISecret`` itself:
        one from another stack (a platform stack) is then granted without touching its KMS
        key's policy, so no dependency cycle; only these are readable by the execution role.
    :param command: overrides the image's CMD.
    :param health_check: container health check.
    :param user: the user the main container runs as (e.g. ``"65534"``); see the README on
        non-root containers.
    :param writable_paths: paths that stay writable under the read-only root (default
        ``("/tmp",)``).
    :param log_retention: retention of the task's log group (default one year).
    :param log_key: KMS key for the log group (e.g. ``NetworkedCluster.log_key``); default: a
        new key.
    :param readonly_root_filesystem: default for every container: True on Linux, False on
        Windows (which does not support it).
    :param enable_exec: grant the task role what ECS Exec needs; requires
        ``readonly_root_filesystem=False`` (the SSM agent writes to the root filesystem).
    :param family: task definition family name (default: generated from the construct path).

    Attributes (the L2 objects, to reach past the construct): :attr:`task_definition`,
    :attr:`task_role`, :attr:`execution_role`, :attr:`log_group`, :attr:`log_key`,
    :attr:`container` (the main ``ecs.ContainerDefinition``), :attr:`containers` (every
    container definition by name), :attr:`specs` (every :class:`Container` by name).
    """

    @classmethod
    def _door_nearest(cls, value: object) -> str | None:
        return "FargateTaskWithRoles(self, 'Task', image='<registry>/<image>:<tag>')"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ecs.ContainerImage | str | None = None,
        container: Container | None = None,
        sidecars: Sequence[Container] = (),
        volumes: Sequence[Volume] = (),
        log_router: FireLens | None = None,
        tracing: Tracing | None = None,
        size: TaskSize | None = None,
        cpu: int | None = None,
        memory_mib: int | None = None,
        architecture: Architecture = Architecture.X86_64,
        operating_system: OperatingSystem = OperatingSystem.LINUX,
        ephemeral_storage_gib: int = DEFAULT_EPHEMERAL_STORAGE_GIB,
        container_port: int | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret | secretsmanager.ISecret] | None = None,
        command: Command | None = None,
        health_check: ecs.HealthCheck | HealthCheck | None = None,
        user: str | None = None,
        writable_paths: Sequence[str] | None = None,
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
        if readonly_root_filesystem is not None:
            expect_bool("readonly_root_filesystem", readonly_root_filesystem)
        expect_bool("enable_exec", enable_exec)
        if family is not None:
            check_ecs_name("family", family)
        readonly = linux if readonly_root_filesystem is None else readonly_root_filesystem
        _check_platform_options(self.size, readonly, enable_exec)
        main = _main_container(
            image=image,
            container=container,
            container_port=container_port,
            environment=environment,
            secrets=secrets,
            command=command,
            health_check=health_check,
            user=user,
            writable_paths=writable_paths,
        )
        self.volumes: tuple[Volume, ...] = _check_volumes(volumes)
        specs = [main, *_check_sidecars(sidecars)]
        if log_router is not None:
            expect_instance("log_router", log_router, FireLens, "FireLens(...) or None")
            specs.append(log_router.container())
        if tracing is not None:
            expect_instance("tracing", tracing, Tracing, "Tracing(...) or None")
            specs.append(tracing.container())
            if tracing.name not in main.depends_on:
                main = replace(main, depends_on={**main.depends_on, tracing.name: Dependency.START})
                specs[0] = main
        scratch = {spec.name: _scratch_volumes(spec, main) for spec in specs}
        self.memory_plan = check_containers(
            specs,
            task_cpu=self.size.cpu,
            task_memory_mib=self.size.memory_mib,
            volume_names=[volume.name for volume in self.volumes],
        )
        _check_volume_names(self.volumes, scratch)
        readonly_of = {
            spec.name: readonly
            if spec.readonly_root_filesystem is None
            else spec.readonly_root_filesystem
            for spec in specs
        }
        # Only a container with a read-only root needs its writable paths on scratch volumes.
        scratch = {
            name: paths if linux and readonly_of[name] else {} for name, paths in scratch.items()
        }
        _check_containers_on_platform(
            self.size, specs, readonly_of, enable_exec, self.volumes, log_router, tracing
        )
        for volume in self.volumes:
            read_only_mounts = isinstance(volume, EfsVolume) and volume.read_only
            for spec in specs:
                for mount in spec.mounts:
                    if mount.volume == volume.name and read_only_mounts and not mount.read_only:
                        raise InvalidParameterError(
                            "mounts",
                            f"Mount({mount.volume!r}, {mount.path!r}, read_only=False)",
                            "read_only=True for a read-only EFS volume",
                            given=f"container {spec.name!r}",
                        )
        super().__init__(scope, id)
        remember_scope(self, scope)

        self.enable_exec = enable_exec
        self.specs: dict[str, Container] = {spec.name: spec for spec in specs}
        self.main_container_name = main.name
        self.log_router = log_router
        self.tracing = tracing
        # One principal for both roles: building it is several jsii round trips.
        principal = ecs_tasks_principal(self)
        self.task_role: iam.Role = ManagedPolicyRole(
            self,
            "TaskRole",
            assumed_by=principal,
            description="Task role: what the application in the task may call",
        )
        self.execution_role: iam.Role = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=principal,
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
                operating_system_family=_operating_system_family(self.size.operating_system),
            ),
            task_role=self.task_role,
            execution_role=self.execution_role,
            family=family,
            # Given here rather than added one by one: each add is a round trip to jsii.
            volumes=[
                ecs.Volume(name=volume) for paths in scratch.values() for volume in paths.values()
            ]
            or None,
        )
        self.containers: dict[str, ecs.ContainerDefinition] = {}
        low_port_owner = _unprivileged_port_start(specs) if linux else None
        for spec in specs:
            self.containers[spec.name] = self._add_container(
                spec,
                construct_id="App" if spec is main and container is None else spec.name,
                readonly=readonly_of[spec.name] if linux else None,
                scratch=scratch[spec.name],
                linux=linux,
                system_controls=(
                    [
                        ecs.SystemControl(
                            namespace="net.ipv4.ip_unprivileged_port_start",
                            value=str(low_port_owner[1]),
                        )
                    ]
                    if low_port_owner is not None and low_port_owner[0] == spec.name
                    else None
                ),
            )
        self.container = self.containers[main.name]
        for spec in specs:
            for other, condition in spec.depends_on.items():
                self.containers[spec.name].add_container_dependencies(
                    ecs.ContainerDependency(
                        container=self.containers[other],
                        condition=getattr(ecs.ContainerDependencyCondition, condition.value),
                    )
                )
        self._add_shared_volumes()
        self._grant_log_destination()
        if tracing is not None:
            self.task_role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(XRAY_ACTIONS), resources=["*"])
            )
        if enable_exec:
            self.task_role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(ECS_EXEC_ACTIONS), resources=["*"])
            )
        PassRoleCheck.register(self)

    @property
    def container_port(self) -> int | None:
        """The main container's first port (the load balancer's default target)."""
        ports = self.specs[self.main_container_name].port_numbers
        return ports[0] if ports else None

    @property
    def efs_volumes(self) -> tuple[EfsVolume, ...]:
        return tuple(volume for volume in self.volumes if isinstance(volume, EfsVolume))

    def named_ports(self) -> dict[str, tuple[str, Port]]:
        """Every port of the task by its port mapping name, with its container; the main
        container's ports come first."""
        order = [
            self.main_container_name,
            *(n for n in self.specs if n != self.main_container_name),
        ]
        return {
            port.name: (name, port)
            for name in order
            for port in self.specs[name].port_list
            if port.name is not None
        }

    def target(
        self, container: str | None = None, port: int | None = None, *, requested_by: str = "?"
    ) -> tuple[str, int]:
        """The container and port a load balancer sends traffic to (default: the main
        container's first port); an error names what is missing."""
        name = self.main_container_name if container is None else container
        spec = self.specs.get(name)
        if spec is None:
            raise InvalidParameterError(
                "target_container",
                container,
                f"a container of the task ({', '.join(self.specs)})",
                given=f"task={self.node.path}",
                nearest=f"target_container={self.main_container_name!r}",
            )
        if port is None:
            if not spec.port_numbers:
                raise InvalidParameterError(
                    "load_balancer",
                    requested_by,
                    "None for a task without container_port: the load balancer needs a port "
                    "to send traffic to",
                    given=f"task={self.node.path} (container {name!r} has no port, "
                    "container_port=None)",
                    nearest="FargateTaskWithRoles(..., container_port=8080)",
                )
            return name, spec.port_numbers[0]
        if port not in spec.port_numbers:
            raise InvalidParameterError(
                "target_port",
                port,
                f"a port of container {name!r} ({', '.join(map(str, spec.port_numbers))})",
                given=f"task={self.node.path}",
                nearest=f"target_port={spec.port_numbers[0]}" if spec.port_numbers else None,
            )
        return name, port

    def _add_container(
        self,
        spec: Container,
        *,
        construct_id: str,
        readonly: bool | None,
        scratch: Mapping[str, str],
        linux: bool,
        system_controls: list[ecs.SystemControl] | None,
    ) -> ecs.ContainerDefinition:
        is_router = self.log_router is not None and spec.name == LOG_ROUTER_NAME
        props: dict[str, Any] = {
            "container_name": spec.name,
            "image": _image(spec),
            "essential": spec.essential,
            "cpu": spec.cpu,
            "memory_limit_mib": self.memory_plan.limits[spec.name],
            "memory_reservation_mib": self.memory_plan.reservations[spec.name],
            "command": list(spec.command) if spec.command is not None else None,
            "entry_point": list(spec.entry_point) if spec.entry_point is not None else None,
            "working_directory": spec.working_directory,
            "user": spec.user,
            "environment": dict(spec.environment) if spec.environment else None,
            "secrets": (
                {name: self._ecs_secret(name, value) for name, value in spec.secrets.items()}
                if spec.secrets
                else None
            ),
            "health_check": _health_check(spec.health_check),
            "readonly_root_filesystem": readonly,
            "port_mappings": [_port_mapping(port) for port in spec.port_list] or None,
            "logging": self._log_driver(spec.name, is_router),
            "linux_parameters": (
                ecs.LinuxParameters(
                    self,
                    "LinuxParameters" if construct_id == "App" else f"{spec.name}LinuxParameters",
                    init_process_enabled=True,
                )
                if self.enable_exec and linux
                else None
            ),
            "stop_timeout": (to_duration(spec.stop_timeout)),
            "system_controls": system_controls,
        }
        if is_router:
            definition: ecs.ContainerDefinition = self.task_definition.add_firelens_log_router(
                construct_id,
                firelens_config=ecs.FirelensConfig(type=ecs.FirelensLogRouterType.FLUENTBIT),
                **props,
            )
        else:
            definition = self.task_definition.add_container(construct_id, **props)
        mount_points = [
            ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
            for path, volume in scratch.items()
        ] + [
            ecs.MountPoint(
                container_path=mount.path, source_volume=mount.volume, read_only=mount.read_only
            )
            for mount in spec.mounts
        ]
        if mount_points:
            definition.add_mount_points(*mount_points)
        return definition

    def _ecs_secret(self, variable: str, value: Any) -> ecs.Secret:
        """A ``secretsmanager.ISecret`` as an ``ecs.Secret``. One from another stack is imported
        here and its KMS key granted in the execution role's own policy: CDK's grant would add
        this stack's role to the other stack's key policy, a dependency cycle (the other stack
        already provides values to this one)."""
        if isinstance(value, ecs.Secret):
            return value
        secret: secretsmanager.ISecret = value
        if stack_of(secret) is stack_of(self):
            return ecs.Secret.from_secrets_manager(secret)
        imported = secretsmanager.Secret.from_secret_attributes(
            self, f"Secret{variable}", secret_complete_arn=secret.secret_arn
        )
        key = secret.encryption_key
        if key is not None:
            self.execution_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{stack_of(self).region}."
                            f"{stack_of(self).url_suffix}"
                        }
                    },
                )
            )
        return ecs.Secret.from_secrets_manager(imported)

    def _log_driver(self, container_name: str, is_router: bool) -> ecs.LogDriver:
        if self.log_router is None or is_router:
            return ecs.LogDrivers.aws_logs(stream_prefix=container_name, log_group=self.log_group)
        region = stack_of(self).region
        stream = self.log_router.delivery_stream
        if stream is not None:
            options = {
                "Name": "kinesis_firehose",
                "region": region,
                "delivery_stream": stream.delivery_stream_name,
            }
        else:
            options = {
                "Name": "cloudwatch_logs",
                "region": region,
                "log_group_name": self.log_group.log_group_name,
                "log_stream_prefix": f"{container_name}/",
                "auto_create_group": "false",
            }
        return ecs.LogDrivers.firelens(options=options)

    def _grant_log_destination(self) -> None:
        if self.log_router is None:
            return
        stream = self.log_router.delivery_stream
        if stream is not None:
            stream.grant_put_records(self.task_role)
        else:
            self.log_group.grant_write(self.task_role)

    def _add_shared_volumes(self) -> None:
        for volume in self.volumes:
            if isinstance(volume, SharedVolume):
                self.task_definition.add_volume(name=volume.name)
                continue
            access_point = volume.access_point
            self.task_definition.add_volume(
                name=volume.name,
                efs_volume_configuration=ecs.EfsVolumeConfiguration(
                    file_system_id=volume.file_system.file_system_id,
                    transit_encryption="ENABLED",
                    root_directory=None if access_point is not None else volume.root_directory,
                    authorization_config=ecs.AuthorizationConfig(
                        access_point_id=access_point.access_point_id if access_point else None,
                        iam="ENABLED",
                    ),
                ),
            )
            actions = ["elasticfilesystem:ClientMount"]
            if not volume.read_only:
                actions.append("elasticfilesystem:ClientWrite")
            self.task_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=actions,
                    resources=[volume.file_system.file_system_arn],
                    conditions=(
                        {
                            "StringEquals": {
                                "elasticfilesystem:AccessPointArn": access_point.access_point_arn
                            }
                        }
                        if access_point is not None
                        else None
                    ),
                )
            )

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The task role: ``bucket.grant_read(task)`` grants the application, never the agent."""
        return self.task_role

    @property
    def family(self) -> str:
        return self.task_definition.family

    def family_arn(self) -> str:
        """ARN pattern of every revision of this task definition's family."""
        return stack_of(self).format_arn(
            service="ecs",
            resource="task-definition",
            resource_name=f"{self.family}:*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def grant_run(
        self,
        grantee: iam.IGrantable,
        *,
        cluster: NetworkedCluster | ecs.ICluster,
        manage_tasks: bool = False,
    ) -> iam.Grant:
        """Let ``grantee`` (a user, CI role, Lambda, EventBridge or Step Functions role) start
        this task in ``cluster``, and nothing more:

        * ``ecs:RunTask`` on this family, only in ``cluster`` (condition ``ecs:cluster``);
        * ``iam:PassRole`` on exactly the task role and execution role, only to ECS tasks
          (condition ``iam:PassedToService``); without it RunTask fails with AccessDenied
          "not authorized to perform: iam:PassRole";
        * ``ecs:TagResource`` on the cluster's tasks when RunTask creates them (for tags);
        * with ``manage_tasks=True`` (a CI job that waits for its task), ``ecs:DescribeTasks``
          and ``ecs:StopTask`` on the cluster's tasks; a scheduler never needs them.
        """
        expect_bool("manage_tasks", manage_tasks)
        ecs_cluster = cluster.cluster if isinstance(cluster, NetworkedCluster) else cluster
        if isinstance(cluster, NetworkedCluster):
            cluster._register(grantee if isinstance(grantee, Construct) else self, self)
        stack = stack_of(self)
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
        ]
        if manage_tasks:
            grants.append(
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["ecs:DescribeTasks", "ecs:StopTask"],
                    resource_arns=[tasks_in_cluster],
                )
            )
        principal = grantee.grant_principal
        if isinstance(principal, Construct):
            for resource in (self.family_arn(), tasks_in_cluster):
                acknowledge_wildcard_resource_across_stacks(principal, RUN_TASK_REASON, resource)
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
    return TaskSize(
        cpu,
        memory_mib,
        architecture=architecture,
        operating_system=operating_system,
        ephemeral_storage_gib=ephemeral_storage_gib,
    )


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


def _check_port(given: Any) -> int | None:
    return None if given is None else check_int_range("container_port", given, 1, 65535)


def _main_container(
    *,
    image: Any,
    container: Container | None,
    container_port: Any,
    environment: Mapping[str, str] | None,
    secrets: Mapping[str, ecs.Secret | secretsmanager.ISecret] | None,
    command: Sequence[str] | None,
    health_check: Any,
    user: str | None,
    writable_paths: Sequence[str] | None,
) -> Container:
    shorthand = {
        "image": image,
        "container_port": container_port,
        "environment": environment,
        "secrets": secrets,
        "command": command,
        "health_check": health_check,
        "user": user,
        "writable_paths": writable_paths,
    }
    if container is not None:
        expect_instance("container", container, Container, "Container(...) or None")
        clash = next((name for name, value in shorthand.items() if value is not None), None)
        if clash is not None:
            raise InvalidParameterError(
                clash,
                "given",
                "nothing when container= is given: set it on the Container instead",
                nearest=f"Container(..., {clash}=...)",
            )
        return container
    if image is None:
        raise InvalidParameterError(
            "image",
            None,
            "an ecs.ContainerImage or image reference for the main container, or "
            "container=Container(...)",
            nearest="image='public.ecr.aws/nginx/nginx:1.27'",
        )
    port = _check_port(container_port)
    return Container(
        CONTAINER_NAME,
        image,
        ports=(Port(port),) if port is not None else (),
        environment=dict(environment or {}),
        secrets=dict(secrets or {}),
        command=tuple(command) if command is not None else None,
        health_check=health_check,
        user=user,
        writable_paths=(
            DEFAULT_WRITABLE_PATHS
            if writable_paths is None
            else expect_str_tuple("writable_paths", writable_paths)
        ),
    )


def _check_sidecars(sidecars: Any) -> tuple[Container, ...]:
    if isinstance(sidecars, Container) or not isinstance(sidecars, list | tuple):
        raise InvalidParameterError(
            "sidecars", sidecars, "a list or tuple of Container(...)", nearest="sidecars=[...]"
        )
    for sidecar in sidecars:
        expect_instance("sidecars", sidecar, Container, "a list or tuple of Container(...)")
    return tuple(sidecars)


def _check_volumes(volumes: Any) -> tuple[Volume, ...]:
    if not isinstance(volumes, list | tuple):
        raise InvalidParameterError(
            "volumes", volumes, "a list or tuple of SharedVolume(...) or EfsVolume(...)"
        )
    names: set[str] = set()
    for volume in volumes:
        expect_instance(
            "volumes", volume, (SharedVolume, EfsVolume), "SharedVolume(...) or EfsVolume(...)"
        )
        if volume.name in names:
            raise InvalidParameterError(
                "volume name", volume.name, "a volume name used once in the task"
            )
        names.add(volume.name)
    return tuple(volumes)


def _scratch_volumes(spec: Container, main: Container) -> dict[str, str]:
    """Each writable path's task-private volume: ``tmp`` for the main container's ``/tmp``,
    ``<container>-var-cache-nginx`` for a sidecar's ``/var/cache/nginx``."""
    volumes = {}
    for path in spec.writable_paths:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", path.strip("/"))
        name = slug if spec is main else f"{spec.name}-{slug}"
        volumes[path] = name[:255]
    return volumes


def _check_volume_names(
    volumes: Sequence[Volume], scratch: Mapping[str, Mapping[str, str]]
) -> None:
    seen = {volume.name: "volumes" for volume in volumes}
    for container, paths in scratch.items():
        for path, name in paths.items():
            if name in seen:
                raise InvalidParameterError(
                    "writable_paths",
                    path,
                    f"a path whose scratch volume name ({name!r}) is not already taken by "
                    f"{seen[name]}",
                    given=f"container {container!r}",
                )
            seen[name] = f"container {container!r}"


def _check_containers_on_platform(
    size: TaskSize,
    specs: Sequence[Container],
    readonly_of: Mapping[str, bool],
    enable_exec: bool,
    volumes: Sequence[Volume],
    log_router: FireLens | None,
    tracing: Tracing | None,
) -> None:
    if size.operating_system.is_windows:
        windows = f"operating_system={size.operating_system.value!r}"
        unsupported = {
            "log_router": "FireLens" if log_router is not None else None,
            "tracing": "Tracing" if tracing is not None else None,
            "volumes": next((v.name for v in volumes if isinstance(v, EfsVolume)), None),
        }
        for parameter, value in unsupported.items():
            if value is not None:
                raise InvalidParameterError(
                    parameter,
                    value,
                    "None on Windows: Fargate supports FireLens, the ADOT collector and EFS "
                    "volumes only for Linux tasks",
                    given=windows,
                    nearest=f"{parameter}=None",
                )
        for spec in specs:
            if spec.user is not None:
                raise InvalidParameterError(
                    "user",
                    spec.user,
                    "None for Windows containers (ECS does not support user on Windows)",
                    given=f"container {spec.name!r}, {windows}",
                    nearest="user=None",
                )
            if spec.readonly_root_filesystem:
                raise InvalidParameterError(
                    "readonly_root_filesystem",
                    True,
                    "False or None for Windows containers (ECS does not support a read-only "
                    "root filesystem on Windows)",
                    given=f"container {spec.name!r}, {windows}",
                    nearest="readonly_root_filesystem=None",
                )
            if spec.writable_paths != DEFAULT_WRITABLE_PATHS:
                raise InvalidParameterError(
                    "writable_paths",
                    spec.writable_paths,
                    "the default on Windows (the root filesystem is writable there)",
                    given=f"container {spec.name!r}, {windows}",
                )
    if enable_exec:
        for spec in specs:
            if readonly_of[spec.name]:
                raise InvalidParameterError(
                    "readonly_root_filesystem",
                    True,
                    "False on every container while enable_exec=True: the SSM agent ECS Exec "
                    "runs in each container writes to its root filesystem",
                    given=f"container {spec.name!r}",
                    nearest="readonly_root_filesystem=False",
                )


def _unprivileged_port_start(specs: Sequence[Container]) -> tuple[str, int] | None:
    """A non-root process cannot bind a port below 1024 unless the task's network namespace
    lowers ``net.ipv4.ip_unprivileged_port_start``; Fargate accepts ``net.*`` system controls
    and applies one container's to the whole task (so exactly one container carries it)."""
    low = [
        (port, spec.name)
        for spec in specs
        if spec.user is not None and not is_root_user(spec.user)
        for port in spec.port_numbers
        if port < 1024
    ]
    if not low:
        return None
    port, name = min(low)
    return name, port


def _image(spec: Container) -> ecs.ContainerImage:
    if isinstance(spec.image, str):
        return ecs.ContainerImage.from_registry(spec.image, credentials=spec.registry_credentials)
    image: ecs.ContainerImage = spec.image
    return image


def _health_check(check: HealthCheck | ecs.HealthCheck | None) -> ecs.HealthCheck | None:
    if not isinstance(check, HealthCheck):
        return check
    return ecs.HealthCheck(
        command=list(check.command),
        interval=to_duration(check.interval),
        timeout=to_duration(check.timeout),
        retries=check.retries,
        start_period=to_duration(check.start_period),
    )


def _port_mapping(port: Port) -> ecs.PortMapping:
    # ecs.AppProtocol's members are jsii static properties named like our values.
    app_protocol = getattr(ecs.AppProtocol, port.app_protocol.value) if port.app_protocol else None
    return ecs.PortMapping(
        container_port=port.port,
        protocol=ecs.Protocol.UDP if port.transport is Transport.UDP else ecs.Protocol.TCP,
        name=port.name,
        app_protocol=app_protocol,
    )


# aws-cdk-lib's enum-like classes are read through jsii (a round trip each): read each once.
@functools.cache
def _cpu_architecture(architecture: Architecture) -> ecs.CpuArchitecture:
    if architecture is Architecture.ARM64:
        return ecs.CpuArchitecture.ARM64
    return ecs.CpuArchitecture.X86_64


@functools.cache
def _operating_system_family(operating_system: OperatingSystem) -> ecs.OperatingSystemFamily:
    family: ecs.OperatingSystemFamily = getattr(ecs.OperatingSystemFamily, operating_system.value)
    return family
