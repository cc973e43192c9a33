"""One Copilot service manifest, for one environment, as the construct calls that replace it.

Pure Python: values become Python source (``py(...)``) for the code generator; every key is
either mapped, or reported with what was done instead and what is left to do by hand."""

from __future__ import annotations

import difflib
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameterError
from ..schedules import check_schedule_expression, unix_cron_to_scheduler
from ..sizing import MEMORY_BY_CPU, OperatingSystem, nearest_size
from .manifest import KeyPath, Manifest

KIND = {
    "Load Balanced Web Service": "web",
    "Backend Service": "backend",
    "Worker Service": "worker",
    "Scheduled Job": "job",
}
UNSUPPORTED = {
    "Request-Driven Web Service": "it runs on AWS App Runner, not ECS; App Runner has no CDK "
    "construct in this library (ECS Express Mode or a FargateService behind a LoadBalancer is "
    "the nearest)",
    "Static Site": "it is an S3 bucket behind CloudFront, not a container; use aws_s3_deployment "
    "with a CloudFront distribution",
}
SCHEMA_KEYS = {
    "name", "type", "image", "cpu", "memory", "platform", "count", "exec", "command",
    "entrypoint", "env_file", "variables", "secrets", "http", "nlb", "network", "sidecars",
    "logging", "observability", "storage", "deployment", "publish", "subscribe", "on",
    "retries", "timeout", "taskdef_overrides", "environments", "tags", "build",
}  # fmt: skip
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
RETENTION_NAMES = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS",
    30: "ONE_MONTH", 60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS",
    150: "FIVE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS", 1827: "FIVE_YEARS",
    2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip


class MappingError(Exception):
    """A value that cannot be converted: one line naming the file, line and key."""


@dataclass(frozen=True)
class Note:
    """One line of the migration report."""

    file: str
    line: int | None
    key: str
    done: str
    todo: str


class Code(str):
    """Python source, written into the generated app as is (not quoted)."""


def _call(name: str, arguments: dict[str, Any]) -> Code:
    """``name(key=value, ...)`` as Python source."""
    return Code(f"{name}({', '.join(f'{key}={py(value)}' for key, value in arguments.items())})")


def py(value: Any) -> str:
    """``value`` as Python source."""
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        items = [py(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(py(item) for item in value) + "]"
    return repr(value)


@dataclass
class ServicePlan:
    name: str
    kind: str
    environment: str
    manifest: Manifest
    task: dict[str, Any] = field(default_factory=dict)
    service: dict[str, Any] = field(default_factory=dict)
    route: dict[str, Any] | None = None
    publishes: list[str] = field(default_factory=list)
    subscribes: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    connect_alias: str | None = None
    port: int | None = None
    notes: list[Note] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # what app.py imports from fargate_constructs


class _Mapper:
    def __init__(self, manifest: Manifest, environment: str, app: str) -> None:
        self.manifest = manifest
        self.plan = ServicePlan(manifest.name, KIND[manifest.type], environment, manifest)
        self.used: set[KeyPath] = {("name",), ("type",), ("environments",)}
        self.data = _interpolate(
            manifest.for_environment(environment),
            {
                "COPILOT_APPLICATION_NAME": app,
                "COPILOT_SERVICE_NAME": manifest.name,
            },
        )

    # -- reading -------------------------------------------------------------------------------
    def get(self, *path: str) -> Any:
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        self.used.add(path)
        return node

    def where(self, path: KeyPath) -> tuple[int | None, str]:
        """The line of ``path`` and its name, ``environments.<env>.`` first when an override
        set it."""
        prefix = ("environments", self.plan.environment)
        for length in range(len(path), 0, -1):
            overridden = (*prefix, *path[:length])
            if overridden in self.manifest.lines:
                return self.manifest.lines[overridden], ".".join((*prefix, *path))
            if path[:length] in self.manifest.lines:
                return self.manifest.lines[path[:length]], ".".join(path)
        return None, ".".join(path)

    def note(self, path: KeyPath, done: str, todo: str) -> None:
        self.used.add(path)
        line, key = self.where(path)
        self.plan.notes.append(Note(self.manifest.relative, line, key, done, todo))

    def rest(
        self, path: KeyPath, mapping: dict[str, Any], known: tuple[str, ...], done: str, todo: str
    ) -> None:
        """Report each key of ``mapping`` (at ``path``) that is not one of ``known``."""
        for key in mapping:
            if key not in known:
                self.note((*path, key), done, todo)

    def fail(self, path: KeyPath, value: Any, allowed: str) -> MappingError:
        line, key = self.where(path)
        where = f"{self.manifest.relative}:{line}" if line else self.manifest.relative
        return MappingError(f"{where}: key '{key}' is {value!r}; {allowed}")

    # -- the mapping ---------------------------------------------------------------------------
    def run(self) -> ServicePlan:
        plan = self.plan
        self._image()
        self._size()
        self._variables()
        self._secrets()
        self._command()
        if self.get("exec") is True:
            plan.task["enable_exec"] = True
        self._logging()
        self._storage()
        self._observability()
        self._sidecars()
        if plan.kind == "web":
            self._http()
        elif self.get("http") not in (None, False):
            self.note(
                ("http",),
                "not mapped",
                "a Backend Service behind an internal ALB: add a "
                "LoadBalancer(public=False) to its FargateService",
            )
        if plan.kind in ("web", "backend"):
            self._count()
            self._network_connect()
            self._deployment()
        if plan.kind == "worker":
            self._worker()
        if plan.kind == "job":
            self._job()
        self._nlb()
        self._publish()
        self._network_placement()
        self._taskdef_overrides()
        self._leftovers()
        return plan

    def _image(self) -> None:
        plan = self.plan
        image = self.get("image")
        build = self.get("image", "build") if isinstance(image, dict) else None
        build = build if build is not None else self.get("build")
        location = self.get("image", "location") if isinstance(image, dict) else None
        if isinstance(image, str):
            location = image
        if location:
            plan.task["image"] = (
                location if isinstance(location, Code) else _image_location(str(location))
            )
        elif build:
            plan.task["image"] = _asset(build, self)
        else:
            raise self.fail(("image",), image, "expected image.build or image.location")
        if isinstance(image, dict):
            port = self.get("image", "port")
            if port is not None:
                if not isinstance(port, int) or not 1 <= port <= 65535:
                    raise self.fail(("image", "port"), port, "a port from 1 to 65535")
                plan.task["container_port"] = port
                plan.port = port
            check = self.get("image", "healthcheck")
            if isinstance(check, dict):
                plan.task["health_check"] = _container_health(check, self)
                plan.names.add("HealthCheck")
            for key in ("credentials", "labels", "docker_labels", "depends_on"):
                if key in image:
                    self.note(("image", key), "not mapped", _HAND[f"image.{key}"])

    def _size(self) -> None:
        cpu, memory = self.get("cpu"), self.get("memory")
        cpu = 256 if cpu is None else cpu
        memory = 512 if memory is None else memory
        for key, value in (("cpu", cpu), ("memory", memory)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.fail((key,), value, "a whole number")
        if cpu not in MEMORY_BY_CPU:
            near = min(MEMORY_BY_CPU, key=lambda c: abs(c - cpu))
            raise self.fail(
                ("cpu",),
                cpu,
                f"Fargate CPU units are {', '.join(map(str, MEMORY_BY_CPU))}; nearest: {near}",
            )
        platform = self.get("platform")
        arch = "X86_64"
        if isinstance(platform, str):
            arch = "ARM64" if platform.endswith(("arm64", "arm")) else "X86_64"
            if not platform.startswith("linux"):
                self.note(
                    ("platform",),
                    "Linux kept",
                    "Windows tasks: set operating_system= on FargateTaskWithRoles by hand",
                )
        elif isinstance(platform, dict):
            arch = "ARM64" if str(platform.get("architecture", "")).startswith("arm") else "X86_64"
            if str(platform.get("osfamily", "linux")).lower() != "linux":
                self.note(
                    ("platform",),
                    "Linux kept",
                    "Windows tasks: set operating_system= on FargateTaskWithRoles by hand",
                )
        size_cpu, size_memory = nearest_size(cpu, memory, OperatingSystem.LINUX)
        if (size_cpu, size_memory) != (cpu, memory):
            self.note(
                ("memory",),
                f"TaskSize({size_cpu}, {size_memory})",
                f"cpu {cpu} with memory {memory} is not a Fargate size; check the "
                "nearest valid one suits the application",
            )
        args = [Code(str(size_cpu)), Code(str(size_memory))]
        if arch == "ARM64":
            args.append(Code("architecture=Architecture.ARM64"))
            self.plan.names.add("Architecture")
        ephemeral = self.get("storage", "ephemeral")
        if ephemeral is not None:
            if not isinstance(ephemeral, int) or not 20 <= ephemeral <= 200:
                raise self.fail(("storage", "ephemeral"), ephemeral, "20 to 200 (GiB)")
            if ephemeral > 20:
                args.append(Code(f"ephemeral_storage_gib={ephemeral}"))
        self.plan.task["size"] = Code(f"TaskSize({', '.join(map(str, args))})")
        self.plan.names.add("TaskSize")

    def _variables(self) -> None:
        variables = self.get("variables")
        if not isinstance(variables, dict):
            return
        plain: dict[str, str] = {}
        for name, value in variables.items():
            if isinstance(value, dict | list):
                self.note(
                    ("variables", name),
                    "left out",
                    "a from_cfn or computed value: pass "
                    "the other stack's value (e.g. an output) as environment=",
                )
                continue
            plain[str(name)] = "" if value is None else _scalar_text(value)
        if plain:
            self.plan.task["environment"] = plain

    def _secrets(self) -> None:
        secrets = self.get("secrets")
        if not isinstance(secrets, dict):
            return
        mapped: dict[str, Code] = {}
        for name, value in secrets.items():
            if isinstance(value, str) and value.startswith("arn:aws:secretsmanager:"):
                arn, _, json_key = value.partition(":SecretString:")
                field = json_key.split(":")[0] if json_key else None
                mapped[name] = Code(
                    f"ecs.Secret.from_secrets_manager(secretsmanager.Secret.from_secret_complete_"
                    f"arn(self, {py(name + 'Secret')}, {py(arn)})"
                    + (f", field={py(field)})" if field else ")")
                )
            elif isinstance(value, str):
                mapped[name] = Code(
                    "ecs.Secret.from_ssm_parameter(ssm.StringParameter.from_secure_string_"
                    f"parameter_attributes(self, {py(name + 'Parameter')}, "
                    f"parameter_name={py(value)}))"
                )
            elif isinstance(value, dict) and isinstance(value.get("secretsmanager"), str):
                secret_name, _, json_key = value["secretsmanager"].partition(":")
                field = json_key.split(":")[0] if json_key else None
                mapped[name] = Code(
                    f"ecs.Secret.from_secrets_manager(secretsmanager.Secret.from_secret_name_v2("
                    f"self, {py(name + 'Secret')}, {py(secret_name)})"
                    + (f", field={py(field)})" if field else ")")
                )
            else:
                self.note(
                    ("secrets", name),
                    "left out",
                    "a from_cfn secret: pass the other stack's ISecret in secrets=",
                )
        if mapped:
            self.plan.task["secrets"] = mapped

    def _command(self) -> None:
        for key in ("command", "entrypoint"):
            value = self.get(key)
            if value is None:
                continue
            words = shlex.split(value) if isinstance(value, str) else [str(w) for w in value]
            if key == "command":
                self.plan.task["command"] = words
            else:
                self.note(
                    ("entrypoint",),
                    "not mapped",
                    "set entry_point= on a Container(...) "
                    "main container (the task's container= parameter)",
                )
        if self.get("env_file") is not None:
            self.note(("env_file",), "not mapped", _HAND["env_file"])

    def _logging(self) -> None:
        logging = self.get("logging")
        if not isinstance(logging, dict):
            return
        retention = logging.get("retention")
        if isinstance(retention, int):
            days = min(LOG_RETENTION_DAYS, key=lambda d: (abs(d - retention), -d))
            self.plan.task["log_retention"] = Code(f"logs.RetentionDays.{RETENTION_NAMES[days]}")
            self.used.add(("logging", "retention"))
        self.rest(
            ("logging",),
            logging,
            ("retention",),
            "not mapped",
            "FireLens log routing: pass log_router=FireLens(...) to FargateTaskWithRoles",
        )

    def _storage(self) -> None:
        # Copilot's root filesystems are writable unless readonly_fs; the library's default is
        # read-only, which an application that writes outside /tmp would crash on.
        self.plan.task["readonly_root_filesystem"] = False
        storage = self.get("storage")
        if not isinstance(storage, dict):
            return
        if "readonly_fs" in storage:
            self.used.add(("storage", "readonly_fs"))
            if storage["readonly_fs"] is True and self.data.get("exec") is True:
                self.note(
                    ("storage", "readonly_fs"),
                    "root filesystem writable",
                    "ECS Exec's agent writes to the root filesystem, so exec and a read-only "
                    "root cannot both hold; drop exec to make it read-only",
                )
            else:
                self.plan.task["readonly_root_filesystem"] = storage["readonly_fs"] is True
        self.used.add(("storage", "ephemeral"))
        for key in storage:
            if key == "volumes":
                self.note(
                    ("storage", "volumes"),
                    "not mapped",
                    "EFS and bind mounts: pass "
                    "volumes=[EfsVolume(...)] with an efs.FileSystem of the platform stack",
                )
            elif key not in ("readonly_fs", "ephemeral"):
                self.note(("storage", key), "not mapped", "not a storage option this library has")

    def _observability(self) -> None:
        tracing = self.get("observability", "tracing")
        if tracing == "awsxray":
            self.plan.task["tracing"] = Code("Tracing()")
            self.plan.names.add("Tracing")

    def _sidecars(self) -> None:
        sidecars = self.get("sidecars")
        if not isinstance(sidecars, dict):
            return
        containers = []
        for name, spec in sidecars.items():
            image = spec.get("image") if isinstance(spec, dict) else None
            if isinstance(image, str):
                image_code: Any = (
                    image
                    if isinstance(image, Code)
                    else _image_location(image, f"{name}Repository")
                )
            elif isinstance(image, dict) and image.get("build"):
                image_code = _asset(image["build"], self)
            else:
                self.note(
                    ("sidecars", name),
                    "left out",
                    "a sidecar without an image: add Container(...) to sidecars= by hand",
                )
                continue
            args = [f"name={py(name)}", f"image={py(image_code)}"]
            if isinstance(spec.get("port"), int | str):
                port = int(str(spec["port"]).split("/")[0])
                args.append(f"ports=({port},)")
            if isinstance(spec.get("variables"), dict):
                variables = {
                    k: _scalar_text(v)
                    for k, v in spec["variables"].items()
                    if not isinstance(v, dict | list)
                }
                args.append(f"environment={py(variables)}")
            if spec.get("essential") is False:
                args.append("essential=False")
            if isinstance(spec.get("command"), str | list):
                command = spec["command"]
                words = shlex.split(command) if isinstance(command, str) else command
                args.append(f"command={py(tuple(words))}")
            containers.append(Code(f"Container({', '.join(args)})"))
            self.rest(
                ("sidecars", name),
                spec,
                ("image", "port", "variables", "essential", "command"),
                "not mapped",
                f"set it on Container({name!r}) by hand if the library supports it",
            )
        if containers:
            self.plan.task["sidecars"] = containers
            self.plan.names.add("Container")

    def _http(self) -> None:
        http = self.get("http")
        if http is False or http is None:
            if self.data.get("nlb") is None:
                self.note(("http",), "no load balancer", "http: false makes it a backend service")
            self.plan.kind = "backend"
            return
        if not isinstance(http, dict):
            raise self.fail(("http",), http, "a map (path, healthcheck, alias, ...)")
        public = http.get("public") if isinstance(http.get("public"), dict) else None
        settings = public or http
        route: dict[str, Any] = {}
        health: dict[str, Any] = {}  # TargetHealth(...) fields
        path = settings.get("path", "/")
        self.used.add(("http", "path"))
        route["path_patterns"] = ["/*" if path in ("/", "") else f"/{str(path).strip('/')}*"]
        check = settings.get("healthcheck")
        if isinstance(check, str):
            health["path"] = check
        elif isinstance(check, dict):
            if "path" in check:
                health["path"] = str(check["path"])
            if "success_codes" in check:
                health["healthy_http_codes"] = str(check["success_codes"])
            for key in ("healthy_threshold", "unhealthy_threshold"):
                if isinstance(check.get(key), int):
                    health[key] = check[key]
            for key in ("interval", "timeout"):
                if key in check:
                    health[key] = _duration(check[key], ("http", "healthcheck", key), self)
            if "grace_period" in check:
                self.plan.service["health_check_grace_period"] = _duration(
                    check["grace_period"], ("http", "healthcheck", "grace_period"), self
                )
            self.rest(
                ("http", "healthcheck"),
                check,
                (
                    "path",
                    "success_codes",
                    "healthy_threshold",
                    "unhealthy_threshold",
                    "interval",
                    "timeout",
                    "grace_period",
                ),
                "not mapped",
                "set it on the route",
            )
        self.used.add(("http", "healthcheck"))
        if "deregistration_delay" in settings:
            health["deregistration_delay"] = _duration(
                settings["deregistration_delay"], ("http", "deregistration_delay"), self
            )
        if settings.get("stickiness") is True:
            health["stickiness"] = Code("Duration.days(1)")
        alias = settings.get("alias")
        if alias:
            names = alias if isinstance(alias, list) else [alias]
            hosts = [a["name"] if isinstance(a, dict) else str(a) for a in names]
            route["host_headers"] = hosts
            self.note(
                ("http", "alias"),
                f"host_headers={hosts}",
                "the shared load balancer "
                "needs a certificate for these names (platform stack) and DNS records "
                "pointing at it (Domain(...) or your DNS)",
            )
        if "targetContainer" in settings and "target_container" not in settings:
            # Copilot's older spelling, which it still accepted.
            settings = {**settings, "target_container": settings["targetContainer"]}
            self.used.add(("http", "targetContainer"))
        target = settings.get("target_container")
        if target is not None and target != self.plan.name:
            # Copilot names the main container after the service; here it is "app".
            self.plan.service["target_container"] = str(target)
        if "target_port" in settings:
            self.plan.service["target_port"] = int(settings["target_port"])
        version = settings.get("version")
        if isinstance(version, str) and version.lower() in ("grpc", "http2"):
            health["protocol_version"] = Code(f"ProtocolVersion.{version.upper()}")
            self.plan.names.add("ProtocolVersion")
        for key in (
            "stickiness",
            "deregistration_delay",
            "alias",
            "target_container",
            "target_port",
            "version",
            "hosted_zone",
        ):
            self.used.add(("http", key))
        if "hosted_zone" in settings:
            self.note(
                ("http", "hosted_zone"),
                "not mapped",
                "alias records: give the platform's "
                "SharedLoadBalancer domain=Domain(name, zone) or add records by hand",
            )
        if "allowed_source_ips" in settings:
            self.note(
                ("http", "allowed_source_ips"),
                "not mapped",
                "SharedLoadBalancer("
                f"allowed_cidrs={settings['allowed_source_ips']!r}) in the platform stack "
                "limits every service on it",
            )
        for key in settings:
            if key not in (
                "path",
                "healthcheck",
                "deregistration_delay",
                "stickiness",
                "alias",
                "target_container",
                "target_port",
                "version",
                "hosted_zone",
                "allowed_source_ips",
                "targetContainer",
            ):
                prefix = ("http", "public") if public else ("http",)
                self.note(
                    (*prefix, key),
                    "not mapped",
                    _HAND.get(
                        f"http.{key}", "no equivalent on SharedLoadBalancer.route(); add it by hand"
                    ),
                )
        if public:
            self.used.add(("http", "public"))
        if health:
            route["health"] = _call("TargetHealth", health)
            self.plan.names.add("TargetHealth")
        self.plan.route = route

    def _count(self) -> None:
        count = self.get("count")
        if count is None:
            self.plan.service["desired_count"] = 1
            return
        if isinstance(count, int) and not isinstance(count, bool):
            self.plan.service["desired_count"] = count
            return
        if not isinstance(count, dict):
            raise self.fail(("count",), count, "a number or a map (range, cpu_percentage, ...)")
        spot = count.get("spot")
        if isinstance(spot, int):
            self.plan.service["desired_count"] = spot
            self.plan.service["capacity"] = Code("Capacity.spot()")
            self.plan.names.add("Capacity")
            self.used.add(("count", "spot"))
        scaling = self._scaling(count)
        if scaling is not None:
            self.plan.service.pop("desired_count", None)
            self.plan.service["scaling"] = scaling

    def _scaling(self, count: dict[str, Any]) -> Code | None:
        range_ = count.get("range")
        if range_ is None:
            return None
        low, high, spot_from = _range(range_, self)
        self.used.add(("count", "range"))
        tracking = []
        for key, name in (
            ("cpu_percentage", "cpu_percent"),
            ("memory_percentage", "memory_percent"),
        ):
            value = count.get(key)
            value = value.get("value") if isinstance(value, dict) else value
            if isinstance(value, int):
                tracking.append(f"{name}={value}")
                self.used.add(("count", key))
        requests = count.get("requests")
        requests = requests.get("value") if isinstance(requests, dict) else requests
        if isinstance(requests, int) and self.plan.kind == "web":
            tracking.append(f"requests_per_target={requests}")
            self.used.add(("count", "requests"))
        if "response_time" in count:
            self.note(
                ("count", "response_time"),
                "not mapped",
                "no response-time target "
                "tracking here; use requests_per_target or a StepScaling on the target "
                "group's TargetResponseTime",
            )
        if "cooldown" in count:
            self.note(
                ("count", "cooldown"),
                "library defaults (out 60 s, in 300 s)",
                "set TargetTracking(scale_in_cooldown=, scale_out_cooldown=) if needed",
            )
        if spot_from is not None:
            self.plan.service["capacity"] = Code(
                f"Capacity(on_demand_base={max(spot_from - 1, 0)}, on_demand_weight=0, "
                "spot_weight=1)"
            )
            self.plan.names.add("Capacity")
        if not tracking:
            tracking.append("cpu_percent=70")
            self.note(
                ("count", "range"),
                "TargetTracking(cpu_percent=70)",
                "Copilot's range had no metric; pick the one that tracks this service's load",
            )
        self.plan.names.update({"AutoScaling", "TargetTracking"})
        return Code(
            f"AutoScaling(min_capacity={low}, max_capacity={high}, "
            f"target_tracking=TargetTracking({', '.join(tracking)}))"
        )

    def _network_connect(self) -> None:
        connect = self.get("network", "connect")
        if connect is True or isinstance(connect, dict):
            alias = connect.get("alias") if isinstance(connect, dict) else None
            self.plan.connect_alias = str(alias or self.plan.name)

    def _network_placement(self) -> None:
        vpc = self.get("network", "vpc")
        if not isinstance(vpc, dict):
            return
        placement = vpc.get("placement")
        if placement not in (None, "private"):
            self.note(
                ("network", "vpc", "placement"),
                "private subnets, no public IP",
                "tasks get no public IPs in this library; they reach the internet "
                "through the NAT gateway",
            )
        self.used.add(("network", "vpc", "placement"))
        if "security_groups" in vpc:
            self.note(
                ("network", "vpc", "security_groups"),
                "not mapped",
                "add the groups to "
                "service.service.connections by hand, or express the traffic with "
                "connects_to=/allow_from()",
            )
        self.rest(
            ("network", "vpc"), vpc, ("placement", "security_groups"), "not mapped", "no equivalent"
        )

    def _deployment(self) -> None:
        rolling = self.get("deployment", "rolling")
        if rolling == "recreate":
            self.plan.service["deployment"] = Code(
                "RollingDeployment(min_healthy_percent=0, max_healthy_percent=100)"
            )
            self.plan.names.add("RollingDeployment")
        alarms = self.get("deployment", "rollback_alarms")
        if alarms is not None:
            self.note(
                ("deployment", "rollback_alarms"),
                "the service's own rollback alarm",
                "services with a load balancer roll back on 5xx/unhealthy targets; add "
                "RollingDeployment(alarm_names=[...]) for more",
            )

    def _worker(self) -> None:
        subscribe = self.get("subscribe")
        if isinstance(subscribe, dict):
            for topic in subscribe.get("topics") or []:
                if isinstance(topic, dict) and "name" in topic and "service" in topic:
                    policy = topic.get("filter_policy")
                    self.plan.subscribes.append((str(topic["service"]), str(topic["name"]), policy))
                    self.rest(
                        ("subscribe", "topics"),
                        topic,
                        ("name", "service", "filter_policy"),
                        "one queue for all topics",
                        "a queue per topic is not built; the worker reads one",
                    )
            queue = subscribe.get("queue")
            if isinstance(queue, dict):
                if "timeout" in queue:
                    self.plan.service["visibility_timeout"] = _duration(
                        queue["timeout"], ("subscribe", "queue", "timeout"), self
                    )
                if "retention" in queue:
                    self.plan.service["retention_period"] = _duration(
                        queue["retention"], ("subscribe", "queue", "retention"), self
                    )
                tries = (queue.get("dead_letter") or {}).get("tries")
                if isinstance(tries, int):
                    self.plan.service["max_receive_count"] = tries
                self.rest(
                    ("subscribe", "queue"),
                    queue,
                    ("timeout", "retention", "dead_letter"),
                    "not mapped",
                    "set it on worker.queue's CfnQueue",
                )
        count = self.get("count")
        low, high = 0, 10
        backlog = 10
        if isinstance(count, int):
            low, high = count, max(count, 1)
        elif isinstance(count, dict):
            if "range" in count:
                low, high, _ = _range(count["range"], self)
            delay = count.get("queue_delay")
            if isinstance(delay, dict):
                latency = _seconds(delay.get("acceptable_latency", "10m"), self)
                per_message = _seconds(delay.get("msg_processing_time", "250ms"), self)
                backlog = max(int(latency / max(per_message, 0.001)), 1)
            self.rest(
                ("count",),
                count,
                ("range", "queue_delay"),
                "backlog-per-task scaling",
                "queue workers scale on backlog per task here",
            )
        self.plan.service["scaling"] = Code(
            f"AutoScaling(min_capacity={low}, max_capacity={high}, "
            f"backlog_tracking=BacklogTracking(backlog_per_task={backlog}))"
        )
        self.plan.names.update({"AutoScaling", "BacklogTracking"})
        if isinstance(count, int) and count > 0:
            self.note(
                ("count",),
                f"AutoScaling(min_capacity={low}, max_capacity={high})",
                "Copilot ran a fixed count, kept as the bounds; raise max_capacity to let the "
                "worker scale on its queue",
            )

    def _job(self) -> None:
        schedule = self.get("on", "schedule")
        if not isinstance(schedule, str):
            raise self.fail(
                ("on", "schedule"), schedule, "a schedule such as '@daily' or '0 2 * * *'"
            )
        self.plan.service["schedule"] = _scheduler_expression(schedule, self)
        if "retries" in self.data:
            self.note(
                ("retries",),
                "not mapped",
                "Copilot retried failed runs through Step "
                "Functions; Scheduler retries only runs it could not start "
                "(retry_attempts=). Make the job idempotent and re-run it from its "
                "dead-letter queue or your own check",
            )
        if "timeout" in self.data:
            self.note(
                ("timeout",),
                "not mapped",
                "no run timeout without Step Functions: end "
                "long runs in the job itself (see the README)",
            )
        count = self.get("count")
        if isinstance(count, dict) and "spot" in count:
            self.plan.service["capacity"] = Code("Capacity.spot()")
            self.plan.names.add("Capacity")

    def _nlb(self) -> None:
        nlb = self.get("nlb")
        if nlb is None:
            return
        port_text = str(nlb.get("port", "")) if isinstance(nlb, dict) else ""
        match = re.fullmatch(r"(\d+)(?:/(tcp|udp|tls|tcp_udp))?", port_text.lower())
        if (
            self.plan.route is not None
            or match is None
            or match.group(2) in ("tls", "udp", "tcp_udp")
        ):
            self.note(
                ("nlb",),
                "not mapped",
                "a service has one load balancer here: give it load_balancer="
                "NetworkLoadBalancer(protocol=..., port=...) instead of the ALB route"
                + (" (TLS needs certificate=, UDP a TCP health_check_port=)" if match else ""),
            )
            return
        args = [f"port={int(match.group(1))}"]
        check = nlb.get("healthcheck") if isinstance(nlb, dict) else None
        if isinstance(check, dict):
            if isinstance(check.get("port"), int):
                args.append(f"health_check_port={check['port']}")
            health: dict[str, Any] = {}
            for key in ("healthy_threshold", "unhealthy_threshold"):
                if isinstance(check.get(key), int):
                    health[key] = check[key]
            for key in ("interval", "timeout"):
                if key in check:
                    health[key] = _duration(check[key], ("nlb", "healthcheck", key), self)
            if health:
                args.append(f"health={_call('TargetHealth', health)}")
                self.plan.names.add("TargetHealth")
        if isinstance(nlb, dict):
            self.rest(
                ("nlb",),
                nlb,
                ("port", "healthcheck"),
                "not mapped",
                "set it on NetworkLoadBalancer(...)",
            )
        self.plan.service["load_balancer"] = Code(f"NetworkLoadBalancer({', '.join(args)})")
        self.plan.names.add("NetworkLoadBalancer")

    def _publish(self) -> None:
        publish = self.get("publish")
        if isinstance(publish, dict):
            for topic in publish.get("topics") or []:
                if isinstance(topic, dict) and "name" in topic:
                    self.plan.publishes.append(str(topic["name"]))
                    if topic.get("fifo"):
                        self.note(
                            ("publish", "topics"),
                            "a standard topic",
                            "FIFO: PublishedTopic(fifo=True) needs FIFO queues too",
                        )

    def _taskdef_overrides(self) -> None:
        overrides = self.get("taskdef_overrides")
        if overrides:
            self.note(
                ("taskdef_overrides",),
                "not mapped",
                "CloudFormation overrides: apply "
                "them to task.task_definition.node.default_child with add_property_"
                "override (see the README's escape hatches)",
            )

    def _leftovers(self) -> None:
        for path in _leaf_paths(self.data):
            if any(path[: len(used)] == used for used in self.used):
                continue
            top = path[0]
            if top not in SCHEMA_KEYS:
                close = difflib.get_close_matches(top, sorted(SCHEMA_KEYS), n=1)
                todo = (
                    f"not a Copilot key (typo of '{close[0]}'?)"
                    if close
                    else ("not a Copilot key; remove it or map it by hand")
                )
                self.note(path[:1], "ignored", todo)
            else:
                self.note(
                    path,
                    "not mapped",
                    _HAND.get(
                        ".".join(path[:2]),
                        "no equivalent in this library; add it by hand if it matters",
                    ),
                )
        for dropped in self.manifest.dropped:
            self.plan.notes.append(
                Note(
                    self.manifest.relative,
                    dropped.line,
                    ".".join(dropped.path),
                    "left out",
                    f"CloudFormation tag {dropped.text}: pass the value from the "
                    "stack that owns it",
                )
            )


_HAND = {
    "image.credentials": "registry credentials: Container(registry_credentials=...)",
    "image.labels": "docker labels are not set by this library",
    "image.docker_labels": "docker labels are not set by this library",
    "image.depends_on": "Container(depends_on={...}) on the main container",
    "env_file": "S3 environment files: read the values into environment= or secrets=",
    "http.redirect_to_https": "the shared load balancer redirects 80 to 443 when it has a "
    "certificate",
    "http.additional_rules": "one more SharedLoadBalancer.route(...) per rule",
    "tags": "cdk.Tags.of(stack).add(key, value)",
    "network.connect": "see Service Connect in MIGRATION.md",
}


def _asset(build: Any, mapper: _Mapper) -> Code:
    if isinstance(build, str):
        dockerfile = build
        context = str(_parent(build))
        args: dict[str, Any] = {}
        target = None
    elif isinstance(build, dict):
        dockerfile = str(build.get("dockerfile", "Dockerfile"))
        context = str(build.get("context") or _parent(dockerfile))
        args = build.get("args") or {}
        target = build.get("target")
        mapper.rest(
            ("image", "build"),
            build,
            ("dockerfile", "context", "args", "target"),
            "not mapped",
            "set it on from_asset(...)",
        )
    else:
        raise mapper.fail(("image", "build"), build, "a Dockerfile path or a map")
    file = _relative_to(dockerfile, context)
    parts = [f"str(WORKSPACE / {py(context)})"]
    if file != "Dockerfile":
        parts.append(f"file={py(file)}")
    if args:
        parts.append(f"build_args={py({str(k): _scalar_text(v) for k, v in args.items()})}")
    if target:
        parts.append(f"target={py(str(target))}")
    return Code(f"ecs.ContainerImage.from_asset({', '.join(parts)})")


def _parent(path: str) -> str:
    parent = path.rsplit("/", 1)[0] if "/" in path else "."
    return parent or "."


def _relative_to(file: str, context: str) -> str:
    """The Dockerfile's path inside the build context, as ``from_asset(file=...)`` takes it."""
    return posixpath.relpath(posixpath.normpath(file), posixpath.normpath(context))


def _container_health(check: dict[str, Any], mapper: _Mapper) -> Code:
    command = check.get("command")
    if isinstance(command, str):
        command = ["CMD-SHELL", command]
    if not isinstance(command, list):
        raise mapper.fail(("image", "healthcheck", "command"), command, "a command list")
    args = [f"command={py(tuple(str(w) for w in command))}"]
    for key, name in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start_period", "start_period"),
    ):
        if key in check:
            args.append(
                f"{name}={py(_duration(check[key], ('image', 'healthcheck', key), mapper))}"
            )
    if isinstance(check.get("retries"), int):
        args.append(f"retries={check['retries']}")
    return Code(f"HealthCheck({', '.join(args)})")


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def _seconds(value: Any, mapper: _Mapper, path: KeyPath = ()) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value).strip())
    if not match or not any(match.groups()):
        raise mapper.fail(path or ("duration",), value, "a Go duration such as 30s, 5m or 1h")
    hours, minutes, seconds, millis = match.groups()
    return (
        int(hours or 0) * 3600
        + int(minutes or 0) * 60
        + float(seconds or 0)
        + int(millis or 0) / 1000
    )


def _duration(value: Any, path: KeyPath, mapper: _Mapper) -> Code:
    seconds = _seconds(value, mapper, path)
    if seconds % 60 == 0 and seconds >= 60:
        return Code(f"Duration.minutes({int(seconds // 60)})")
    return Code(f"Duration.seconds({seconds:g})")


def _range(value: Any, mapper: _Mapper) -> tuple[int, int, int | None]:
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*-\s*\d+\s*", value):
        low, high = (int(part) for part in value.split("-"))
        return low, high, None
    if (
        isinstance(value, dict)
        and isinstance(value.get("min"), int)
        and isinstance(value.get("max"), int)
    ):
        spot_from = value.get("spot_from")
        return value["min"], value["max"], spot_from if isinstance(spot_from, int) else None
    raise mapper.fail(("count", "range"), value, "'min-max' or {min: N, max: M}")


_SCHEDULES = {
    "@yearly": "cron(0 0 1 1 ? *)",
    "@annually": "cron(0 0 1 1 ? *)",
    "@monthly": "cron(0 0 1 * ? *)",
    "@weekly": "cron(0 0 ? * 1 *)",
    "@daily": "cron(0 0 * * ? *)",
    "@midnight": "cron(0 0 * * ? *)",
    "@hourly": "cron(0 * * * ? *)",
}


def _scheduler_expression(schedule: str, mapper: _Mapper) -> str:
    text = schedule.strip()
    if text in _SCHEDULES:
        return _SCHEDULES[text]
    every = re.fullmatch(r"@every\s+(\S+)", text)
    if every:
        seconds = _seconds(every.group(1), mapper, ("on", "schedule"))
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds % size == 0 and seconds >= size:
                count = int(seconds // size)
                return f"rate({count} {unit}{'s' if count > 1 else ''})"
        raise mapper.fail(
            ("on", "schedule"),
            schedule,
            "@every of whole minutes (Scheduler's smallest rate is one minute)",
        )
    if text == "none":
        raise mapper.fail(
            ("on", "schedule"),
            schedule,
            "a schedule; 'none' (run by hand only) has no ScheduledTask equivalent: use grant_run",
        )
    try:
        if len(text.split()) == 5:
            return unix_cron_to_scheduler(text)
        return check_schedule_expression("schedule", text)
    except InvalidParameterError as error:
        raise mapper.fail(("on", "schedule"), schedule, str(error)) from None


def _scalar_text(value: Any) -> str:
    if isinstance(value, Code):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _leaf_paths(node: Any, path: KeyPath = ()) -> list[KeyPath]:
    if isinstance(node, dict) and node:
        return [p for key, value in node.items() for p in _leaf_paths(value, (*path, str(key)))]
    return [path] if path else []


def map_service(manifest: Manifest, environment: str, app: str = "app") -> ServicePlan:
    """``manifest`` with ``environment``'s overrides as a :class:`ServicePlan`; a value that
    cannot convert is a :class:`MappingError`."""
    return _Mapper(manifest, environment, app).run()


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _interpolate(node: Any, known: dict[str, str]) -> Any:
    """Copilot's ``${VAR}``: the application and service names become their values, the
    environment name the generated code's ``environment``, and any other variable is read from
    the deploying shell's environment, as Copilot did (``os.environ[...]``)."""
    if isinstance(node, dict):
        return {key: _interpolate(value, known) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolate(item, known) for item in node]
    if not isinstance(node, str) or "${" not in node:
        return node
    text = _VARIABLE.sub(lambda m: known.get(m.group(1), m.group(0)), node)
    matches = list(_VARIABLE.finditer(text))
    if not matches:
        return text
    parts = []
    position = 0
    for match in matches:
        name = match.group(1)
        if name == "COPILOT_ENVIRONMENT_NAME":
            expression = "environment"
        else:
            expression = f"os.environ[{name!r}]"
        if len(matches) == 1 and text == match.group(0):
            return Code(expression)
        parts.append(text[position : match.start()].replace("{", "{{").replace("}", "}}"))
        parts.append(f"{{{expression}}}")
        position = match.end()
    parts.append(text[position:].replace("{", "{{").replace("}", "}}"))
    body = "".join(parts)
    quote = '"' if '"' not in body else "'"
    return Code(f"f{quote}{body}{quote}")


_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>.+))?$"
)


def _image_location(location: str, construct_id: str = "Repository") -> str | Code:
    """A registry image as is; a private ECR image through its repository, so the execution
    role is granted the pull (a plain reference to ECR would fail to pull)."""
    match = _ECR.match(location)
    if not match:
        return location
    arn = f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"
    reference = match["digest"] or match["tag"] or "latest"
    return Code(
        "ecs.ContainerImage.from_ecr_repository(ecr.Repository.from_repository_arn(self, "
        f"{construct_id!r}, {arn!r}), {reference!r})"
    )
