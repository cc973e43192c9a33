"""FargateTaskWithRoles: a Fargate task definition with a validated size, its own task role and
task execution role (least privilege, confused-deputy-safe trust), and ``grant_run``."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace

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
from .container_definitions import TaskParts, add_container, add_volumes, grant_log_destination
from .containers import (
    Command,
    Container,
    Dependency,
    HealthCheck,
    Port,
    check_containers,
)
from .doors import checked
from .errors import InvalidParameterError
from .log_groups import DEFAULT_LOG_RETENTION, create_log_group, create_log_key
from .roles import ECS_TASKS_SERVICE, ManagedPolicyRole, ecs_tasks_principal
from .scopes import remember_scope, stack_of
from .sidecars import XRAY_ACTIONS, FireLens, Tracing
from .sizing import (
    DEFAULT_EPHEMERAL_STORAGE_GIB,
    Architecture,
    OperatingSystem,
    TaskSize,
)
from .task_inputs import (
    check_containers_on_platform,
    check_platform_options,
    check_sidecars,
    check_volume_names,
    check_volumes,
    main_container,
    resolve_size,
    scratch_volumes,
    unprivileged_port_start,
)
from .validation import (
    check_ecs_name,
    expect_bool,
)
from .volumes import EfsVolume, Volume

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
    :param user: the user the main container runs as (e.g. ``"65534"``); see the docs on
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
        self.size = resolve_size(
            size, cpu, memory_mib, architecture, operating_system, ephemeral_storage_gib
        )
        linux = not self.size.operating_system.is_windows
        if family is not None:
            check_ecs_name("family", family)
        readonly = linux if readonly_root_filesystem is None else readonly_root_filesystem
        check_platform_options(self.size, readonly, enable_exec)
        main = main_container(
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
        self.volumes: tuple[Volume, ...] = check_volumes(volumes)
        specs = [main, *check_sidecars(sidecars)]
        if log_router is not None:
            specs.append(log_router.container())
        if tracing is not None:
            specs.append(tracing.container())
            if tracing.name not in main.depends_on:
                main = replace(main, depends_on={**main.depends_on, tracing.name: Dependency.START})
                specs[0] = main
        scratch = {spec.name: scratch_volumes(spec, main) for spec in specs}
        self.memory_plan = check_containers(
            specs,
            task_cpu=self.size.cpu,
            task_memory_mib=self.size.memory_mib,
            volume_names=[volume.name for volume in self.volumes],
        )
        check_volume_names(self.volumes, scratch)
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
        check_containers_on_platform(
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
        parts = TaskParts(
            scope=self,
            task_definition=self.task_definition,
            task_role=self.task_role,
            execution_role=self.execution_role,
            log_group=self.log_group,
            log_router=log_router,
            memory_plan=self.memory_plan,
            enable_exec=enable_exec,
            volumes=self.volumes,
        )
        self.containers: dict[str, ecs.ContainerDefinition] = {}
        low_port_owner = unprivileged_port_start(specs) if linux else None
        for spec in specs:
            self.containers[spec.name] = add_container(
                parts,
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
        add_volumes(parts)
        grant_log_destination(parts)
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


@functools.cache
def _cpu_architecture(architecture: Architecture) -> ecs.CpuArchitecture:
    if architecture is Architecture.ARM64:
        return ecs.CpuArchitecture.ARM64
    return ecs.CpuArchitecture.X86_64


@functools.cache
def _operating_system_family(operating_system: OperatingSystem) -> ecs.OperatingSystemFamily:
    family: ecs.OperatingSystemFamily = getattr(ecs.OperatingSystemFamily, operating_system.value)
    return family
