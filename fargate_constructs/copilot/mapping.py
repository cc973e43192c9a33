"""One Copilot service manifest, for one environment, as the construct calls that replace it:
what every kind has (image, size, variables, secrets, storage, sidecars, network, logging), then
the kind's own part (``web``, ``worker``, ``job``).

Pure Python: values become Python source (``py(...)``) for the code generator; every key is
either mapped, or reported with what was done instead and what is left to do by hand."""

from __future__ import annotations

import difflib
import posixpath
import re
import shlex
from typing import Any

from ..sizing import MEMORY_BY_CPU, OperatingSystem, nearest_size
from .job import map_job
from .manifest import KeyPath, Manifest
from .mapper import (
    BY_HAND,
    LOG_RETENTION_DAYS,
    RETENTION_NAMES,
    SCHEMA_KEYS,
    Code,
    Mapper,
    Note,
    ServicePlan,
    duration,
    py,
)
from .web import map_count, map_http, map_nlb
from .worker import map_worker


class _Mapper(Mapper):
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
        if self.manifest.type == "Request-Driven Web Service":
            self._request_driven()
        if plan.kind == "web":
            map_http(self)
        elif self.get("http") not in (None, False):
            self.note(
                ("http",),
                "not mapped",
                "a Backend Service behind an internal ALB: add a "
                "LoadBalancer(public=False) to its FargateService",
            )
        if plan.kind in ("web", "backend"):
            map_count(self)
            self._network_connect()
            self._deployment()
        if plan.kind == "worker":
            map_worker(self)
        if plan.kind == "job":
            map_job(self)
        map_nlb(self)
        self._publish()
        self._network_placement()
        self._taskdef_overrides()
        self._leftovers()
        return plan

    def _request_driven(self) -> None:
        """An App Runner service (Copilot's Request-Driven Web Service) becomes a public
        service on the shared load balancer; what App Runner did that the ALB and ECS now do
        (or do not) is reported."""
        if not isinstance(self.data.get("http"), dict):
            # App Runner served every path publicly without an http section.
            self.data["http"] = {}
        self.note(
            ("type",),
            "public FargateService on the shared load balancer",
            "App Runner's own HTTPS domain is gone: serve it on the load balancer's DNS name or "
            "a Domain(...) with a certificate; App Runner scaled on concurrent requests per "
            "instance, here on CPU or requests per target (AutoScaling), and it kept at least "
            "one task running (App Runner paused idle instances' CPU); App Runner's VPC "
            "connector is the tasks' own place in the VPC's private subnets",
        )

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
                    self.note(("image", key), "not mapped", BY_HAND[f"image.{key}"])

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
            plain[str(name)] = "" if value is None else _literal(_scalar_text(value))
        if plain:
            self.plan.task["environment"] = plain

    def _secrets(self) -> None:
        secrets = self.get("secrets")
        if isinstance(secrets, dict):
            mapped = self._secret_map(secrets, ("secrets",))
            if mapped:
                self.plan.task["secrets"] = mapped

    def _secret_map(
        self, secrets: dict[str, Any], where: KeyPath, id_prefix: str = ""
    ) -> dict[str, Code]:
        """Copilot's ``secrets`` (SSM names, Secrets Manager ARNs or names) as ecs.Secrets."""
        mapped: dict[str, Code] = {}
        for name, value in secrets.items():
            construct_id = f"{id_prefix}{name}"
            if isinstance(value, str) and value.startswith("arn:aws:secretsmanager:"):
                arn, _, json_key = value.partition(":SecretString:")
                field = json_key.split(":")[0] if json_key else None
                mapped[name] = Code(
                    f"ecs.Secret.from_secrets_manager(secretsmanager.Secret.from_secret_complete_"
                    f"arn(self, {py(construct_id + 'Secret')}, {py(arn)})"
                    + (f", field={py(field)})" if field else ")")
                )
            elif isinstance(value, str):
                mapped[name] = Code(
                    "ecs.Secret.from_ssm_parameter(ssm.StringParameter.from_secure_string_"
                    f"parameter_attributes(self, {py(construct_id + 'Parameter')}, "
                    f"parameter_name={py(value)}))"
                )
            elif isinstance(value, dict) and isinstance(value.get("secretsmanager"), str):
                secret_name, _, json_key = value["secretsmanager"].partition(":")
                field = json_key.split(":")[0] if json_key else None
                mapped[name] = Code(
                    f"ecs.Secret.from_secrets_manager(secretsmanager.Secret.from_secret_name_v2("
                    f"self, {py(construct_id + 'Secret')}, {py(secret_name)})"
                    + (f", field={py(field)})" if field else ")")
                )
            else:
                self.note(
                    (*where, name),
                    "left out",
                    "a from_cfn secret: pass the other stack's ISecret in secrets=",
                )
        return mapped

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
            self.note(("env_file",), "not mapped", BY_HAND["env_file"])

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
            if isinstance(image, dict) and isinstance(image.get("location"), str):
                image = image["location"]  # the long form: image: {location: ...}
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
                    k: _literal(_scalar_text(v))
                    for k, v in spec["variables"].items()
                    if not isinstance(v, dict | list)
                }
                args.append(f"environment={py(variables)}")
            if isinstance(spec.get("secrets"), dict):
                secrets = self._secret_map(spec["secrets"], ("sidecars", name, "secrets"), name)
                if secrets:
                    args.append(f"secrets={py(secrets)}")
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
                ("image", "port", "variables", "secrets", "essential", "command"),
                "not mapped",
                f"set it on Container({name!r}) by hand if the library supports it",
            )
        if containers:
            self.plan.task["sidecars"] = containers
            self.plan.names.add("Container")

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
                "override (see the docs' escape hatches)",
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
                    BY_HAND.get(
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


def _asset(build: Any, mapper: Mapper) -> Code:
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
    # Copilot joins these to the workspace root (Go's filepath.Join): a leading "/" does not
    # make them absolute.
    dockerfile, context = dockerfile.lstrip("/") or "Dockerfile", context.lstrip("/") or "."
    # copilot/<service>/manifest.yml: the workspace root is two folders up.
    root = mapper.manifest.file.resolve().parents[2].as_posix()
    file = _relative_to(dockerfile, context, root)
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


def _relative_to(file: str, context: str, root: str) -> str:
    """The Dockerfile's path inside the build context, as ``from_asset(file=...)`` takes it."""
    # Both are relative to the workspace root, which anchors them: a context above it
    # ("../..") is not resolved against the importing process's working directory.
    return posixpath.relpath(posixpath.join(root, file), posixpath.join(root, context))


def _container_health(check: dict[str, Any], mapper: Mapper) -> Code:
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
            args.append(f"{name}={py(duration(check[key], ('image', 'healthcheck', key), mapper))}")
    if isinstance(check.get("retries"), int):
        args.append(f"retries={check['retries']}")
    return Code(f"HealthCheck({', '.join(args)})")


def _literal(text: Any) -> Any:
    """A value that still holds ``${...}`` after Copilot's interpolation (not a variable name
    Copilot reads, e.g. ``${DB.host}`` for the application's own templating) reaches the
    container as written. In a template, a bare ``${`` reads as a mistaken substitution
    (cfn-lint E1029) and ``Fn::Sub`` with ``${!`` as a needless one (W1020): an ``Fn::Join``
    on ``$`` says the same without either (``Fn.join`` would fold it back to one string)."""
    if isinstance(text, str) and not isinstance(text, Code) and "${" in text:
        return Code(f"Token.as_string({{'Fn::Join': ['$', {py(text.split('$'))}]}})")
    return text


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
