"""Helpers every test module uses: an App with cdk.json's context, whole-template snapshots with
volatile values normalized, cdk-nag over the four packs, and cfn-lint."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import cfnlint.api
import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk.assertions import Template
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NagPack,
    NIST80053R5Checks,
    PCIDSS321Checks,
)
from constructs import IConstruct

from fargate_constructs import InvalidParameterError

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
NAG_PACKS: tuple[type[NagPack], ...] = (
    AwsSolutionsChecks,
    NIST80053R5Checks,
    HIPAASecurityChecks,
    PCIDSS321Checks,
)
LINT_REGIONS = ["us-east-1", "eu-west-1"]

# Values the test apps share: a well-formed ACM certificate and WAF web ACL ARN, a stock image.
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
WAF = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/app/a1b2c3d4"
NGINX = "public.ecr.aws/nginx/nginx:1.27"


def cdk_json_context() -> dict[str, Any]:
    """The context (feature flags) that `cdk synth` passes to app.py."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def make_app(*, outdir: str | None = None, **extra_context: Any) -> App:
    """An App that synthesizes what `cdk synth` does: cdk.json's feature flags, plus extras."""
    return App(outdir=outdir, context={**cdk_json_context(), **extra_context})


def load_example_app() -> ModuleType:
    """app.py, the example app, as a module (its ``build(app)`` makes the stacks)."""
    spec = importlib.util.spec_from_file_location("example_app", REPO_ROOT / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nginx_task(stack: Stack, network: Any, id: str, port: int | None = 8080) -> Any:
    """A 0.25 vCPU / 0.5 GiB nginx task on ``network``'s log key, listening on ``port`` (None
    for a worker)."""
    from aws_cdk import aws_ecs as ecs

    from fargate_constructs import FargateTaskWithRoles, TaskSize

    return FargateTaskWithRoles(
        stack,
        id,
        image=ecs.ContainerImage.from_registry(NGINX),
        size=TaskSize(256, 512),
        container_port=port,
        log_key=network.log_key,
    )


def roles_and_trust(template: dict[str, Any], *prefixes: str) -> dict[str, Any]:
    """Each IAM role whose logical ID starts with one of ``prefixes``: its trust policy and
    managed policies (what a roles snapshot pins)."""
    return {
        key: {
            "trust": resource["Properties"]["AssumeRolePolicyDocument"],
            "managed": resource["Properties"].get("ManagedPolicyArns"),
        }
        for key, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role" and key.startswith(prefixes)
    }


def template_of(stack: Stack) -> dict[str, Any]:
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


# Asset hashes change with every aws-cdk-lib release; the bootstrap version rule and parameter
# are the same in every stack and say nothing about our constructs.
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}(\.(zip|json))?\b")


def normalized(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes and the bootstrap boilerplate replaced or removed."""
    text = _ASSET_HASH.sub(lambda m: "ASSET_HASH" + (m.group(1) or ""), json.dumps(template))
    result: dict[str, Any] = json.loads(text)
    result.get("Parameters", {}).pop("BootstrapVersion", None)
    result.get("Rules", {}).pop("CheckBootstrapVersion", None)
    for section in ("Parameters", "Rules"):
        if section in result and not result[section]:
            del result[section]
    return result


@dataclass(frozen=True)
class NagFinding:
    rule_id: str
    path: str
    description: str

    def __str__(self) -> str:
        return f"{self.rule_id} at {self.path}: {self.description}"


def nag_findings(scope: IConstruct) -> list[NagFinding]:
    """Unacknowledged findings of the four cdk-nag packs on ``scope`` (acknowledged ones are
    filtered by cdk-nag itself)."""
    findings = []
    for pack in NAG_PACKS:
        report = pack().validate_scope(scope)
        for violation in report.violations:
            for resource in violation.violating_resources:
                findings.append(
                    NagFinding(
                        violation.rule_name,
                        resource.construct_path or resource.resource_logical_id or "?",
                        violation.description.splitlines()[0],
                    )
                )
    return findings


@dataclass(frozen=True)
class LintFinding:
    rule_id: str
    level: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.level} {self.rule_id} at {self.path}: {self.message}"


def cfn_lint(template: dict[str, Any], *, ignore: Iterable[str] = ()) -> list[LintFinding]:
    """cfn-lint's errors and warnings (informational findings left out) for a template.
    Checks a resource skips through its ``cfn-lint`` Metadata are skipped, as on the CLI."""
    ignored = set(ignore)
    matches = cfnlint.api.lint(
        json.dumps(template), config=cfnlint.api.ManualArgs(regions=LINT_REGIONS)
    )
    findings = []
    for match in matches:
        rule_id = match.rule.id
        path = "/".join(str(part) for part in match.path) if match.path else ""
        if rule_id.startswith("I") or rule_id in ignored:
            continue
        findings.append(
            LintFinding(
                rule_id, "error" if rule_id.startswith("E") else "warning", path, match.message
            )
        )
    return findings


def compliance_findings(stack: IConstruct, template: dict[str, Any]) -> list[str]:
    """What the four cdk-nag packs (on ``stack``) and cfn-lint (on its ``template``) report,
    one line each: empty when both are clean."""
    return [str(finding) for finding in nag_findings(stack)] + [
        str(finding) for finding in cfn_lint(template)
    ]


def assert_explained(build: Callable[[], object], fragments: Iterable[str]) -> None:
    """``build()`` fails with one :class:`InvalidParameterError` whose message holds every
    fragment (the parameter, the value given, what is allowed, the nearest valid choice)."""
    with pytest.raises(InvalidParameterError) as raised:
        build()
    message = str(raised.value)
    assert [fragment for fragment in fragments if fragment not in message] == [], message


def synth_warnings(app: App) -> list[str]:
    """Every warning and error synthesis reports, as `cdk synth` would print them: annotations
    written to the stacks' metadata, and violations in CDK's validation report (annotations
    added while validating, and aws-cdk-lib's built-in template validation)."""
    assembly = app.synth()
    outdir = Path(assembly.directory)
    messages = []
    for metadata_file in sorted(outdir.glob("*.metadata.json")):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] in ("aws:cdk:warning", "aws:cdk:error"):
                    messages.append(f"{path}: {entry['data']}")
    for stack in assembly.stacks:
        for path, entries in (stack.manifest.metadata or {}).items():
            for entry in entries:
                if entry.type in ("aws:cdk:warning", "aws:cdk:error"):
                    messages.append(f"{path}: {entry.data}")
    report = outdir / "validation-report.json"
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            if plugin["pluginName"] == "Construct Annotations":
                continue  # the same annotations as in the metadata above
            for violation in plugin["violations"]:
                paths = [c["constructPath"] for c in violation.get("violatingConstructs", [])]
                messages.append(
                    f"{plugin['pluginName']} {violation['ruleName']} ({violation['severity']}) "
                    f"at {', '.join(paths)}: {violation['description']}"
                )
    return messages


def assert_logical_ids(template: dict[str, Any], expected: dict[str, str]) -> None:
    """Each ``{logical-id prefix: resource type}`` names exactly one resource (the prefix plus
    CDK's 8-character hash). Logical IDs are a contract: a change replaces users' resources."""
    resources = template["Resources"]
    for prefix, resource_type in expected.items():
        matches = [
            logical_id
            for logical_id, resource in resources.items()
            if re.fullmatch(prefix + "[0-9A-F]{8}", logical_id)
            and resource["Type"] == resource_type
        ]
        assert len(matches) == 1, f"{prefix} ({resource_type}): {matches}"


def execution_role_start_statements(repo: str, log_group: str, secret: str) -> list[Any]:
    """What a task's execution role holds to start a container from ECR repository ``repo``,
    log to ``log_group`` and read Secrets Manager secret ``secret`` (logical IDs), in order."""
    return [
        {
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [repo, "Arn"]},
        },
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
        },
        {
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Effect": "Allow",
            "Resource": {"Ref": secret},
        },
    ]


def control_tower_findings(build: Any, *, outdir: Path) -> list[str]:
    """Unacknowledged findings of AWS Control Tower's proactive controls (the cfn-guard policy
    validation plugin, as an organization's CloudFormation hooks would run them) on the app
    that ``build(app)`` fills."""
    from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

    app = make_app(outdir=str(outdir))
    Validations.of(app).add_plugins(CfnGuardValidator())
    build(app)
    try:
        app.synth()
    except RuntimeError as error:  # the plugin fails synthesis on any finding
        if "ValidationFailed" not in str(error) and "Validation failed" not in str(error):
            raise
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in json.loads(report.read_text())["pluginReports"]
        if plugin["pluginName"] != "Construct Annotations"
        for violation in plugin["violations"]
        for construct in violation.get("violatingConstructs", [])
    ]
