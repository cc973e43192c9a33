"""Writing the converted workspace: ``app.py`` (a platform stack per environment, a stack per
service per environment), ``cdk.json``, ``requirements.txt`` and ``MIGRATION.md``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..cfn_templates import output_wiring, read_template
from ..errors import InvalidParameterError
from .manifest import DEFAULT_ENVIRONMENT, Manifest, Workspace
from .mapper import UNSUPPORTED, Code, MappingError, Note, ServicePlan, py
from .mapping import map_service

INDENT = "    "
MAX_LINE = 100


@dataclass
class ServiceResult:
    manifest: Manifest
    plans: dict[str, ServicePlan] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unsupported: str | None = None

    @property
    def notes(self) -> list[Note]:
        seen: dict[tuple[str, int | None, str], Note] = {}
        for plan in self.plans.values():
            for note in plan.notes:
                seen.setdefault((note.file, note.line, note.key), note)
        return sorted(seen.values(), key=lambda n: (n.line or 0, n.key))


@dataclass
class ImportResult:
    app: str
    environments: list[str]
    services: list[ServiceResult]
    errors: list[str]
    files: list[Path]

    @property
    def converted(self) -> list[ServiceResult]:
        return [s for s in self.services if s.plans and not s.errors]


def convert(workspace: Workspace) -> tuple[str, list[str], list[ServiceResult]]:
    """Map every service manifest for every environment."""
    # The workspace's environment manifests; without any, the environments its services
    # override (the ones the app was deployed to), else one default environment.
    environments = (
        sorted(m.name for m in workspace.environments)
        or sorted({name for manifest in workspace.services for name in manifest.environments()})
        or [DEFAULT_ENVIRONMENT]
    )
    app = _app_name(workspace)
    results = []
    for manifest in workspace.services:
        result = ServiceResult(manifest)
        if manifest.type in UNSUPPORTED:
            result.unsupported = UNSUPPORTED[manifest.type]
        else:
            for environment in environments:
                try:
                    result.plans[environment] = map_service(manifest, environment, app)
                except MappingError as error:
                    if str(error) not in result.errors:
                        result.errors.append(str(error))
            for name in manifest.environments():
                if name not in environments:
                    for plan in result.plans.values():
                        plan.notes.append(
                            Note(
                                manifest.relative,
                                manifest.lines.get(("environments", name)),
                                f"environments.{name}",
                                "not applied",
                                f"no environment manifest named {name!r} "
                                "(copilot/environments/<name>/manifest.yml) in this workspace",
                            )
                        )
        results.append(result)
    for environment in environments:
        _separate_shadowed_routes(results, environment)
    return app, environments, results


def _separate_shadowed_routes(results: list[ServiceResult], environment: str) -> None:
    """Two web services on the same path without an alias: Copilot put both on the
    environment's load balancer, and with an application domain routed each by its own name
    (``<service>.<env>.<app>.<domain>``); without one, the second never got a request. The
    later service is routed by that name here (the domain read from the deploying shell),
    and the report says so."""
    seen: dict[str, str] = {}
    for result in results:
        plan = result.plans.get(environment)
        if plan is None or plan.route is None or plan.route.get("host_headers"):
            continue
        paths = py(plan.route.get("path_patterns"))
        if paths not in seen:
            seen[paths] = plan.name
            continue
        plan.route["host_headers"] = [
            Code(
                f'f"{plan.name}.{{environment}}.{{APP}}.'
                f"{{shell_variable('APP_DOMAIN', 'copilot app init --domain')}}\""
            )
        ]
        plan.notes.append(
            Note(
                result.manifest.relative,
                result.manifest.lines.get(("http",)),
                f"environments.{environment}.http",
                f"routed by {plan.name}.{environment}.<app>.$APP_DOMAIN",
                f"it has the path {paths} of {seen[paths]!r} and no alias: with an application "
                "domain Copilot routed it by that name; without one it never got a request. "
                "Set APP_DOMAIN, or give it an alias or its own path",
            )
        )


def write(workspace: Workspace, out: Path) -> ImportResult:
    app, environments, results = convert(workspace)
    out.mkdir(parents=True, exist_ok=True)
    usable = [r for r in results if r.plans and not r.errors]
    files = []
    if usable:
        source = AppWriter(workspace, out, app, environments, usable).render()
        files.append(_write(out / "app.py", source))
        _format(out / "app.py")
        files.append(_write(out / "cdk.json", _cdk_json()))
        files.append(_write(out / "requirements.txt", _requirements()))
    files.append(
        _write(out / "MIGRATION.md", migration_report(app, environments, results, workspace.errors))
    )
    return ImportResult(app, environments, results, workspace.errors, files)


SHELL_VARIABLE = '''


def shell_variable(name: str, manifest_key: str) -> str:
    """A variable the Copilot manifest read from the deploying shell (``${NAME}``)."""
    value = os.environ.get(name)
    if value is None:
        raise SystemExit(
            f"error: set {name} in the shell that runs cdk: the Copilot manifest's "
            f"{manifest_key} reads ${{{name}}}"
        )
    return value'''


def _import_order(name: str) -> tuple[int, str]:
    """isort's (and ruff's) order of imported names: CONSTANTS, Classes, functions, each
    case-insensitively."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _format(path: Path) -> None:
    """Reflow long lines with ruff when it is installed (the code is valid either way); a line
    still too long holds one literal (an ARN) and says so to linters."""
    ruff = shutil.which("ruff")
    if ruff:
        subprocess.run(
            # No cache: nothing is left in the user's current directory.
            [ruff, "format", "--quiet", "--no-cache", "--line-length", "100", str(path)],
            check=False,
            capture_output=True,
        )
    lines = path.read_text().splitlines()
    path.write_text("\n".join(_mark_long_literal(line) for line in lines) + "\n")


def _mark_long_literal(line: str) -> str:
    """A line of one string literal (an ARN as a dict value or argument) that no formatter
    can shorten, marked for linters; any other line is left as it is."""
    stripped = line.strip()
    literal = stripped.startswith(('"', "'", 'f"', "f'")) and stripped.endswith((",", '"', "'"))
    if len(line) > MAX_LINE and literal and "# noqa" not in line:
        return f"{line}  # noqa: E501"
    return line


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _app_name(workspace: Workspace) -> str:
    """Copilot's application name (``copilot/.workspace``), else the folder's, as a stack name
    prefix: letters, digits and hyphens, starting with a letter."""
    name = workspace.root.resolve().name
    marker = workspace.copilot_dir / ".workspace"
    if marker.is_file():
        match = re.search(r"^application:\s*(\S+)", marker.read_text(), re.MULTILINE)
        if match:
            name = match.group(1)
    name = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:40]
    return name if name[:1].isalpha() else f"app-{name}".rstrip("-")


def _namespace(app: str) -> str:
    label = re.sub(r"[^a-z0-9-]+", "-", app.lower()).strip("-")[:40].strip("-") or "app"
    return f"{label}.local"


def _class_name(name: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", name)
    text = "".join(part[:1].upper() + part[1:] for part in parts if part)
    return text if text[:1].isalpha() else f"Service{text}"


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-") or "svc"


class AppWriter:
    def __init__(
        self,
        workspace: Workspace,
        out: Path,
        app: str,
        environments: list[str],
        services: list[ServiceResult],
    ) -> None:
        self.workspace = workspace
        self.out = out
        self.app = app
        self.environments = environments
        self.services = services
        self.names: set[str] = {"FargateTaskWithRoles", "NetworkedCluster", "synth"}
        self.modules: set[str] = set()
        self.core: set[str] = {"App", "Duration", "Stack"}
        self.published: set[str] = set()
        self.callees: dict[str, list[str]] = {}  # Service Connect calls, filled by order()
        self.stdlib: set[str] = set()

    # -- helpers --------------------------------------------------------------------------------
    def by_environment(self, values: dict[str, Any]) -> str:
        """One value, or a lookup by environment when the environments differ."""
        rendered = {env: py(value) for env, value in values.items()}
        if len(set(rendered.values())) == 1 and len(rendered) == len(self.environments):
            return next(iter(rendered.values()))
        if any("(self," in text for text in rendered.values()):
            # Constructs: build only the environment's own (a dict would build every one).
            chain = " else ".join(
                f"{text} if environment == {env!r}" for env, text in rendered.items()
            )
            return f"({chain} else None)"
        body = ", ".join(f"{env!r}: {text}" for env, text in rendered.items())
        if len(rendered) < len(self.environments):
            return f"{{{body}}}.get(environment)"
        return f"{{{body}}}[environment]"

    def call(self, head: str, args: Sequence[tuple[str | None, str]], indent: int) -> str:
        pad = INDENT * (indent + 1)
        lines = [f"{head}("]
        for name, value in args:
            text = value if name is None else f"{name}={value}"
            lines.append(f"{pad}{text},")
        lines.append(f"{INDENT * indent})")
        return "\n".join(lines)

    def kwargs(self, plans: dict[str, ServicePlan], attribute: str) -> list[tuple[str | None, str]]:
        """Keyword arguments from each plan's ``attribute``: a key every environment sets is
        one argument (a lookup by environment where the values differ); keys only some
        environments set go in one ``**({...} if environment == env else {})``, so the others
        keep the library's default instead of passing None."""
        keys: list[str] = []
        for plan in plans.values():
            for key in getattr(plan, attribute):
                if key not in keys:
                    keys.append(key)
        everywhere = [k for k in keys if all(k in getattr(p, attribute) for p in plans.values())]
        arguments: list[tuple[str | None, str]] = [
            (
                key,
                self.by_environment({env: getattr(p, attribute)[key] for env, p in plans.items()}),
            )
            for key in everywhere
        ]
        partial = {
            env: {k: v for k, v in getattr(p, attribute).items() if k not in everywhere}
            for env, p in plans.items()
        }
        partial = {env: values for env, values in partial.items() if values}
        if partial:
            # Conditional, not a dict of every environment's: a value may build a construct,
            # and only this environment's may be built.
            chain = " else ".join(
                "{" + ", ".join(f"{k!r}: {py(v)}" for k, v in values.items()) + "}"
                f" if environment == {env!r}"
                for env, values in partial.items()
            )
            arguments.append((None, f"**({chain} else {{}})"))
        return arguments

    # -- rendering ------------------------------------------------------------------------------
    def render(self) -> str:
        for result in self.services:
            for plan in result.plans.values():
                self.names.update(plan.names)
        self.services = self.order()
        body = [self.platform(), *[self.service(r) for r in self.services], self.main()]
        used = "\n".join(body)
        # Imported only where used: the generated app passes ruff as written.
        self.core = {name for name in self.core if name == "App" or name in used}
        return "\n\n\n".join([self.header(), *body]) + "\n"

    def header(self) -> str:
        workspace = os.path.relpath(self.workspace.root.resolve(), self.out.resolve())
        imports = [f"from aws_cdk import {', '.join(sorted(self.core))}"]
        for module in sorted(self.modules):
            imports.append(f"from aws_cdk import aws_{module} as {module}")
        names = "".join(f"{INDENT}{name},\n" for name in sorted(self.names, key=_import_order))
        return (
            "#!/usr/bin/env python3\n"
            f'"""{self.app} on fargate-constructs: converted from its AWS Copilot workspace by\n'
            "`fargate-constructs copilot import`. One platform stack per environment (Copilot's\n"
            "environment) and one stack per service per environment. What did not convert, and\n"
            'what to do by hand, is in MIGRATION.md."""\n\n'
            "from __future__ import annotations\n\n"
            + "".join(f"import {module}\n" for module in sorted(self.stdlib))
            + "from pathlib import Path\nfrom typing import Any\n\n"
            + "\n".join(imports)
            + "\nfrom constructs import Construct\n\n"
            + f"from fargate_constructs import (\n{names})\n\n"
            + "# Image builds (image.build) are relative to the Copilot workspace.\n"
            + f"WORKSPACE = Path(__file__).resolve().parent / {workspace!r}\n"
            + f"APP = {self.app!r}\n"
            + f"NAMESPACE = {_namespace(self.app)!r}  # Service Connect: <environment>.NAMESPACE\n"
            + f"ENVIRONMENTS = {self.environments!r}"
            + (SHELL_VARIABLE if "os" in self.stdlib else "")
        )

    def platform(self) -> str:
        plans = [p for r in self.services for p in r.plans.values()]
        web = any(p.kind == "web" for p in plans)
        connect = any(p.connect_alias for p in plans)
        lines = [
            "class Platform(Stack):",
            f'{INDENT}"""One Copilot environment: network and cluster'
            + (", Service Connect namespace" if connect else "")
            + (f",\n{INDENT}shared load balancer" if web else "")
            + '."""',
            "",
            f"{INDENT}def __init__(",
            f"{INDENT * 2}self, scope: Construct, id: str, *, environment: str, **kwargs: Any",
            f"{INDENT}) -> None:",
            f"{INDENT * 2}super().__init__(scope, id, **kwargs)",
        ]
        network_args: list[tuple[str | None, str]] = [(None, "self"), (None, '"Network"')]
        cidrs = {
            m.name: _get(m.data, "network", "vpc", "cidr") for m in self.workspace.environments
        }
        if any(cidrs.values()):
            network_args.append(
                (
                    "cidr",
                    self.by_environment(
                        {env: cidr or "10.0.0.0/16" for env, cidr in cidrs.items()}
                    ),
                )
            )
        if connect:
            network_args.append(("service_connect_namespace", 'f"{environment}.{NAMESPACE}"'))
        lines.append(
            f"{INDENT * 2}self.network = " + self.call("NetworkedCluster", network_args, 2)
        )
        if web:
            self.names.update({"ManagedWebAcl", "SharedLoadBalancer"})
            certificates = {
                m.name: (_get(m.data, "http", "public", "certificates") or [None])[0]
                for m in self.workspace.environments
            }
            lines.append(
                f'{INDENT * 2}web_acl = ManagedWebAcl(self, "WebAcl", log_key=self.network.log_key)'
            )
            lb_args: list[tuple[str | None, str]] = [
                (None, "self"),
                (None, '"LoadBalancer"'),
                ("cluster", "self.network"),
            ]
            if any(certificates.values()):
                lines.append(f"{INDENT * 2}certificate = {self.by_environment(certificates)}")
                lb_args += [
                    ("certificate", "certificate"),
                    ("allow_plain_http", "certificate is None"),
                ]
            else:
                lines.append(
                    f"{INDENT * 2}# Copilot served plain HTTP without a domain: give "
                    "certificate= (an ACM ARN)\n"
                    f"{INDENT * 2}# or domain=Domain(...) and drop allow_plain_http."
                )
                lb_args.append(("allow_plain_http", "True"))
            lb_args.append(("web_acl_arn", "web_acl.arn"))
            lines.append(
                f"{INDENT * 2}self.load_balancer = " + self.call("SharedLoadBalancer", lb_args, 2)
            )
        return "\n".join(lines)

    def service(self, result: ServiceResult) -> str:
        body = self._service(result)
        kind = next(iter(result.plans.values())).kind
        hatches = EscapeHatches(self, result, kind)
        return "\n".join([body, *hatches.render()])

    def _service(self, result: ServiceResult) -> str:
        plans = result.plans
        first = next(iter(plans.values()))
        name = first.name
        kinds = {p.kind for p in plans.values()}
        kind = first.kind if len(kinds) == 1 else "web"
        lines = [
            f"class {_class_name(name)}Stack(Stack):",
            f'{INDENT}"""Copilot {result.manifest.type} {name!r} ({result.manifest.relative})."""',
            "",
            f"{INDENT}def __init__(",
            f"{INDENT * 2}self,",
            f"{INDENT * 2}scope: Construct,",
            f"{INDENT * 2}id: str,",
            f"{INDENT * 2}*,",
            f"{INDENT * 2}environment: str,",
            f"{INDENT * 2}platform: Platform,",
            f"{INDENT * 2}servers: dict[str, FargateService],",
            f"{INDENT * 2}topics: dict[str, sns.ITopic],",
            *([f"{INDENT * 2}priority: int,"] if first.route is not None else []),
            f"{INDENT * 2}**kwargs: Any,",
            f"{INDENT}) -> None:",
            f"{INDENT * 2}super().__init__(scope, id, **kwargs)",
        ]
        self.names.add("FargateService")
        self.modules.add("sns")
        for plan in plans.values():
            for value in [
                *plan.task.values(),
                *plan.service.values(),
                *(plan.route or {}).values(),
            ]:
                self._modules_of(value)
        task_args: list[tuple[str | None, str]] = [(None, "self"), (None, '"Task"')]
        task_args += self.kwargs(plans, "task")
        task_args.append(("log_key", "platform.network.log_key"))
        lines.append(f"{INDENT * 2}task = " + self.call("FargateTaskWithRoles", task_args, 2))
        if result.manifest.addons or any(
            "environment" in plan.task or "environment=" in py(plan.task.get("sidecars", []))
            for plan in plans.values()
        ):
            self.core.update({"Acknowledgment", "Validations"})
            lines.append(
                f"{INDENT * 2}# Copilot's `variables` and add-on outputs: plain configuration; "
                "secrets are\n"
                f"{INDENT * 2}# in secrets=.\n"
                f"{INDENT * 2}Validations.of(task).acknowledge(\n"
                f"{INDENT * 3}Acknowledgment(\n"
                f'{INDENT * 4}id="AwsSolutions-ECS2",\n'
                f'{INDENT * 4}reason="Plain, non-secret configuration (Copilot variables and "\n'
                f'{INDENT * 4}"add-on outputs); secrets are read from SSM or Secrets Manager "\n'
                f'{INDENT * 4}"at start",\n'
                f"{INDENT * 3})\n"
                f"{INDENT * 2})"
            )
        for plan in plans.values():
            for topic in plan.publishes:
                self.names.add("PublishedTopic")
                lines.append(
                    f"{INDENT * 2}topics[{f'{name}/{topic}'!r}] = PublishedTopic(self, "
                    f"{_class_name(topic) + 'Topic'!r}, publishers=[task]).topic"
                )
            break
        service_args = self.kwargs(plans, "service")
        if kind == "job" and all(plan.run_by_hand for plan in plans.values()):
            return "\n".join([*lines, *self.launcher(name)])
        if kind == "job":
            self.names.add("ScheduledTask")
            args = [
                (None, "self"),
                (None, '"Job"'),
                ("cluster", "platform.network"),
                ("task", "task"),
                *service_args,
            ]
            lines.append(f"{INDENT * 2}self.job = " + self.call("ScheduledTask", args, 2))
            return "\n".join(lines)
        if kind == "worker":
            self.names.update({"QueueWorker", "Subscription"})
            subscriptions = [
                f"Subscription(topics[{f'{svc}/{topic}'!r}]"
                + (f", filter_policy={py(policy)})" if policy else ")")
                for svc, topic, policy in first.subscribes
                if f"{svc}/{topic}" in self.published
            ]
            for svc, topic, _ in first.subscribes:
                if f"{svc}/{topic}" not in self.published:
                    for plan in plans.values():
                        plan.notes.append(
                            Note(
                                result.manifest.relative,
                                None,
                                "subscribe.topics",
                                "not subscribed",
                                f"topic {topic!r} of service {svc!r} is not published by a "
                                "service of this workspace: add "
                                "Subscription(sns.Topic.from_topic_arn(...))",
                            )
                        )
            args = [
                (None, "self"),
                (None, '"Worker"'),
                ("cluster", "platform.network"),
                ("task", "task"),
                *service_args,
            ]
            if subscriptions:
                args.append(("subscriptions", "[" + ", ".join(subscriptions) + "]"))
            lines.append(f"{INDENT * 2}self.worker = " + self.call("QueueWorker", args, 2))
            return "\n".join(lines)
        args = [
            (None, "self"),
            (None, '"Service"'),
            ("cluster", "platform.network"),
            ("task", "task"),
        ]
        if first.route is not None:
            # Each environment's own http settings (alias, path, health check, stickiness).
            routes = {env: plan for env, plan in plans.items() if plan.route is not None}
            route_args = [("priority", "priority"), *self.kwargs(routes, "route")]
            args.append(("load_balancer", self.call("platform.load_balancer.route", route_args, 3)))
        args += service_args
        serves = any(plan.connect for plan in plans.values())
        if serves:
            # Each environment's own alias (network.connect may be overridden).
            self.names.add("ServiceConnect")
            args += self.kwargs(plans, "connect")
        callees = self.callees.get(name, [])
        if callees:
            args.append(
                ("connects_to", "[" + ", ".join(f"servers[{callee!r}]" for callee in callees) + "]")
            )
        lines.append(f"{INDENT * 2}self.service = " + self.call("FargateService", args, 2))
        if serves:
            lines.append(f"{INDENT * 2}servers[{name!r}] = self.service")
        return "\n".join(lines)

    def launcher(self, name: str) -> list[str]:
        """A job Copilot ran by hand (``on.schedule: none``): a role that may start the task,
        trusted only by one role of the account, named after the job."""
        self.names.add("ManagedPolicyRole")
        self.modules.add("iam")
        self.core.add("CfnOutput")
        pad = INDENT * 2
        return [
            f"{pad}# Copilot ran this job by hand (on.schedule: none). Whoever may assume the",
            f"{pad}# launcher chooses the run's command and security groups: trust one role.",
            f'{pad}trusted = f"{{APP}}-{{environment}}-{name}-runner"',
            f"{pad}self.launcher = ManagedPolicyRole(",
            f"{pad}{INDENT}self,",
            f'{pad}{INDENT}"Launcher",',
            f"{pad}{INDENT}assumed_by=iam.AccountPrincipal(self.account).with_conditions(",
            f"{pad}{INDENT * 2}{{",
            f'{pad}{INDENT * 3}"ArnEquals": {{',
            f'{pad}{INDENT * 4}"aws:PrincipalArn": self.format_arn(',
            f'{pad}{INDENT * 5}service="iam", region="", resource="role", resource_name=trusted',
            f"{pad}{INDENT * 4})",
            f"{pad}{INDENT * 3}}}",
            f"{pad}{INDENT * 2}}}",
            f"{pad}{INDENT}),",
            f'{pad}{INDENT}description="Starts the {name} task by hand",',
            f"{pad})",
            f"{pad}task.grant_run(self.launcher, cluster=platform.network)",
            f"{pad}CfnOutput(",
            f"{pad}{INDENT}self,",
            f'{pad}{INDENT}"RunByHand",',
            f'{pad}{INDENT}description=f"Assume it from {{trusted}}, then aws ecs run-task",',
            f"{pad}{INDENT}value=self.launcher.role_arn,",
            f"{pad})",
        ]

    def main(self) -> str:
        order = self.services
        web = [r.manifest.name for r in order if any(p.kind == "web" for p in r.plans.values())]
        lines = [
            "def build(app: App) -> dict[str, Stack]:",
            f'{INDENT}"""Every environment\'s platform and service stacks."""',
            f"{INDENT}stacks: dict[str, Stack] = {{}}",
            f"{INDENT}for environment in ENVIRONMENTS:",
            f'{INDENT * 2}platform = Platform(app, f"{{APP}}-{{environment}}", '
            "environment=environment)",
            f"{INDENT * 2}stacks[platform.stack_name] = platform",
            f"{INDENT * 2}servers: dict[str, FargateService] = {{}}",
            f"{INDENT * 2}topics: dict[str, sns.ITopic] = {{}}",
        ]
        for result in order:
            name = result.manifest.name
            kwargs = "environment=environment, platform=platform, servers=servers, topics=topics"
            envs = [env for env in self.environments if env in result.plans]
            extra = INDENT if len(envs) < len(self.environments) else ""
            if extra:
                lines.append(f"{INDENT * 2}if environment in {envs!r}:")
            if name in web:
                kwargs += f", priority={web.index(name) + 1}"
            lines.append(
                f'{extra}{INDENT * 2}name = f"{{APP}}-{{environment}}-{_id(name)}"\n'
                f"{extra}{INDENT * 2}stacks[name] = {_class_name(name)}Stack(app, name, {kwargs})"
            )
        lines += [
            f"{INDENT}return stacks",
            "",
            "",
            'if __name__ == "__main__":',
            f"{INDENT}app = App()",
            f"{INDENT}build(app)",
            f"{INDENT}synth(app)",
        ]
        return "\n".join(lines)

    def order(self) -> list[ServiceResult]:
        """Publishers and Service Connect servers before the stacks that use them."""
        by_name = {r.manifest.name: r for r in self.services}
        self.published = {
            f"{name}/{topic}"
            for name, r in by_name.items()
            for topic in next(iter(r.plans.values())).publishes
        }
        servers = {
            name
            for name, r in by_name.items()
            if any(p.connect_alias and p.port for p in r.plans.values())
        }
        needs: dict[str, set[str]] = {}
        for name, result in by_name.items():
            first = next(iter(result.plans.values()))
            needs[name] = {svc for svc, _, _ in first.subscribes if svc in by_name}
            if first.connect_alias:
                needs[name] |= set(_mentioned(first, servers - {name}))
        ordered: list[str] = []
        callees: dict[str, list[str]] = {}
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in ordered or name in visiting:
                return
            visiting.add(name)
            for other in sorted(needs[name]):
                if other in visiting:  # a cycle: this edge stays out (reported)
                    _cycle_note(by_name[name], other)
                    continue
                visit(other)
                if other in servers:
                    callees.setdefault(name, []).append(other)
            visiting.discard(name)
            ordered.append(name)

        for name in by_name:
            visit(name)
        self.callees = callees
        return [by_name[name] for name in ordered]

    def _modules_of(self, value: Any) -> None:
        text = py(value)
        if "shell_variable(" in text:
            self.stdlib.add("os")
        if "Token.as_string(" in text:
            self.core.add("Token")
        for module in ("logs", "secretsmanager", "ssm", "ecs", "ecr"):
            if f"{module}." in text:
                self.modules.add(module)


# Copilot's logical IDs in its service template, and what stands for each in the generated
# stack (Python expressions); patches on any other resource are not replayed.
PATCHABLE = {
    "TaskDefinition": "task.task_definition",
    "TaskRole": "task.task_role",
    "ExecutionRole": "task.execution_role",
    "LogGroup": "task.log_group",
}
SERVICE_OF = {"web": "self.service", "backend": "self.service", "worker": "self.worker.service"}


class EscapeHatches:
    """Copilot's add-ons, YAML patches and CDK overrides of one service: code for the first
    two, and report lines for all three."""

    def __init__(self, writer: AppWriter, result: ServiceResult, kind: str) -> None:
        self.writer = writer
        self.result = result
        self.manifest = result.manifest
        self.run_by_hand = all(p.run_by_hand for p in result.plans.values())
        self.service = None if self.run_by_hand else SERVICE_OF.get(kind)
        self.web = kind == "web" and any(p.route is not None for p in result.plans.values())

    def note(self, key: str, done: str, todo: str, line: int | None = None) -> None:
        for plan in self.result.plans.values():
            plan.notes.append(Note(self.manifest.relative, line, key, done, todo))

    def path(self, file: Path) -> str:
        relative = os.path.relpath(file, self.writer.workspace.root)
        return f"WORKSPACE / {Path(relative).as_posix()!r}"

    def render(self) -> list[str]:
        return [*self.addons(), *self.patches(), *self.cdk_overrides()]

    def addons(self) -> list[str]:
        if not self.manifest.addons:
            return []
        parameters, unpassed = self._addon_parameters()
        lines: list[str] = []
        for file in self.manifest.addons:
            key = Path(os.path.relpath(file, self.manifest.file.parent)).as_posix()
            try:
                template = read_template(file)
            except InvalidParameterError as error:
                self.note(key, "not included", f"cannot be read: {error}")
                continue
            declared = set(template.get("Parameters") or {})
            wiring = output_wiring(template)
            self.writer.names.add("CopilotAddon")
            args: list[tuple[str | None, str]] = [
                (None, "self"),
                (None, py(f"Addon{_class_name(file.stem)}")),
                ("template_file", self.path(file)),
                ("task", "task"),
            ]
            if self.service and any(how == "security group" for how, _ in wiring.values()):
                args.append(("service", f"{self.service}.service"))
            args += [
                ("app", "APP"),
                ("environment", "environment"),
                ("name", py(self.manifest.name)),
            ]
            own = {k: v for k, v in parameters.items() if k in declared}
            if own:
                args.append(("parameters", py(own)))
            lines.append(f"{INDENT * 2}" + self.writer.call("CopilotAddon", args, 2))
            outputs = "; ".join(
                f"{name} -> {how}{f' {variable}' if variable else ''}"
                for name, (how, variable) in wiring.items()
            )
            missing = sorted(p for p in unpassed if p in declared)
            self.note(
                key,
                "included as written (CfnInclude), App/Env/Name supplied"
                + (f"; outputs: {outputs}" if outputs else ""),
                "its resources are checked by cdk-nag and cfn-lint like the rest of the stack; "
                "fix what they report in the template (nothing is acknowledged for you)"
                + (
                    f"; pass {', '.join(missing)} in parameters= (a value of Copilot's own "
                    "template in addons.parameters.yml)"
                    if missing
                    else ""
                ),
            )
        return lines

    def _addon_parameters(self) -> tuple[dict[str, str], list[str]]:
        """addons.parameters.yml: plain values, and the names of those that refer to
        Copilot's template (``!Ref``/``!GetAtt``), which do not exist here."""
        file = self.manifest.addon_parameters
        if file is None:
            return {}, []
        try:
            loaded = YAML(typ="rt").load(file.read_text())
        except (OSError, UnicodeDecodeError, YAMLError) as error:
            self.note("addons/addons.parameters.yml", "not read", str(error).splitlines()[0])
            return {}, []
        values = loaded.get("Parameters") if isinstance(loaded, dict) else None
        plain: dict[str, str] = {}
        unpassed: list[str] = []
        for name, value in (values or {}).items():
            if isinstance(value, str | int | float) and not hasattr(value, "tag"):
                plain[str(name)] = str(value)
            else:
                unpassed.append(str(name))
        return plain, unpassed

    def patches(self) -> list[str]:
        file = self.manifest.patches
        if file is None:
            return []
        key = Path(os.path.relpath(file, self.manifest.file.parent)).as_posix()
        try:
            operations = YAML(typ="safe").load(file.read_text())
        except (OSError, UnicodeDecodeError, YAMLError) as error:
            self.note(key, "not replayed", f"cannot be read: {str(error).splitlines()[0]}")
            return []
        if not isinstance(operations, list):
            self.note(key, "not replayed", "not a list of JSON patch operations")
            return []
        resources = dict(PATCHABLE)
        if self.service:
            resources["Service"] = f"{self.service}.service"
        if self.web:
            resources["TargetGroup"] = f"{self.service}.target_group"
        kept: list[Any] = []
        used: list[str] = []
        for index, op in enumerate(operations):
            path = str(op.get("path", "")) if isinstance(op, dict) else ""
            parts = path.split("/")
            where = f"{key}[{index}] {op.get('op') if isinstance(op, dict) else op} {path}"
            target = parts[2] if len(parts) > 2 and parts[1] == "Resources" else None
            if target in resources:
                kept.append(op)
                if target not in used:
                    used.append(target)
                self.note(
                    where,
                    f"replayed on {target} ({resources[target]})",
                    "check it against the synthesized template: this library's resources have "
                    "other properties than Copilot's (a missing path stops cdk synth)",
                )
            else:
                self.note(
                    where,
                    "not replayed",
                    (f"Copilot's {target} has no counterpart here" if target else "not a resource")
                    + "; patches map only "
                    + ", ".join(sorted(resources))
                    + ": make the change on the construct (escape hatch) by hand",
                )
        if not kept:
            return []
        self.writer.names.add("TemplatePatches")
        mapping = "{" + ", ".join(f"{name!r}: {resources[name]}" for name in used) + "}"
        args: list[tuple[str | None, str]] = [
            (None, "self"),
            (None, '"Patches"'),
            ("operations", py(kept)),
            ("resources", mapping),
            ("source", py(key)),
        ]
        return [
            f"{INDENT * 2}# Copilot's {key}: replayed on this stack's template by synth(app).",
            f"{INDENT * 2}" + self.writer.call("TemplatePatches", args, 2),
        ]

    def cdk_overrides(self) -> list[str]:
        files = self.manifest.cdk_overrides
        if not files:
            return []
        names = ", ".join(
            Path(os.path.relpath(f, self.manifest.file.parent)).as_posix() for f in files
        )
        self.note(
            "overrides/ (CDK)",
            "not converted",
            f"a TypeScript CDK app ({names}) transformed Copilot's template: port each "
            "transform to this stack by hand, on the constructs' L1s "
            "(task.task_definition.node.default_child, self.service.service.node.default_child) "
            "with add_property_override",
        )
        return []


def _mentioned(plan: ServicePlan, servers: set[str]) -> Iterable[str]:
    """Service Connect servers this service's variables name as a host (``http://orders:80``,
    ``orders.<namespace>``): the calls Copilot allowed and the app evidently makes."""
    text = " ".join(str(v) for v in plan.task.get("environment", {}).values())
    for server in servers:
        if re.search(rf"(^|[/@\s]){re.escape(server)}([:./\s]|$)", text):
            yield server


def _cycle_note(result: ServiceResult, other: str) -> None:
    for plan in result.plans.values():
        plan.notes.append(
            Note(
                result.manifest.relative,
                None,
                "network.connect",
                "not granted",
                f"it calls {other!r}, which calls it back: stacks cannot "
                "reference each other both ways; put both in one stack and "
                "add connects_to by hand",
            )
        )


def _get(data: dict[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _cdk_json() -> str:
    context = json.loads(
        resources.files("fargate_constructs.copilot").joinpath("cdk_context.json").read_text()
    )
    return json.dumps({"app": "python3 app.py", "context": context}, indent=2) + "\n"


def _requirements() -> str:
    """The released package at this minor version or a later one before 1.0 (the generated code
    uses no API older than the importing version); a comment keeps the route for an
    unreleased build."""
    major, minor = (int(part) for part in _package_version().split(".")[:2])
    return (
        "# With Node.js 24 in the virtualenv (the [node] extra), for jsii.\n"
        f"fargate-constructs[node]>={major}.{minor},<{major + 1 if major else 1}\n"
        "aws-cdk-lib>=2.275.0,<3\nconstructs>=10,<11\n"
        "# An unreleased build instead: python -m build --wheel in a fargate-constructs clone,\n"
        "# then pip install 'dist/fargate_constructs-<version>-py3-none-any.whl[node]' and\n"
        "# pip install -r requirements.txt.\n"
    )


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fargate-constructs")
    except PackageNotFoundError:
        return "0.9.0"


def migration_report(
    app: str, environments: list[str], results: list[ServiceResult], errors: list[str]
) -> str:
    converted = [r for r in results if r.plans and not r.errors]
    lines = [
        f"# Migrating {app} from AWS Copilot",
        "",
        f"Environments: {', '.join(environments)}. Services converted: {len(converted)} of "
        f"{len(results)}.",
        "",
        "Before deploying: every task runs as its image's user with a writable root filesystem "
        "(Copilot's defaults); set `user=` on each FargateTaskWithRoles to a non-root user the "
        "image has, and `readonly_root_filesystem=True` where the application writes only to "
        "/tmp. Secrets keep "
        "their SSM and Secrets Manager names. Copilot's resources stay until you delete the "
        "Copilot app: deploy the new stacks, move traffic (DNS), then `copilot app delete`.",
        "",
    ]
    for error in errors:
        lines += [f"- **not read**: {error}"]
    for result in results:
        manifest = result.manifest
        lines += [f"## {manifest.name} ({manifest.type}, `{manifest.relative}`)", ""]
        if result.unsupported:
            lines += [f"Not converted: {result.unsupported}.", ""]
            continue
        for error in result.errors:
            lines += [f"- **error**: {error} (not converted; fix the manifest and re-run)"]
        notes = result.notes
        if not notes and not result.errors:
            lines += ["Every key converted.", ""]
            continue
        if notes:
            lines += ["| line | key | done instead | to do by hand |", "|---:|---|---|---|"]
            for note in notes:
                todo = note.todo.replace("|", "\\|")
                lines.append(f"| {note.line or ''} | `{note.key}` | {note.done} | {todo} |")
        lines.append("")
    return "\n".join(lines)
