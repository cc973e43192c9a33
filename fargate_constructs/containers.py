"""The containers of a task: :class:`Container` and its parts as self-validating value objects,
and the checks that only make sense across all containers of one task (names, ports, memory,
CPU, start order). Turning them into CDK container definitions happens in ``task.py``.

A task is "a grouping of 1 to N containers": they share one network namespace (awsvpc), so
ports must be unique across the task; they share the task's CPU and memory, so their limits
and reservations must fit in it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from .doors import Nearest, checked
from .durations import DurationLike, as_timedelta, check_seconds
from .errors import InvalidParameterError
from .validation import (
    ECS_NAME,
    check_ecs_name,
    check_int_range,
    expect_bool,
    expect_int,
    expect_interface,
    expect_optional_int,
    expect_str,
    expect_str_mapping,
    expect_str_tuple,
)

if TYPE_CHECKING:
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_secretsmanager as secretsmanager


def _split_command(value: object) -> str | None:
    """``"python app.py"`` as ECS wants it: ``['python', 'app.py']`` (exec form)."""
    import shlex

    if not isinstance(value, str):
        return None
    try:
        return repr(shlex.split(value))
    except ValueError:
        return repr([value])


Command: TypeAlias = Annotated[Sequence[str], Nearest(_split_command)]
"""A command in exec form, one list item per argument; a string is refused (it would be
taken character by character), with its ``shlex.split`` as the nearest valid choice."""

CONTAINER_NAME_PATTERN = ECS_NAME  # containers and volumes follow ECS's name rule
PORT_NAME_PATTERN = re.compile(r"[a-z0-9_][a-z0-9_-]{0,63}")
USER_PATTERN = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?")
MIN_CONTAINER_MEMORY_MIB = 6  # Docker refuses a container limit below 6 MiB
MAX_STOP_TIMEOUT = timedelta(seconds=120)  # Fargate's ceiling
DEFAULT_WRITABLE_PATHS = ("/tmp",)

# The Docker reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?/)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE_PATTERN = re.compile(
    _DOMAIN
    + _COMPONENT
    + rf"(?:/{_COMPONENT})*"
    + r"(?::[\w][\w.-]{0,127})?"
    + r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


class Dependency(StrEnum):
    """When a container may start, relative to a container it depends on."""

    START = "START"
    """the other container has started"""
    COMPLETE = "COMPLETE"
    """the other (non-essential) container has exited, with any exit code"""
    SUCCESS = "SUCCESS"
    """the other (non-essential) container has exited with code 0"""
    HEALTHY = "HEALTHY"
    """the other container's health check passes (it must have one)"""


class AppProtocol(StrEnum):
    """The application protocol of a named port (Service Connect and gRPC/HTTP2 targets)."""

    HTTP = "http"
    HTTP2 = "http2"
    GRPC = "grpc"


class Transport(StrEnum):
    TCP = "tcp"
    UDP = "udp"


def _nearest_name(value: str, pattern: re.Pattern[str], *, lower: bool = False) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", value.lower() if lower else value).strip("-")
    cleaned = cleaned[:255] or "app"
    if pattern.fullmatch(cleaned):
        return cleaned
    return "app"


def check_container_name(value: Any, parameter: str = "name") -> str:
    return check_ecs_name(parameter, value, fallback="app")


def check_image_reference(parameter: str, reference: str) -> str:
    if not IMAGE_REFERENCE_PATTERN.fullmatch(reference):
        nearest = re.sub(r"\s+", "", reference)
        hint = None
        if reference != reference.lower() and IMAGE_REFERENCE_PATTERN.fullmatch(nearest.lower()):
            nearest = nearest.lower()
            hint = "Repository names are lowercase."
        raise InvalidParameterError(
            parameter,
            reference,
            "an image reference [registry[:port]/]repository[:tag][@digest] (no spaces, "
            "lowercase repository)",
            nearest=f"{parameter}={nearest!r}"
            if IMAGE_REFERENCE_PATTERN.fullmatch(nearest)
            else None,
            hint=hint,
        )
    return reference


@checked
@dataclass(frozen=True)
class Port:
    """A port a container listens on.

    :param port: 1 to 65535.
    :param name: a port name (lowercase letters, digits, ``_``, ``-``; at most 64), what
        Service Connect serves by; ``<container>-<port>`` (``-udp`` for UDP) unless given.
    :param app_protocol: HTTP, HTTP2 or GRPC (for Service Connect metrics and gRPC/HTTP2
        load balancer targets).
    :param transport: TCP (default) or UDP.
    """

    port: int
    _: KW_ONLY
    name: str | None = None
    app_protocol: AppProtocol | None = None
    transport: Transport = Transport.TCP

    def __post_init__(self) -> None:
        check_int_range("port", self.port, 1, 65535)
        if self.name is not None:
            name = expect_str("port name", self.name)
            if not PORT_NAME_PATTERN.fullmatch(name):
                raise InvalidParameterError(
                    "port name",
                    name,
                    "1 to 64 lowercase letters, digits, '_' and '-', not starting with '-'",
                    nearest=f"name={_nearest_name(name, PORT_NAME_PATTERN, lower=True)[:64]!r}",
                )
        if self.app_protocol is not None and not isinstance(self.app_protocol, AppProtocol):
            raise InvalidParameterError(
                "app_protocol",
                self.app_protocol,
                "AppProtocol.HTTP, AppProtocol.HTTP2 or AppProtocol.GRPC",
            )
        if not isinstance(self.transport, Transport):
            raise InvalidParameterError(
                "transport", self.transport, "Transport.TCP or Transport.UDP"
            )
        if self.app_protocol is not None and self.transport is Transport.UDP:
            raise InvalidParameterError(
                "app_protocol",
                self.app_protocol.name,
                "None for a UDP port (HTTP, HTTP2 and gRPC run over TCP)",
                nearest="app_protocol=None",
            )


@checked
@dataclass(frozen=True)
class Mount:
    """A volume of the task (see ``FargateTaskWithRoles(volumes=...)``) mounted into a
    container at ``path``."""

    volume: str
    path: str
    _: KW_ONLY
    read_only: bool = False

    def __post_init__(self) -> None:
        expect_str("volume", self.volume)
        check_absolute_path("path", expect_str("path", self.path))
        expect_bool("read_only", self.read_only)


@checked
@dataclass(frozen=True)
class HealthCheck:
    """A container health check (Docker's ``HEALTHCHECK``), with ECS's limits.

    :param command: e.g. ``("CMD-SHELL", "curl -f http://localhost:8000/health || exit 1")``;
        a bare command string list without ``CMD``/``CMD-SHELL`` is run with ``CMD-SHELL``.
    :param interval: 5 to 300 s (default 30 s).
    :param timeout: 2 to 60 s (default 5 s).
    :param retries: 1 to 10 (default 3).
    :param start_period: 0 to 300 s of failures ignored after start (default 0).
    """

    command: tuple[str, ...]
    _: KW_ONLY
    interval: DurationLike = timedelta(seconds=30)
    timeout: DurationLike = timedelta(seconds=5)
    retries: int = 3
    start_period: DurationLike = timedelta(0)

    def __post_init__(self) -> None:
        command = expect_str_tuple("health_check.command", self.command)
        if not command:
            raise InvalidParameterError(
                "health_check.command",
                command,
                "a command, e.g. ('CMD-SHELL', 'curl -f http://localhost/ || exit 1')",
            )
        object.__setattr__(self, "command", command)
        for name, low, high in (
            ("interval", 5, 300),
            ("timeout", 2, 60),
            ("start_period", 0, 300),
        ):
            value = as_timedelta(f"health_check.{name}", getattr(self, name))
            object.__setattr__(self, name, value)
            check_seconds(f"health_check.{name}", value, low, high)
        check_int_range("health_check.retries", self.retries, 1, 10, name="retries")


def check_absolute_path(parameter: str, path: str) -> str:
    if not path.startswith("/") or path != posixpath.normpath(path) or path == "/":
        nearest = posixpath.normpath("/" + path.lstrip("/")) if path.strip("/") else None
        raise InvalidParameterError(
            parameter,
            path,
            "an absolute, normalized path below '/' (e.g. '/var/cache/nginx')",
            nearest=f"{nearest!r}" if nearest and nearest != "/" else None,
        )
    return path


def is_root_user(user: str) -> bool:
    return user.split(":", 1)[0] in ("0", "root")


def paths_overlap(first: str, second: str) -> bool:
    return first == second or first.startswith(second + "/") or second.startswith(first + "/")


@checked
@dataclass(frozen=True)
class Container:
    """One container of a task. Every field is checked when the object is made; what depends
    on the other containers (ports, memory, start order) is checked by the task.

    :param name: 1 to 255 letters, digits, ``_`` and ``-``; unique in the task.
    :param image: an ``ecs.ContainerImage``, or an image reference string
        (``"public.ecr.aws/nginx/nginx:1.27"``), pulled with ``registry_credentials`` if given.
    :param essential: the task stops when an essential container stops (default True).
    :param cpu: CPU units reserved for this container (default: none, it shares the task's).
    :param memory_limit_mib: hard limit in MiB; the container is killed above it (default: the
        task's memory, so every container has one).
    :param memory_reservation_mib: soft reservation in MiB (default: see the docs' memory
        section: an even share of what the other containers leave).
    :param ports: ports it listens on: ``Port(...)`` or a plain port number.
    :param environment: plain, non-secret environment variables.
    :param secrets: environment variables read at start from Secrets Manager or SSM: an
        ``ecs.Secret``, or a ``secretsmanager.ISecret`` (whole secret), which may live in
        another stack without a dependency cycle; the execution role may read exactly these.
    :param command: overrides the image's CMD.
    :param entry_point: overrides the image's ENTRYPOINT.
    :param working_directory: absolute path the command runs in.
    :param user: user (and group) to run as, e.g. ``"101"``, ``"nginx"``, ``"1000:1000"``.
    :param health_check: :class:`HealthCheck` (or an ``ecs.HealthCheck``).
    :param depends_on: ``{"other-container": Dependency.HEALTHY}``: start order.
    :param readonly_root_filesystem: default: the task's setting (True on Linux).
    :param writable_paths: absolute paths that get a task-private scratch volume each, so a
        read-only root still lets the program write there (default ``("/tmp",)``).
    :param mounts: task volumes mounted into this container (:class:`Mount`).
    :param stop_timeout: time between SIGTERM and SIGKILL, 2 to 120 s (default: ECS's 30 s).
    :param registry_credentials: a Secrets Manager secret with ``username`` and ``password``
        for a private registry (Docker Hub and others), used with a string ``image``.
    """

    name: str
    image: str | ecs.ContainerImage
    _: KW_ONLY
    essential: bool = True
    cpu: int | None = None
    memory_limit_mib: int | None = None
    memory_reservation_mib: int | None = None
    ports: tuple[Port | int, ...] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, ecs.Secret | secretsmanager.ISecret] = field(default_factory=dict)
    command: Command | None = None
    entry_point: Command | None = None
    working_directory: str | None = None
    user: str | None = None
    health_check: HealthCheck | ecs.HealthCheck | None = None
    depends_on: Mapping[str, Dependency] = field(default_factory=dict)
    readonly_root_filesystem: bool | None = None
    writable_paths: tuple[str, ...] = DEFAULT_WRITABLE_PATHS
    mounts: tuple[Mount, ...] = ()
    stop_timeout: DurationLike | None = None
    registry_credentials: secretsmanager.ISecret | None = None

    def __post_init__(self) -> None:
        name = check_container_name(self.name)
        where = f"container {name!r}"
        self._check_image(where)
        expect_bool("essential", self.essential)
        cpu = expect_optional_int("cpu", self.cpu, what="CPU units (1024 = 1 vCPU), an int")
        if cpu is not None and not 0 <= cpu <= 16384:
            raise InvalidParameterError(
                "cpu",
                cpu,
                "0 to 16384 CPU units (1024 = 1 vCPU)",
                given=where,
                nearest=f"cpu={min(max(cpu, 0), 16384)}",
            )
        for parameter in ("memory_limit_mib", "memory_reservation_mib"):
            value = expect_optional_int(parameter, getattr(self, parameter), what="MiB, an int")
            if value is not None and value < MIN_CONTAINER_MEMORY_MIB:
                raise InvalidParameterError(
                    parameter,
                    value,
                    f"at least {MIN_CONTAINER_MEMORY_MIB} MiB",
                    given=where,
                    nearest=f"{parameter}={value * 1024 if value > 0 else 512}",
                    hint="The unit is MiB: 2 GiB is 2048." if 0 < value <= 120 else None,
                )
        limit, reservation = self.memory_limit_mib, self.memory_reservation_mib
        if limit is not None and reservation is not None and reservation > limit:
            raise InvalidParameterError(
                "memory_reservation_mib",
                reservation,
                f"at most the container's memory_limit_mib ({limit})",
                given=where,
                nearest=f"memory_reservation_mib={limit}",
            )
        object.__setattr__(self, "ports", self._normalized_ports(name))
        names = [port.name for port in self.port_list if port.name]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise InvalidParameterError(
                "ports", duplicate, "port names used once in the task", given=where
            )
        object.__setattr__(self, "environment", expect_str_mapping("environment", self.environment))
        object.__setattr__(self, "secrets", expect_str_mapping("secrets", self.secrets))
        check_variable_names(self.environment, self.secrets)
        for parameter in ("command", "entry_point", "writable_paths"):
            value = getattr(self, parameter)
            if value is not None:
                object.__setattr__(self, parameter, expect_str_tuple(parameter, value))
        if self.working_directory is not None:
            check_absolute_path(
                "working_directory", expect_str("working_directory", self.working_directory)
            )
        if self.user is not None:
            user = expect_str("user", self.user)
            if not re.fullmatch(
                r"[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?", user
            ):
                raise InvalidParameterError(
                    "user",
                    user,
                    "a user name or uid, optionally ':group' or ':gid' (e.g. '1000:1000')",
                    given=where,
                    nearest="user='65534'",
                )
        self._check_health_check()
        if not isinstance(self.depends_on, Mapping):
            raise InvalidParameterError(
                "depends_on", self.depends_on, "a mapping {container name: Dependency}"
            )
        for other, condition in self.depends_on.items():
            check_container_name(other, "depends_on")
            if not isinstance(condition, Dependency):
                raise InvalidParameterError(
                    "depends_on",
                    f"{other}: {condition!r}",
                    "Dependency.START, COMPLETE, SUCCESS or HEALTHY",
                    given=where,
                )
            if other == name:
                raise InvalidParameterError(
                    "depends_on", other, "other containers of the task", given=where
                )
        if self.readonly_root_filesystem is not None:
            expect_bool("readonly_root_filesystem", self.readonly_root_filesystem)
        self._check_writable_paths(where)
        mounts = self.mounts
        if isinstance(mounts, Mount) or not isinstance(mounts, list | tuple):
            raise InvalidParameterError("mounts", mounts, "a list or tuple of Mount(...)")
        object.__setattr__(self, "mounts", tuple(mounts))
        for mount in self.mounts:
            if not isinstance(mount, Mount):
                raise InvalidParameterError("mounts", mount, "Mount(volume, path)", given=where)
            clash = next((p for p in self.writable_paths if paths_overlap(p, mount.path)), None)
            if clash is not None:
                raise InvalidParameterError(
                    "mounts",
                    mount.path,
                    "paths that do not overlap the container's writable_paths",
                    given=f"{where} (writable_paths contains {clash!r})",
                )
        if self.stop_timeout is not None:
            timeout = as_timedelta("stop_timeout", self.stop_timeout)
            object.__setattr__(self, "stop_timeout", timeout)
            check_seconds("stop_timeout", timeout, 2, int(MAX_STOP_TIMEOUT.total_seconds()))

    def _check_image(self, where: str) -> None:
        from aws_cdk import aws_ecs as ecs

        if isinstance(self.image, str):
            check_image_reference("image", self.image)
        elif not isinstance(self.image, ecs.ContainerImage):
            raise InvalidParameterError(
                "image",
                type(self.image).__name__,
                "an ecs.ContainerImage or an image reference string",
                given=where,
            )
        if self.registry_credentials is not None:
            expect_interface(
                "registry_credentials",
                self.registry_credentials,
                "secret_arn",
                f"a secretsmanager.ISecret holding the registry's username and password ({where})",
            )
            if not isinstance(self.image, str):
                raise InvalidParameterError(
                    "registry_credentials",
                    "a secret",
                    "only with a string image (or pass credentials= to "
                    "ecs.ContainerImage.from_registry yourself)",
                    given=where,
                )

    def _normalized_ports(self, name: str) -> tuple[Port, ...]:
        ports = self.ports
        if isinstance(ports, int | Port) or not isinstance(ports, list | tuple):
            raise InvalidParameterError(
                "ports",
                ports,
                "a list or tuple of Port(...) or port numbers",
                nearest=f"ports=[{ports!r}]" if isinstance(ports, int | Port) else None,
            )
        normalized = []
        for port in ports:
            if not isinstance(port, Port):
                port = Port(expect_int("ports", port, what="Port(...) or a port number"))
            if port.name is None:
                suffix = "-udp" if port.transport is Transport.UDP else ""
                port = replace(
                    port, name=f"{name.lower().replace('_', '-')}-{port.port}{suffix}"[:64]
                )
            normalized.append(port)
        return tuple(normalized)

    def _check_health_check(self) -> None:
        from aws_cdk import aws_ecs as ecs

        if self.health_check is None or isinstance(
            self.health_check, HealthCheck | ecs.HealthCheck
        ):
            return
        raise InvalidParameterError(
            "health_check",
            type(self.health_check).__name__,
            "HealthCheck(command=...) or an ecs.HealthCheck",
        )

    def _check_writable_paths(self, where: str) -> None:
        for path in self.writable_paths:
            check_absolute_path("writable_paths", path)
        for index, path in enumerate(self.writable_paths):
            for other in self.writable_paths[index + 1 :]:
                if paths_overlap(path, other):
                    raise InvalidParameterError(
                        "writable_paths",
                        other,
                        "paths that neither repeat nor contain one another (one volume each)",
                        given=f"{where} (also {path!r})",
                        nearest=f"writable_paths={sorted({path, other}, key=len)[:1]}",
                    )

    @property
    def port_list(self) -> tuple[Port, ...]:
        """``ports``, each a :class:`Port` (plain numbers are turned into ports on creation)."""
        return tuple(port for port in self.ports if isinstance(port, Port))

    @property
    def port_numbers(self) -> tuple[int, ...]:
        return tuple(port.port for port in self.port_list)

    @property
    def has_health_check(self) -> bool:
        return self.health_check is not None


ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""Names a POSIX shell can read back (``A=B`` or ``MY VAR`` would be set, but unusable)."""


def check_variable_names(environment: Mapping[str, Any], secrets: Mapping[str, Any]) -> None:
    for parameter, names in (("environment", environment), ("secrets", secrets)):
        for name in names:
            if not ENV_NAME_PATTERN.fullmatch(name):
                cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name.strip()).strip("_")
                if cleaned[:1].isdigit():
                    cleaned = f"_{cleaned}"
                raise InvalidParameterError(
                    parameter,
                    name,
                    "non-empty environment variable names of letters, digits and '_', not starting "
                    "with a digit ([A-Za-z_][A-Za-z0-9_]*)",
                    nearest=f"{cleaned!r}" if cleaned else None,
                )
    from aws_cdk import aws_ecs as ecs

    for name, value in secrets.items():
        if not (isinstance(value, ecs.Secret) or hasattr(value, "secret_arn")):
            raise InvalidParameterError(
                "secrets",
                f"{name}={type(value).__name__}",
                "ecs.Secret values (ecs.Secret.from_secrets_manager(...), "
                "ecs.Secret.from_ssm_parameter(...)) or secretsmanager.ISecret values",
            )
    both = sorted(set(environment) & set(secrets))
    if both:
        raise InvalidParameterError(
            "secrets",
            both,
            "names not also given in environment (ECS rejects a variable defined twice)",
        )


@dataclass(frozen=True)
class MemoryPlan:
    """Each container's hard limit and reservation (MiB), after the task's defaults."""

    limits: dict[str, int]
    reservations: dict[str, int | None]


def check_containers(
    containers: Sequence[Container],
    *,
    task_cpu: int,
    task_memory_mib: int,
    volume_names: Sequence[str],
) -> MemoryPlan:
    """What ECS checks across the containers of one task, at synth time. Returns the memory
    each container gets."""
    names = [c.name for c in containers]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise InvalidParameterError(
            "name",
            duplicate,
            "a container name used once in the task",
            nearest=f"name={duplicate + '-2'!r}",
        )
    if not any(c.essential for c in containers):
        raise InvalidParameterError(
            "essential",
            False,
            "at least one essential container (ECS stops the task when one stops)",
            given=f"containers {names}",
            nearest=f"Container({names[0]!r}, ..., essential=True)",
        )
    _check_ports(containers)
    _check_cpu(containers, task_cpu)
    _check_mounts(containers, volume_names)
    _check_start_order(containers)
    return plan_memory(containers, task_memory_mib)


def _check_ports(containers: Sequence[Container]) -> None:
    owners: dict[tuple[int, Transport], str] = {}
    port_names: dict[str, str] = {}
    for container in containers:
        for port in container.port_list:
            key = (port.port, port.transport)
            if key in owners:
                raise InvalidParameterError(
                    "ports",
                    port.port,
                    "a port no other container of the task uses: containers of a Fargate "
                    "(awsvpc) task share one network namespace",
                    given=f"container {container.name!r} (container {owners[key]!r} has it)",
                    nearest=f"ports=[{_free_port(port.port, owners)}]",
                )
            owners[key] = container.name
            if port.name is not None:
                if port.name in port_names:
                    raise InvalidParameterError(
                        "port name",
                        port.name,
                        "a port name used once in the task",
                        given=f"container {container.name!r} "
                        f"(container {port_names[port.name]!r} has it)",
                        nearest=f"name={port.name + '-' + container.name.lower()!r}"[:70],
                    )
                port_names[port.name] = container.name


def _free_port(port: int, used: Mapping[tuple[int, Transport], str]) -> int:
    taken = {number for number, _ in used}
    candidates: list[int] = [*range(port + 1, 65536), *range(port - 1, 0, -1)]
    return next(p for p in candidates if p not in taken)


def _check_cpu(containers: Sequence[Container], task_cpu: int) -> None:
    total = 0
    for container in containers:
        if container.cpu is None:
            continue
        total += container.cpu
        if total > task_cpu:
            raise InvalidParameterError(
                "cpu",
                container.cpu,
                f"container CPU units summing to at most the task's {task_cpu}",
                given=f"container {container.name!r} (sum so far {total})",
                nearest=f"cpu={max(0, container.cpu - (total - task_cpu))}",
            )


def _check_mounts(containers: Sequence[Container], volume_names: Sequence[str]) -> None:
    for container in containers:
        for mount in container.mounts:
            if mount.volume not in volume_names:
                raise InvalidParameterError(
                    "mounts",
                    mount.volume,
                    f"a volume of the task ({', '.join(volume_names) or 'none declared'}); "
                    "declare it in FargateTaskWithRoles(volumes=[...])",
                    given=f"container {container.name!r}",
                )


def _check_start_order(containers: Sequence[Container]) -> None:
    by_name = {c.name: c for c in containers}
    for container in containers:
        for other, condition in container.depends_on.items():
            target = by_name.get(other)
            where = f"container {container.name!r}"
            if target is None:
                raise InvalidParameterError(
                    "depends_on",
                    other,
                    f"a container of the task ({', '.join(by_name)})",
                    given=where,
                )
            if condition is Dependency.HEALTHY and not target.has_health_check:
                raise InvalidParameterError(
                    "depends_on",
                    f"{other}: HEALTHY",
                    "HEALTHY only on a container with a health check",
                    given=where,
                    nearest=f"{other}: Dependency.START, or give {other!r} a health_check",
                )
            if condition in (Dependency.SUCCESS, Dependency.COMPLETE) and target.essential:
                raise InvalidParameterError(
                    "depends_on",
                    f"{other}: {condition.value}",
                    f"{condition.value} only on a non-essential container (an essential one "
                    "that exits stops the task)",
                    given=where,
                    nearest=f"Container({other!r}, ..., essential=False)",
                )
    # A cycle never starts: ECS waits forever (the task fails to start).
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in by_name[name].depends_on:
            if state.get(other) == 1:
                cycle = [*path[path.index(other) :], other] if other in path else [name, other]
                raise InvalidParameterError(
                    "depends_on",
                    " -> ".join(cycle),
                    "a start order without cycles",
                    given=f"container {name!r}",
                )
            if state.get(other) is None:
                visit(other, [*path, other])
        state[name] = 2

    for name in by_name:
        if name not in state:
            visit(name, [name])


def plan_memory(containers: Sequence[Container], task_memory_mib: int) -> MemoryPlan:
    """Every container gets a hard limit (default the task's memory). The scheduler places
    each container by its reservation, or its hard limit where it has none; their sum must fit
    in the task. Containers that give neither share what the others leave evenly (a single
    container keeps just its hard limit)."""
    limits: dict[str, int] = {}
    reservations: dict[str, int | None] = {}
    counted = 0
    undeclared = []
    for container in containers:
        limit = container.memory_limit_mib
        if limit is not None and limit > task_memory_mib:
            raise InvalidParameterError(
                "memory_limit_mib",
                limit,
                f"at most the task's memory ({task_memory_mib} MiB)",
                given=f"container {container.name!r}",
                nearest=f"memory_limit_mib={task_memory_mib}, or a larger task size",
            )
        limits[container.name] = task_memory_mib if limit is None else limit
        reservations[container.name] = container.memory_reservation_mib
        if container.memory_reservation_mib is not None:
            counted += container.memory_reservation_mib
        elif limit is not None:
            counted += limit
        else:
            undeclared.append(container.name)
        if counted > task_memory_mib:
            own = container.memory_reservation_mib or limit or 0
            excess = counted - task_memory_mib
            raise InvalidParameterError(
                "memory_reservation_mib",
                container.memory_reservation_mib or limit,
                f"reservations (or hard limits where no reservation is given) summing to at "
                f"most the task's memory ({task_memory_mib} MiB)",
                given=f"container {container.name!r} (sum so far {counted} MiB)",
                nearest=f"memory_reservation_mib={max(MIN_CONTAINER_MEMORY_MIB, own - excess)}",
            )
    if len(containers) > 1 and undeclared:
        share = (task_memory_mib - counted) // len(undeclared)
        if share < MIN_CONTAINER_MEMORY_MIB:
            raise InvalidParameterError(
                "memory_reservation_mib",
                None,
                f"a reservation for container {undeclared[0]!r}: the other containers leave "
                f"{task_memory_mib - counted} MiB of the task's {task_memory_mib} MiB",
                given=f"container {undeclared[0]!r}",
                nearest="smaller reservations on the other containers, or a larger task size",
            )
        for name in undeclared:
            reservations[name] = share
    return MemoryPlan(limits, reservations)
