"""How a task turns its :class:`Container` values into CDK container definitions, volumes
and the grants they need: each container gets the same log driver, secrets handling, mount
points and platform settings as the first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .containers import Container, HealthCheck, MemoryPlan, Port, Transport
from .durations import to_duration
from .roles import grant_ecr_pull
from .scopes import stack_of
from .sidecars import LOG_ROUTER_NAME, FireLens
from .volumes import SharedVolume, Volume


@dataclass(frozen=True, kw_only=True)
class TaskParts:
    """What the container definitions of one task are made from and attached to."""

    scope: Construct
    task_definition: ecs.FargateTaskDefinition
    task_role: iam.IRole
    execution_role: iam.IRole
    log_group: logs.ILogGroup
    log_router: FireLens | None
    memory_plan: MemoryPlan
    enable_exec: bool
    volumes: tuple[Volume, ...]


def add_container(
    task: TaskParts,
    spec: Container,
    *,
    construct_id: str,
    readonly: bool | None,
    scratch: Mapping[str, str],
    linux: bool,
    system_controls: list[ecs.SystemControl] | None,
) -> ecs.ContainerDefinition:
    is_router = task.log_router is not None and spec.name == LOG_ROUTER_NAME
    if isinstance(spec.image, str) and spec.registry_credentials is None:
        # An ECR image given by its URI: from_registry grants nothing, and the task would not
        # start; the execution role pulls exactly that repository.
        grant_ecr_pull(task.execution_role, spec.image)
    props: dict[str, Any] = {
        "container_name": spec.name,
        "image": image_of(spec),
        "essential": spec.essential,
        "cpu": spec.cpu,
        "memory_limit_mib": task.memory_plan.limits[spec.name],
        "memory_reservation_mib": task.memory_plan.reservations[spec.name],
        "command": list(spec.command) if spec.command is not None else None,
        "entry_point": list(spec.entry_point) if spec.entry_point is not None else None,
        "working_directory": spec.working_directory,
        "user": spec.user,
        "environment": dict(spec.environment) if spec.environment else None,
        "secrets": (
            {name: ecs_secret(task, name, value) for name, value in spec.secrets.items()}
            if spec.secrets
            else None
        ),
        "health_check": health_check_of(spec.health_check),
        "readonly_root_filesystem": readonly,
        "port_mappings": [port_mapping(port) for port in spec.port_list] or None,
        "logging": log_driver(task, spec.name, is_router),
        "linux_parameters": (
            ecs.LinuxParameters(
                task.scope,
                "LinuxParameters" if construct_id == "App" else f"{spec.name}LinuxParameters",
                init_process_enabled=True,
            )
            if task.enable_exec and linux
            else None
        ),
        "stop_timeout": (to_duration(spec.stop_timeout)),
        "system_controls": system_controls,
    }
    if is_router:
        definition: ecs.ContainerDefinition = task.task_definition.add_firelens_log_router(
            construct_id,
            firelens_config=ecs.FirelensConfig(type=ecs.FirelensLogRouterType.FLUENTBIT),
            **props,
        )
    else:
        definition = task.task_definition.add_container(construct_id, **props)
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


def ecs_secret(task: TaskParts, variable: str, value: Any) -> ecs.Secret:
    """A ``secretsmanager.ISecret`` as an ``ecs.Secret``. One from another stack is imported
    here and its KMS key granted in the execution role's own policy: CDK's grant would add
    this stack's role to the other stack's key policy, a dependency cycle (the other stack
    already provides values to this one)."""
    if isinstance(value, ecs.Secret):
        return value
    secret: secretsmanager.ISecret = value
    if stack_of(secret) is stack_of(task.scope):
        return ecs.Secret.from_secrets_manager(secret)
    imported = secretsmanager.Secret.from_secret_attributes(
        task.scope, f"Secret{variable}", secret_complete_arn=secret.secret_arn
    )
    key = secret.encryption_key
    if key is not None:
        task.execution_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{stack_of(task.scope).region}."
                        f"{stack_of(task.scope).url_suffix}"
                    }
                },
            )
        )
    return ecs.Secret.from_secrets_manager(imported)


def log_driver(task: TaskParts, container_name: str, is_router: bool) -> ecs.LogDriver:
    if task.log_router is None or is_router:
        return ecs.LogDrivers.aws_logs(stream_prefix=container_name, log_group=task.log_group)
    region = stack_of(task.scope).region
    stream = task.log_router.delivery_stream
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
            "log_group_name": task.log_group.log_group_name,
            "log_stream_prefix": f"{container_name}/",
            "auto_create_group": "false",
        }
    return ecs.LogDrivers.firelens(options=options)


def grant_log_destination(task: TaskParts) -> None:
    if task.log_router is None:
        return
    stream = task.log_router.delivery_stream
    if stream is not None:
        stream.grant_put_records(task.task_role)
    else:
        task.log_group.grant_write(task.task_role)


def add_volumes(task: TaskParts) -> None:
    for volume in task.volumes:
        if isinstance(volume, SharedVolume):
            task.task_definition.add_volume(name=volume.name)
            continue
        access_point = volume.access_point
        task.task_definition.add_volume(
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
        task.task_role.add_to_principal_policy(
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


def image_of(spec: Container) -> ecs.ContainerImage:
    if isinstance(spec.image, str):
        return ecs.ContainerImage.from_registry(spec.image, credentials=spec.registry_credentials)
    image: ecs.ContainerImage = spec.image
    return image


def health_check_of(check: HealthCheck | ecs.HealthCheck | None) -> ecs.HealthCheck | None:
    if not isinstance(check, HealthCheck):
        return check
    return ecs.HealthCheck(
        command=list(check.command),
        interval=to_duration(check.interval),
        timeout=to_duration(check.timeout),
        retries=check.retries,
        start_period=to_duration(check.start_period),
    )


def port_mapping(port: Port) -> ecs.PortMapping:
    # ecs.AppProtocol's members are jsii static properties named like our values.
    app_protocol = getattr(ecs.AppProtocol, port.app_protocol.value) if port.app_protocol else None
    return ecs.PortMapping(
        container_port=port.port,
        protocol=ecs.Protocol.UDP if port.transport is Transport.UDP else ecs.Protocol.TCP,
        name=port.name,
        app_protocol=app_protocol,
    )


# aws-cdk-lib's enum-like classes are read through jsii (a round trip each): read each once.
