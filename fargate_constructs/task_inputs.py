"""A task's inputs checked before anything is made: the size from its parameters, the main
container from the shorthand, sidecars, volumes and what each platform allows."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .containers import (
    DEFAULT_WRITABLE_PATHS,
    Container,
    Port,
    is_root_user,
)
from .errors import InvalidParameterError
from .sidecars import FireLens, Tracing
from .sizing import DEFAULT_EPHEMERAL_STORAGE_GIB, Architecture, OperatingSystem, TaskSize
from .validation import check_int_range, expect_instance, expect_str_tuple
from .volumes import EfsVolume, SharedVolume, Volume

if TYPE_CHECKING:
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_secretsmanager as secretsmanager

CONTAINER_NAME = "app"  # the main container made by the shorthand parameters


def resolve_size(
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


def check_platform_options(size: TaskSize, readonly: bool, enable_exec: bool) -> None:
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


def check_port(given: Any) -> int | None:
    return None if given is None else check_int_range("container_port", given, 1, 65535)


def main_container(
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
    port = check_port(container_port)
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


def check_sidecars(sidecars: Any) -> tuple[Container, ...]:
    if isinstance(sidecars, Container) or not isinstance(sidecars, list | tuple):
        raise InvalidParameterError(
            "sidecars", sidecars, "a list or tuple of Container(...)", nearest="sidecars=[...]"
        )
    for sidecar in sidecars:
        expect_instance("sidecars", sidecar, Container, "a list or tuple of Container(...)")
    return tuple(sidecars)


def check_volumes(volumes: Any) -> tuple[Volume, ...]:
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


def scratch_volumes(spec: Container, main: Container) -> dict[str, str]:
    """Each writable path's task-private volume: ``tmp`` for the main container's ``/tmp``,
    ``<container>-var-cache-nginx`` for a sidecar's ``/var/cache/nginx``."""
    volumes = {}
    for path in spec.writable_paths:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", path.strip("/"))
        name = slug if spec is main else f"{spec.name}-{slug}"
        volumes[path] = name[:255]
    return volumes


def check_volume_names(volumes: Sequence[Volume], scratch: Mapping[str, Mapping[str, str]]) -> None:
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


def check_containers_on_platform(
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


def unprivileged_port_start(specs: Sequence[Container]) -> tuple[str, int] | None:
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
