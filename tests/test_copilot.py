"""`fargate-constructs copilot import`: the fixture workspace (tests/fixtures/copilot/shop, written
from Copilot's documented manifest specification) converts, each documented key has its effect
in the synthesized templates, the report lists every key that did not map, and bad input gives
one-line errors with exit code 2."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from fargate_constructs import check, synth
from fargate_constructs.cli import main
from fargate_constructs.copilot import import_workspace
from fargate_constructs.copilot.manifest import read_manifest

from .harness import (
    REPO_ROOT,
    cdk_json_context,
    cfn_lint,
    compliance_findings,
    synth_warnings,
)

SHOP = REPO_ROOT / "tests" / "fixtures" / "copilot" / "shop"


@dataclass
class Imported:
    out: Path
    source: str
    report: str
    app: App
    stacks: dict[str, Stack]
    templates: dict[str, dict[str, Any]]

    def resources(self, stack: str, resource_type: str) -> list[dict[str, Any]]:
        return [
            resource["Properties"]
            for resource in self.templates[stack]["Resources"].values()
            if resource["Type"] == resource_type
        ]

    def container(self, stack: str, name: str = "app") -> dict[str, Any]:
        [task] = self.resources(stack, "AWS::ECS::TaskDefinition")
        [container] = [c for c in task["ContainerDefinitions"] if c["Name"] == name]
        return container


def _build(out: Path) -> tuple[App, dict[str, Stack]]:
    """The generated app in ``out``, built with its cdk.json context and checked."""
    spec = importlib.util.spec_from_file_location(f"app_{out.name}", out / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = json.loads((out / "cdk.json").read_text())["context"]
    app = App(context=context, outdir=str(out / "cdk.out"))
    stacks: dict[str, Stack] = module.build(app)
    check(app)
    return app, stacks


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    out = tmp_path_factory.mktemp("shop-cdk")
    import_workspace(SHOP, out)
    app, stacks = _build(out)
    templates = {name: Template.from_stack(stack).to_json() for name, stack in stacks.items()}
    return Imported(
        out,
        (out / "app.py").read_text(),
        (out / "MIGRATION.md").read_text(),
        app,
        stacks,
        templates,
    )


def test_one_platform_and_one_stack_per_service_per_environment(imported: Imported) -> None:
    # landing, a Request-Driven Web Service (App Runner), converts since 0.8.0.
    assert sorted(imported.stacks) == [
        "shop-prod", "shop-prod-broker", "shop-prod-frontend", "shop-prod-landing",
        "shop-prod-mailer", "shop-prod-nightly", "shop-prod-orders", "shop-test",
        "shop-test-broker", "shop-test-frontend", "shop-test-landing", "shop-test-mailer",
        "shop-test-nightly", "shop-test-orders",
    ]  # fmt: skip


def test_the_generated_app_passes_the_packs_and_lint(imported: Imported) -> None:
    assert synth_warnings(imported.app) == []
    # The prod stacks: the same code as test's with more in it (certificate, autoscaling).
    # `make check` also cfn-lints every stack the CLI synthesizes from this fixture.
    for name, stack in imported.stacks.items():
        if not name.startswith("shop-prod"):
            continue
        assert compliance_findings(stack, imported.templates[name]) == [], name


def test_the_generated_code_is_formatted_and_typed(imported: Imported) -> None:
    ruff = shutil.which("ruff")
    assert ruff is not None
    formatted = subprocess.run(
        [ruff, "format", "--check", "--line-length", "100", str(imported.out / "app.py")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    assert "class FrontendStack(Stack):" in imported.source  # the manifest's names
    assert "cdk_json_context" not in imported.source


def test_the_cdk_json_is_the_librarys(imported: Imported) -> None:
    written = json.loads((imported.out / "cdk.json").read_text())
    assert written["context"] == cdk_json_context()
    assert written["app"] == "python3 app.py"


def test_environment_manifests_shape_the_platform(imported: Imported) -> None:
    [prod_vpc] = imported.resources("shop-prod", "AWS::EC2::VPC")
    [test_vpc] = imported.resources("shop-test", "AWS::EC2::VPC")
    assert (prod_vpc["CidrBlock"], test_vpc["CidrBlock"]) == ("10.8.0.0/16", "10.0.0.0/16")
    prod = {
        l_["Protocol"]
        for l_ in imported.resources("shop-prod", "AWS::ElasticLoadBalancingV2::Listener")
    }
    test = {
        l_["Protocol"]
        for l_ in imported.resources("shop-test", "AWS::ElasticLoadBalancingV2::Listener")
    }
    assert "HTTPS" in prod  # http.public.certificates
    assert test == {"HTTP"}  # Copilot served plain HTTP without a certificate
    [namespace] = imported.resources("shop-prod", "AWS::ServiceDiscovery::HttpNamespace")
    assert namespace["Name"] == "prod.shop.local"
    assert imported.resources("shop-prod", "AWS::WAFv2::WebACL")


def test_http_settings_per_environment(imported: Imported) -> None:
    """environments.<env>.http overrides reach that environment's rule and target group (0.7
    rendered the first environment's route for every environment)."""

    def hosts(stack: str) -> list[str]:
        [rule] = imported.resources(stack, "AWS::ElasticLoadBalancingV2::ListenerRule")
        return [
            value
            for condition in rule["Conditions"]
            if condition["Field"] == "host-header"
            for value in condition["HostHeaderConfig"]["Values"]
        ]

    def health_path(stack: str) -> str:
        [group] = imported.resources(stack, "AWS::ElasticLoadBalancingV2::TargetGroup")
        path: str = group["HealthCheckPath"]
        return path

    assert hosts("shop-prod-frontend") == ["shop.example.com"]
    assert hosts("shop-test-frontend") == ["test.shop.example.com"]
    assert health_path("shop-prod-frontend") == "/healthz"
    assert health_path("shop-test-frontend") == "/ready"


def test_web_service_keys(imported: Imported) -> None:
    container = imported.container("shop-test-frontend")
    assert container["PortMappings"][0]["ContainerPort"] == 8080  # image.port
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert environment["LOG_LEVEL"] == "info"  # variables
    assert environment["STAGE"] == "test"  # ${COPILOT_ENVIRONMENT_NAME}
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in container["Secrets"]}
    assert "/copilot/shop/test/secrets/session_key" in secrets["SESSION_KEY"]  # SSM name
    assert "secret:shop/stripe" in secrets["STRIPE_KEY"]  # secretsmanager + json key
    assert ":api_key::" in secrets["STRIPE_KEY"]
    assert container["ReadonlyRootFilesystem"] is False  # exec wins over readonly_fs
    [task] = imported.resources("shop-test-frontend", "AWS::ECS::TaskDefinition")
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"  # platform
    assert (task["Cpu"], task["Memory"]) == ("512", "1024")  # cpu, memory
    assert {c["Name"] for c in task["ContainerDefinitions"]} == {"app", "nginx"}  # sidecars
    [log_group] = imported.resources("shop-test-frontend", "AWS::Logs::LogGroup")
    assert log_group["RetentionInDays"] == 30  # logging.retention
    [service] = imported.resources("shop-test-frontend", "AWS::ECS::Service")
    assert service["EnableExecuteCommand"] is True  # exec
    assert service["DesiredCount"] == 1  # count
    assert service["HealthCheckGracePeriodSeconds"] == 60  # http.healthcheck.grace_period
    [group] = imported.resources("shop-test-frontend", "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert group["HealthCheckPath"] == "/ready"  # environments.test.http.healthcheck.path
    assert group["Matcher"] == {"HttpCode": "200,301"}
    assert (group["HealthyThresholdCount"], group["UnhealthyThresholdCount"]) == (3, 2)
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (15, 10)
    attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "20"
    assert attributes["stickiness.enabled"] == "true"
    [rule] = imported.resources("shop-test-frontend", "AWS::ElasticLoadBalancingV2::ListenerRule")
    fields = {c["Field"]: c for c in rule["Conditions"]}
    # environments.test.http.alias
    assert fields["host-header"]["HostHeaderConfig"]["Values"] == ["test.shop.example.com"]
    assert fields["path-pattern"]["PathPatternConfig"]["Values"] == ["/*"]  # http.path
    [topic] = imported.resources("shop-test-frontend", "AWS::SNS::Topic")  # publish
    assert "KmsMasterKeyId" in topic


def test_environment_overrides(imported: Imported) -> None:
    [service] = imported.resources("shop-prod-frontend", "AWS::ECS::Service")
    assert "DesiredCount" not in service
    [target] = imported.resources(
        "shop-prod-frontend", "AWS::ApplicationAutoScaling::ScalableTarget"
    )
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)  # count.range
    policies = imported.resources(
        "shop-prod-frontend", "AWS::ApplicationAutoScaling::ScalingPolicy"
    )
    metrics = sorted(
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in policies
    )
    assert metrics == ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]
    prod_env = {
        e["Name"]: e["Value"] for e in imported.container("shop-prod-frontend")["Environment"]
    }
    assert prod_env["STAGE"] == "prod"
    assert (
        imported.resources("shop-test-frontend", "AWS::ApplicationAutoScaling::ScalableTarget")
        == []
    )


def test_backend_service_keys(imported: Imported) -> None:
    container = imported.container("shop-test-orders")
    assert container["Command"] == ["python", "-m", "http.server", "8080"]  # command
    assert container["HealthCheck"]["Retries"] == 2  # image.healthcheck
    assert container["HealthCheck"]["StartPeriod"] == 30
    [service] = imported.resources("shop-test-orders", "AWS::ECS::Service")
    strategy = {s["CapacityProvider"]: s for s in service["CapacityProviderStrategy"]}
    assert strategy["FARGATE"]["Base"] == 1  # count.range.spot_from: 2
    assert strategy["FARGATE_SPOT"]["Weight"] == 1
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 0  # rolling: recreate
    assert service["DeploymentConfiguration"]["MaximumPercent"] == 100
    connect = service["ServiceConnectConfiguration"]["Services"][0]  # network.connect.alias
    assert connect["DiscoveryName"] == "orders"
    assert service.get("LoadBalancers", []) == []
    ingress = imported.resources("shop-test-frontend", "AWS::EC2::SecurityGroupIngress")
    # The frontend's ORDERS_URL names orders: it may call exactly orders' port.
    assert [(rule["FromPort"], rule["ToPort"]) for rule in ingress] == [(8080, 8080)]


def test_network_load_balancer_keys(imported: Imported) -> None:
    [listener] = imported.resources("shop-test-broker", "AWS::ElasticLoadBalancingV2::Listener")
    assert (listener["Protocol"], listener["Port"]) == ("TCP", 1883)  # nlb.port 1883/tcp
    [group] = imported.resources("shop-test-broker", "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert group["HealthyThresholdCount"] == 3  # nlb.healthcheck
    assert group["HealthCheckIntervalSeconds"] == 10
    [service] = imported.resources("shop-test-broker", "AWS::ECS::Service")
    assert service["DesiredCount"] == 2
    assert "## broker (Load Balanced Web Service, `copilot/broker/manifest.yml`)\n\nEvery key " in (
        imported.report
    )


def test_worker_keys(imported: Imported) -> None:
    [queue, dead_letters] = sorted(
        imported.resources("shop-test-mailer", "AWS::SQS::Queue"),
        key=lambda q: "RedrivePolicy" in q,
        reverse=True,
    )
    assert queue["VisibilityTimeout"] == 120  # subscribe.queue.timeout
    assert queue["MessageRetentionPeriod"] == 96 * 3600  # subscribe.queue.retention
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3  # dead_letter.tries
    assert "KmsMasterKeyId" in dead_letters
    [subscription] = imported.resources("shop-test-mailer", "AWS::SNS::Subscription")
    assert subscription["FilterPolicy"] == {"event": ["placed"]}  # subscribe.topics
    [target] = imported.resources("shop-test-mailer", "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 5)
    [tracking] = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in imported.resources(
            "shop-test-mailer", "AWS::ApplicationAutoScaling::ScalingPolicy"
        )
        if p["PolicyType"] == "TargetTrackingScaling"
    ]
    assert tracking["TargetValue"] == 240  # queue_delay: 60 s / 0.25 s per message


def test_scheduled_job_keys(imported: Imported) -> None:
    [schedule] = imported.resources("shop-test-nightly", "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "cron(0 0 * * ? *)"  # on.schedule @daily
    container = imported.container("shop-test-nightly")
    assert "123456789012.dkr.ecr.eu-west-1." in json.dumps(container["Image"])
    assert "Environment" not in container  # the !Sub value was dropped and reported
    [policy] = [
        p for p in imported.resources("shop-test-nightly", "AWS::IAM::ManagedPolicy")
        if "ecr:BatchGetImage" in json.dumps(p)
    ]  # fmt: skip
    assert "repository/shop/report" in json.dumps(policy)  # pull granted on exactly the repo


def test_the_report_lists_every_key_that_did_not_map(imported: Imported) -> None:
    report = imported.report
    for row in (
        "| 17 | `http.alias` | host_headers=['shop.example.com'] |",
        "| 62 | `environments.test.http.alias` | host_headers=['test.shop.example.com'] |",
        "| 70 | `environments.prod.variabels` | ignored | not a Copilot key (typo of "
        "'variables'?) |",
        "| 46 | `storage.readonly_fs` | root filesystem writable |",
        "| 31 | `entrypoint` | not mapped |",
        "| 32 | `env_file` | not mapped |",
        "| 36 | `environments.staging` | not applied | no environment manifest named 'staging'",
        "| 7 | `retries` | not mapped |",
        "| 8 | `timeout` | not mapped |",
        "| 16 | `variables.BUCKET` | left out | CloudFormation tag !Sub ${AWS::StackName}-reports",
        "| 2 | `type` | public FargateService on the shared load balancer | App Runner's own "
        "HTTPS domain is gone",
    ):
        assert row in report, row
    assert "## mailer (Worker Service, `copilot/mailer/manifest.yml`)\n\nEvery key converted." in (
        report
    )


def test_yaml_12_keeps_on_and_yes(tmp_path: Path) -> None:
    file = tmp_path / "manifest.yml"
    file.write_text("name: job\ntype: Scheduled Job\non:\n  schedule: '@hourly'\nflag: yes\n")
    manifest = read_manifest(file, tmp_path)
    assert manifest.data["on"] == {"schedule": "@hourly"}
    assert manifest.data["flag"] == "yes"


def _workspace(tmp_path: Path, **manifests: str) -> Path:
    for name, text in manifests.items():
        folder = tmp_path / "ws" / "copilot" / name
        folder.mkdir(parents=True)
        (folder / "manifest.yml").write_text(text)
    return tmp_path / "ws"


WEB = "name: web\ntype: Backend Service\nimage:\n  location: nginx:1.27\n"


@pytest.mark.parametrize(
    ("manifests", "expected"),
    [
        ({"api": "name: api\ntype: Backend Service\ncpu: 300\nimage:\n  location: nginx\n"},
         "copilot/api/manifest.yml:3: key 'cpu' is 300; Fargate CPU units are 256, 512, "
         "1024, 2048, 4096, 8192, 16384; nearest: 256"),
        ({"api": "name: api\nimage:\n  location: nginx\n"},
         "copilot/api/manifest.yml: key 'type' missing"),
        ({"api": "name: api\ntype: Lambda Service\n"},
         "copilot/api/manifest.yml:2: key 'type' is 'Lambda Service'; Copilot's types are"),
        ({"api": "name: api\ntype: [unclosed\n"}, "copilot/api/manifest.yml:3: invalid YAML"),
        ({"api": "- just\n- a list\n"}, "copilot/api/manifest.yml: not a Copilot manifest"),
        ({"api": "name: api\ntype: Scheduled Job\non:\n  schedule: every day\n"
                 "image:\n  location: x\n"},
         "copilot/api/manifest.yml:4: key 'on.schedule' is 'every day'"),
    ],
)  # fmt: skip
def test_bad_manifests_are_one_line_errors_and_the_rest_converts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifests: dict[str, str], expected: str
) -> None:
    workspace = _workspace(tmp_path, web=WEB, **manifests)
    out = tmp_path / "out"
    assert main(["copilot", "import", str(workspace), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    [error] = captured.err.splitlines()
    assert error.startswith("fargate-constructs: error: ")
    assert expected in error
    assert "Traceback" not in captured.err
    assert "1 of " in captured.out  # web still converted
    assert "class WebStack(Stack):" in (out / "app.py").read_text()


@pytest.mark.parametrize(
    ("path", "expected"),
    [("missing", "missing: no such directory"), ("file.txt", "not a directory")],
)
def test_missing_or_wrong_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, expected: str
) -> None:
    (tmp_path / "file.txt").write_text("x")
    assert main(["copilot", "import", str(tmp_path / path), "--out", str(tmp_path / "o")]) == 2
    [error] = capsys.readouterr().err.splitlines()
    assert expected in error


def test_out_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").write_text("x")
    assert main(["copilot", "import", str(SHOP), "--out", str(tmp_path / "taken")]) == 2
    [error] = capsys.readouterr().err.splitlines()
    assert error.endswith("taken: exists and is not a directory")


def test_an_empty_workspace_says_what_it_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "copilot").mkdir()
    assert main(["copilot", "import", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no manifests (expected copilot/<service>/manifest.yml)" in capsys.readouterr().err


def _plan(tmp_path: Path, text: str, environment: str = "test") -> Any:
    from fargate_constructs.copilot.mapping import map_service

    file = tmp_path / "manifest.yml"
    file.write_text(text)
    return map_service(read_manifest(file, tmp_path), environment, "shop")


WEB_HEAD = (
    "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1.27\n  port: 80\n"
)


def test_copilots_older_target_container_spelling(tmp_path: Path) -> None:
    sidecar = "sidecars:\n  proxy:\n    image: envoyproxy/envoy:v1.31\n    port: 9901\n"
    own = _plan(tmp_path, WEB_HEAD + "http:\n  path: /\n  targetContainer: api\n")
    assert "target_container" not in own.service  # Copilot's main container: here "app"
    other = _plan(tmp_path, WEB_HEAD + sidecar + "http:\n  path: /\n  targetContainer: proxy\n")
    assert other.service["target_container"] == "proxy"
    assert not [note for note in other.notes if "targetContainer" in note.key]


def test_shell_variables_are_read_from_the_deploying_environment(tmp_path: Path) -> None:
    from fargate_constructs.copilot.codegen import SHELL_VARIABLE
    from fargate_constructs.copilot.mapper import py

    plan = _plan(
        tmp_path,
        WEB_HEAD
        + "variables:\n  TAG: ${IMAGE_TAG}\n  URL: https://${DOMAIN}/{x}/${COPILOT_ENVIRONMENT_NAME}\n",
    )
    environment = plan.task["environment"]
    assert py(environment["TAG"]) == "shell_variable('IMAGE_TAG', 'variables.TAG')"
    namespace: dict[str, object] = {"os": __import__("os")}
    exec(SHELL_VARIABLE, namespace)
    scope = {**namespace, "environment": "test"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IMAGE_TAG", "v7")
        patch.setenv("DOMAIN", "shop.example.com")
        assert eval(py(environment["TAG"]), scope) == "v7"
        assert eval(py(environment["URL"]), scope) == "https://shop.example.com/{x}/test"
        patch.delenv("DOMAIN")
        # One line naming the variable and the manifest key, not a bare KeyError.
        with pytest.raises(SystemExit) as stopped:
            eval(py(environment["URL"]), scope)
        assert str(stopped.value) == (
            "error: set DOMAIN in the shell that runs cdk: the Copilot manifest's "
            "variables.URL reads ${DOMAIN}"
        )


def test_import_leaves_no_cache_and_asks_for_the_released_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _workspace(tmp_path, web=WEB_HEAD)
    monkeypatch.chdir(tmp_path)
    import_workspace(workspace, tmp_path / "out")
    assert not (tmp_path / ".ruff_cache").exists()
    assert not (tmp_path / "out" / ".ruff_cache").exists()
    requirements = (tmp_path / "out" / "requirements.txt").read_text()
    # The released package (what `pip install -r` finds on the package index), at this minor
    # version or later; the unreleased route stays as a comment.
    assert [
        line
        for line in requirements.splitlines()
        if "fargate-constructs" in line and not line.startswith("#")
    ] == ["fargate-constructs[node]>=0.9,<1"]
    assert "python -m build --wheel" in requirements
    source = (tmp_path / "out" / "app.py").read_text()
    assert "{INDENT}" not in source


def test_service_connect_calls_both_ways_keep_one_and_report_the_other(
    tmp_path: Path,
) -> None:
    def backend(name: str, calls: str) -> str:
        return (
            f"name: {name}\ntype: Backend Service\nimage:\n  location: nginx:1.27\n  port: 80\n"
            f"network:\n  connect: true\nvariables:\n  PEER: http://{calls}:80\n"
        )

    workspace = _workspace(tmp_path, a=backend("a", "b"), b=backend("b", "a"))
    result = import_workspace(workspace, tmp_path / "out")
    source = (tmp_path / "out" / "app.py").read_text()
    assert source.count("connects_to=") == 1  # both ways would be a cycle between stacks
    report = (tmp_path / "out" / "MIGRATION.md").read_text()
    assert "| `network.connect` | not granted | it calls" in report
    assert len(result.converted) == 2


def test_an_override_that_builds_constructs_builds_only_its_environments(
    imported: Imported,
) -> None:
    secrets = {
        env: {
            s["Name"]: json.dumps(s["ValueFrom"])
            for s in imported.container(f"shop-{env}-frontend")["Secrets"]
        }
        for env in ("test", "prod")
    }
    assert "/shop/prod/session_key" in secrets["prod"]["SESSION_KEY"]
    assert "/copilot/shop/test/secrets/session_key" in secrets["test"]["SESSION_KEY"]


def _properties(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    """The properties of each resource of ``resource_type`` in ``template``."""
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == resource_type]


def _synthesize(out: Path) -> dict[str, dict[str, Any]]:
    _, stacks = _build(out)
    return {name: Template.from_stack(stack).to_json() for name, stack in stacks.items()}


def test_environments_from_the_services_when_there_are_no_environment_manifests(
    tmp_path: Path,
) -> None:
    """The image only under environments.<env>, a setting only one environment makes: each
    environment gets its own, the other keeps the library's default (not None)."""
    manifest = (
        "name: api\ntype: Backend Service\ncpu: 256\nmemory: 512\n"
        "environments:\n"
        "  dev:\n    image:\n      location: nginx:1.27\n      port: 80\n"
        "  prod:\n    image:\n      location: nginx:1.28\n      port: 80\n"
        "    logging:\n      retention: 30\n"
    )
    workspace = _workspace(tmp_path, api=manifest)
    result = import_workspace(workspace, tmp_path / "out")
    assert result.environments == ["dev", "prod"]
    templates = _synthesize(tmp_path / "out")
    images = {}
    retention = {}
    for env in ("dev", "prod"):
        template = templates[f"ws-{env}-api"]
        [task] = _properties(template, "AWS::ECS::TaskDefinition")
        [log_group] = _properties(template, "AWS::Logs::LogGroup")
        images[env] = task["ContainerDefinitions"][0]["Image"]
        retention[env] = log_group["RetentionInDays"]
    assert images == {"dev": "nginx:1.27", "prod": "nginx:1.28"}
    assert retention == {"dev": 365, "prod": 30}  # dev: the library's default, one year


def test_a_job_run_by_hand_is_a_task_and_a_launcher(tmp_path: Path) -> None:
    manifest = (
        "name: report\ntype: Scheduled Job\non:\n  schedule: none\n"
        "image:\n  location: nginx:1.27\ncpu: 256\nmemory: 512\n"
    )
    workspace = _workspace(tmp_path, report=manifest)
    result = import_workspace(workspace, tmp_path / "out")
    assert result.services[0].plans
    source = (tmp_path / "out" / "app.py").read_text()
    assert "ScheduledTask" not in source
    templates = _synthesize(tmp_path / "out")  # check(app) runs the PassRole check
    template = templates["ws-test-report"]
    types = [r["Type"] for r in template["Resources"].values()]
    assert "AWS::Scheduler::Schedule" not in types
    [launcher] = [
        r for k, r in template["Resources"].items()
        if k.startswith("Launcher") and r["Type"] == "AWS::IAM::Role"
    ]  # fmt: skip
    (statement,) = launcher["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    arn = json.dumps(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"])
    assert ":role/ws-test-report-runner" in arn
    actions = json.dumps(_properties(template, "AWS::IAM::ManagedPolicy"))
    assert "ecs:RunTask" in actions
    assert "iam:PassRole" in actions
    assert any(key.startswith("RunByHand") for key in template["Outputs"])
    report = (tmp_path / "out" / "MIGRATION.md").read_text()
    assert "run by hand only" in report


def test_a_request_driven_web_service_becomes_a_public_load_balanced_service(
    tmp_path: Path,
) -> None:
    manifest = (
        "name: api\ntype: Request-Driven Web Service\n"
        "http:\n  healthcheck:\n    path: /health\n    healthy_threshold: 3\n"
        "image:\n  location: public.ecr.aws/nginx/nginx:1.27\n  port: 8080\n"
        "cpu: 1024\nmemory: 2048\n"
    )
    workspace = _workspace(tmp_path, api=manifest)
    result = import_workspace(workspace, tmp_path / "out")
    assert result.services[0].plans
    assert not result.services[0].unsupported
    templates = _synthesize(tmp_path / "out")
    service = templates["ws-test-api"]
    [task] = _properties(service, "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("1024", "2048")
    [group] = _properties(service, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert group["HealthCheckPath"] == "/health"
    assert group["HealthyThresholdCount"] == 3
    [balancer] = _properties(templates["ws-test"], "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert balancer["Scheme"] == "internet-facing"
    report = (tmp_path / "out" / "MIGRATION.md").read_text()
    assert "App Runner's own HTTPS domain is gone" in report


def test_count_variables_and_secrets_per_environment(tmp_path: Path) -> None:
    """Each override family reaches its own environment's template."""
    manifest = (
        "name: api\ntype: Backend Service\ncpu: 256\nmemory: 512\ncount: 1\n"
        "image:\n  location: nginx:1.27\n  port: 80\n"
        "variables:\n  LOG_LEVEL: info\n"
        "secrets:\n  TOKEN: /shop/test/token\n"
        "environments:\n"
        "  prod:\n    count: 3\n    variables:\n      LOG_LEVEL: warn\n"
        "    secrets:\n      TOKEN: /shop/prod/token\n"
    )
    workspace = _workspace(tmp_path, api=manifest)
    for env in ("test", "prod"):
        folder = workspace / "copilot" / "environments" / env
        folder.mkdir(parents=True)
        (folder / "manifest.yml").write_text(f"name: {env}\ntype: Environment\n")
    import_workspace(workspace, tmp_path / "out")
    templates = _synthesize(tmp_path / "out")
    seen = {}
    for env in ("test", "prod"):
        template = templates[f"ws-{env}-api"]
        [service] = _properties(template, "AWS::ECS::Service")
        [task] = _properties(template, "AWS::ECS::TaskDefinition")
        container = task["ContainerDefinitions"][0]
        variables = {e["Name"]: e["Value"] for e in container["Environment"]}
        [secret] = container["Secrets"]
        seen[env] = (
            service["DesiredCount"],
            variables["LOG_LEVEL"],
            json.dumps(secret["ValueFrom"]),
        )
    assert seen["test"][:2] == (1, "info")
    assert seen["prod"][:2] == (3, "warn")
    assert "/shop/test/token" in seen["test"][2]
    assert "/shop/prod/token" in seen["prod"][2]


def _two_environments(workspace: Path, cidrs: dict[str, str] | None = None) -> None:
    for env in ("test", "prod"):
        folder = workspace / "copilot" / "environments" / env
        folder.mkdir(parents=True)
        network = f"network:\n  vpc:\n    cidr: {cidrs[env]}\n" if cidrs else ""
        (folder / "manifest.yml").write_text(f"name: {env}\ntype: Environment\n{network}")


def test_image_and_network_per_environment(tmp_path: Path) -> None:
    """The image and the network family (the environment's VPC, the service's Service Connect
    alias) reach each environment's templates."""
    manifest = (
        "name: api\ntype: Backend Service\ncpu: 256\nmemory: 512\n"
        "image:\n  location: nginx:1.27\n  port: 80\n"
        "network:\n  connect: true\n"
        "environments:\n"
        "  prod:\n    image:\n      location: nginx:1.28\n"
        "    network:\n      connect:\n        alias: api-v2\n"
    )
    workspace = _workspace(tmp_path, api=manifest)
    _two_environments(workspace, {"test": "10.1.0.0/16", "prod": "10.2.0.0/16"})
    import_workspace(workspace, tmp_path / "out")
    templates = _synthesize(tmp_path / "out")
    seen = {}
    for env in ("test", "prod"):
        [vpc] = _properties(templates[f"ws-{env}"], "AWS::EC2::VPC")
        [task] = _properties(templates[f"ws-{env}-api"], "AWS::ECS::TaskDefinition")
        [service] = _properties(templates[f"ws-{env}-api"], "AWS::ECS::Service")
        [alias] = service["ServiceConnectConfiguration"]["Services"][0]["ClientAliases"]
        seen[env] = (vpc["CidrBlock"], task["ContainerDefinitions"][0]["Image"], alias["DnsName"])
    assert seen == {
        "test": ("10.1.0.0/16", "nginx:1.27", "api"),
        "prod": ("10.2.0.0/16", "nginx:1.28", "api-v2"),
    }


def test_addons_and_patches_of_the_shop(imported: Imported) -> None:
    """orders' add-on is in each environment's stack with its outputs wired; its YAML patch is
    replayed by synth(app) on the templates in cdk.out, which are re-addressed."""
    for env in ("test", "prod"):
        template = imported.templates[f"shop-{env}-orders"]
        assert template["Parameters"]["Env"]["Default"] == env
        assert template["Resources"]["OrderSettings"]["Type"] == "AWS::SSM::Parameter"
        roles = [
            r
            for r in imported.resources(f"shop-{env}-orders", "AWS::IAM::Role")
            if {"Ref": "OrderSettingsAccessPolicy"} in r.get("ManagedPolicyArns", [])
        ]
        assert len(roles) == 1
        variables = imported.container(f"shop-{env}-orders")["Environment"]
        assert {"Name": "ORDER_SETTINGS_NAME", "Value": {"Ref": "OrderSettings"}} in variables
    # Patches apply to the synthesized templates, not to Template.from_stack's.
    assert "Ulimits" not in imported.container("shop-test-orders")
    assembly = synth(imported.app)
    artifact = assembly.get_stack_artifact("shop-test-orders")
    text = Path(artifact.template_full_path).read_text()
    patched = json.loads(text)
    [task] = [
        r["Properties"]
        for r in patched["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    assert task["ContainerDefinitions"][0]["Name"] == "app"
    assert task["ContainerDefinitions"][0]["Ulimits"] == [
        {"Name": "nofile", "SoftLimit": 65536, "HardLimit": 65536}
    ]
    [log_group] = [
        r["Properties"] for r in patched["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"
    ]
    assert log_group["RetentionInDays"] == 90
    address = hashlib.sha256(text.encode()).hexdigest()
    assets = json.loads((Path(assembly.directory) / "shop-test-orders.assets.json").read_text())
    assert address in assets["files"]
    assert address in json.dumps(
        json.loads((Path(assembly.directory) / "manifest.json").read_text())
    )
    assert cfn_lint(patched) == []
    report = imported.report
    assert "`addons/settings.yml` | included as written (CfnInclude)" in report
    assert "OrderSettingsAccessPolicyArn -> task role policy" in report
    assert "`overrides/cfn.patches.yml[0] add /Resources/TaskDefinition/" in report
    assert "| replayed on TaskDefinition (task.task_definition) |" in report
    assert "Copilot's EnvControllerAction has no counterpart here" in report


def test_cdk_overrides_are_reported_with_their_files(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, web=WEB)
    overrides = workspace / "copilot" / "web" / "overrides"
    (overrides / "node_modules" / "x").mkdir(parents=True)
    (overrides / "stack.ts").write_text("export class TransformedStack {}\n")
    (overrides / "package.json").write_text("{}\n")
    (overrides / "node_modules" / "x" / "index.js").write_text("")
    import_workspace(workspace, tmp_path / "out")
    report = (tmp_path / "out" / "MIGRATION.md").read_text()
    [line] = [line for line in report.splitlines() if "overrides/ (CDK)" in line]
    assert "overrides/package.json, overrides/stack.ts" in line
    assert "node_modules" not in line
    assert "add_property_override" in line


def test_web_services_on_one_path_are_routed_by_copilots_host_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = "type: Load Balanced Web Service\nimage:\n  location: nginx:1.27\n  port: 80\n"
    workspace = _workspace(
        tmp_path,
        site=f"name: site\n{web}http:\n  path: /\n",
        legacy=f"name: legacy\n{web}http:\n  path: /\n",
    )
    import_workspace(workspace, tmp_path / "out")
    report = (tmp_path / "out" / "MIGRATION.md").read_text()
    assert "routed by site.test.<app>.$APP_DOMAIN" in report
    monkeypatch.setenv("APP_DOMAIN", "example.com")
    templates = _synthesize(tmp_path / "out")
    [rule] = _properties(templates["ws-test-site"], "AWS::ElasticLoadBalancingV2::ListenerRule")
    hosts = [c for c in rule["Conditions"] if c["Field"] == "host-header"]
    assert hosts[0]["HostHeaderConfig"]["Values"] == ["site.test.ws.example.com"]


def test_application_templating_reaches_the_container_as_written(tmp_path: Path) -> None:
    """``${DB.host}`` is no variable Copilot reads: the container gets it as written, and the
    template passes cfn-lint (no bare ``${``, no needless Fn::Sub)."""
    manifest = WEB + "variables:\n  DB_HOST: ${DB.host}:${DB.port}\n"
    workspace = _workspace(tmp_path, web=manifest)
    import_workspace(workspace, tmp_path / "out")
    template = _synthesize(tmp_path / "out")["ws-test-web"]
    [task] = _properties(template, "AWS::ECS::TaskDefinition")
    [variable] = [
        e for e in task["ContainerDefinitions"][0]["Environment"] if e["Name"] == "DB_HOST"
    ]
    assert variable["Value"] == {"Fn::Join": ["$", ["", "{DB.host}:", "{DB.port}"]]}
    assert cfn_lint(template) == []


def test_sidecars_in_the_long_image_form_with_secrets(tmp_path: Path) -> None:
    manifest = (
        "name: web\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1.27\n"
        "  port: 80\nhttp:\n  path: /\n"
        "environments:\n  test:\n    http:\n      target_container: proxy\n"
        "    sidecars:\n      proxy:\n        port: 8087\n"
        "        image:\n          location: public.ecr.aws/nginx/nginx:1.27\n"
        "        secrets:\n          PASSWORD: /web/test/password\n"
        "  prod:\n    http:\n      target_container: proxy\n"
    )
    workspace = _workspace(tmp_path, web=manifest)
    _two_environments(workspace)
    import_workspace(workspace, tmp_path / "out")
    report = (tmp_path / "out" / "MIGRATION.md").read_text()
    assert "no sidecar 'proxy' was converted for this environment" in report
    templates = _synthesize(tmp_path / "out")
    [task] = _properties(templates["ws-test-web"], "AWS::ECS::TaskDefinition")
    proxy = next(c for c in task["ContainerDefinitions"] if c["Name"] == "proxy")
    assert proxy["Image"] == "public.ecr.aws/nginx/nginx:1.27"
    assert [s["Name"] for s in proxy["Secrets"]] == ["PASSWORD"]
    [test_service] = _properties(templates["ws-test-web"], "AWS::ECS::Service")
    [prod_service] = _properties(templates["ws-prod-web"], "AWS::ECS::Service")
    assert test_service["LoadBalancers"][0]["ContainerName"] == "proxy"
    assert prod_service["LoadBalancers"][0]["ContainerName"] == "app"


def test_the_diagram_draws_calls_and_subscriptions_across_stacks(imported: Imported) -> None:
    """The shop's six service stacks per environment: the frontend calls orders over Service
    Connect (the ingress rule is in one stack, the server's group in another), and the
    mailer's queue subscribes to the frontend's topic (topic and queue in different stacks)."""
    from fargate_constructs.cli.cloud_assembly import read_assembly
    from fargate_constructs.cli.diagram import mermaid

    assembly = synth(imported.app)
    graph = mermaid(read_assembly(Path(assembly.directory)))
    for env in ("test", "prod"):
        frontend, orders = f"shop_{env}_frontend_Service", f"shop_{env}_orders_Service"
        assert re.search(rf'{frontend}\w* -->\|"calls orders:8080"\| {orders}\w*', graph), env
        topic, queue = f"shop_{env}_frontend_OrdersTopic", f"shop_{env}_mailer_WorkerQueue"
        assert re.search(rf"{topic}\w* -- subscription \(filtered\) --> {queue}\w*", graph), env
    assert 'topic OrdersTopic"]' in graph
    assert '[("queue WorkerQueue")]' in graph
