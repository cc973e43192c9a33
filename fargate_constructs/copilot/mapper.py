"""What every Copilot service kind's mapping shares: the plan it fills in, reading a manifest's
keys with their lines, reporting what becomes of each, and values as Python source.

Pure Python: values become Python source (``py(...)``) for the code generator; every key is
either mapped, or reported with what was done instead and what is left to do by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .manifest import KeyPath, Manifest

KIND = {
    "Load Balanced Web Service": "web",
    "Backend Service": "backend",
    "Worker Service": "worker",
    "Scheduled Job": "job",
    # App Runner closed to new customers on 2026-04-30: a public load-balanced service.
    "Request-Driven Web Service": "web",
}
UNSUPPORTED = {
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


def call(name: str, arguments: dict[str, Any]) -> Code:
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
    run_by_hand: bool = False
    """A Scheduled Job with ``on.schedule: none``: a task and a launcher role, no schedule."""
    port: int | None = None
    notes: list[Note] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # what app.py imports from fargate_constructs

    @property
    def connect(self) -> dict[str, Any]:
        """FargateService's Service Connect argument, where this environment serves."""
        if self.connect_alias and self.port:
            return {"service_connect": Code(f"ServiceConnect(dns_name={self.connect_alias!r})")}
        return {}


class Mapper:
    """A manifest being mapped: reading its keys, and reporting what becomes of them."""

    def __init__(self, manifest: Manifest, environment: str, app: str) -> None:
        self.manifest = manifest
        self.plan = ServicePlan(manifest.name, KIND[manifest.type], environment, manifest)
        self.used: set[KeyPath] = {("name",), ("type",), ("environments",)}
        self.data = interpolate(
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


BY_HAND = {
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


DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def seconds_of(value: Any, mapper: Mapper, path: KeyPath = ()) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = DURATION.match(str(value).strip())
    if not match or not any(match.groups()):
        raise mapper.fail(path or ("duration",), value, "a Go duration such as 30s, 5m or 1h")
    hours, minutes, seconds, millis = match.groups()
    return (
        int(hours or 0) * 3600
        + int(minutes or 0) * 60
        + float(seconds or 0)
        + int(millis or 0) / 1000
    )


def duration(value: Any, path: KeyPath, mapper: Mapper) -> Code:
    seconds = seconds_of(value, mapper, path)
    if seconds % 60 == 0 and seconds >= 60:
        return Code(f"Duration.minutes({int(seconds // 60)})")
    return Code(f"Duration.seconds({seconds:g})")


def count_range(value: Any, mapper: Mapper) -> tuple[int, int, int | None]:
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


VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def interpolate(node: Any, known: dict[str, str], path: tuple[str, ...] = ()) -> Any:
    """Copilot's ``${VAR}``: the application and service names become their values, the
    environment name the generated code's ``environment``, and any other variable is read from
    the deploying shell's environment, as Copilot did, through the generated app's
    ``shell_variable(name, manifest_key)``, which stops with one line naming both when the
    variable is not set."""
    if isinstance(node, dict):
        return {key: interpolate(value, known, (*path, str(key))) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, known, (*path, str(index))) for index, item in enumerate(node)]
    if not isinstance(node, str) or "${" not in node:
        return node
    text = VARIABLE.sub(lambda m: known.get(m.group(1), m.group(0)), node)
    matches = list(VARIABLE.finditer(text))
    if not matches:
        return text
    parts = []
    position = 0
    for match in matches:
        name = match.group(1)
        if name == "COPILOT_ENVIRONMENT_NAME":
            expression = "environment"
        else:
            expression = f"shell_variable({name!r}, {'.'.join(path)!r})"
        if len(matches) == 1 and text == match.group(0):
            return Code(expression)
        parts.append(text[position : match.start()].replace("{", "{{").replace("}", "}}"))
        parts.append(f"{{{expression}}}")
        position = match.end()
    parts.append(text[position:].replace("{", "{{").replace("}", "}}"))
    body = "".join(parts)
    quote = '"' if '"' not in body else "'"
    return Code(f"f{quote}{body}{quote}")
