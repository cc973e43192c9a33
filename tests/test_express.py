"""ExpressService: ECS Express Mode with the library's sizing, container checks, three roles
(execution, infrastructure, task) made least-privilege, the encrypted log group, and a warning
when a create-only property changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    Architecture,
    Container,
    ExpressMetric,
    ExpressScaling,
    ExpressService,
    HealthCheck,
    NetworkedCluster,
    TaskSize,
)

from .harness import (
    NGINX,
    assert_explained,
    cfn_lint,
    control_tower_findings,
    make_app,
    nag_findings,
    roles_and_trust,
    synth_warnings,
    template_of,
)

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4.2"


@dataclass
class Synthesized:
    stack: Stack
    service: ExpressService
    template: dict[str, Any]

    def properties(self) -> dict[str, Any]:
        [resource] = [
            r["Properties"]
            for r in self.template["Resources"].values()
            if r["Type"] == "AWS::ECS::ExpressGatewayService"
        ]
        return resource

    def logical_id(self, construct: Any) -> str:
        child = construct.node.default_child or construct
        return str(self.stack.resolve(self.stack.get_logical_id(child)))


def _api_container(stack: Stack) -> Container:
    token = secretsmanager.Secret(stack, "Token")
    return Container(
        "api", ECR, ports=(8080,), environment={"LOG_LEVEL": "info"}, secrets={"TOKEN": token}
    )


def _build(stack: Stack) -> ExpressService:
    network = NetworkedCluster(stack, "Network")
    service = ExpressService(
        stack,
        "Api",
        container=_api_container(stack),
        size=TaskSize(512, 1024),
        cluster=network,
        health_check_path="/health",
        scaling=ExpressScaling(metric=ExpressMetric.REQUESTS, target=200, min_tasks=2, max_tasks=6),
    )
    bucket = s3.Bucket(stack, "Uploads", enforce_ssl=True)
    bucket.grant_read(service)
    return service


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    app = make_app()
    stack = Stack(app, "Express")
    service = _build(stack)
    return Synthesized(stack, service, template_of(stack))


def test_the_service_is_sized_scaled_and_placed(synth: Synthesized) -> None:
    service = synth.properties()
    assert (service["Cpu"], service["Memory"]) == ("512", "1024")
    assert service["HealthCheckPath"] == "/health"
    assert service["ScalingTarget"] == {
        "AutoScalingMetric": "REQUEST_COUNT_PER_TARGET",
        "AutoScalingTargetValue": 200,
        "MinTaskCount": 2,
        "MaxTaskCount": 6,
    }
    assert service["Cluster"] == {
        "Ref": synth.logical_id(synth.service.node.scope.node.find_child("Network").cluster)
    }  # type: ignore[union-attr]
    subnets = service["NetworkConfiguration"]["Subnets"]
    public = [
        synth.logical_id(s) for s in synth.stack.node.find_child("Network").vpc.public_subnets
    ]  # type: ignore[attr-defined]
    assert [s["Ref"] for s in subnets] == public
    container = service["PrimaryContainer"]
    assert container["Image"] == ECR
    assert container["ContainerPort"] == 8080
    assert container["Environment"] == [{"Name": "LOG_LEVEL", "Value": "info"}]
    assert container["Secrets"][0]["Name"] == "TOKEN"
    assert container["AwsLogsConfiguration"] == {
        "LogGroup": {"Ref": synth.logical_id(synth.service.log_group)},
        "LogStreamPrefix": "api",
    }
    url = synth.template["Outputs"]
    assert any(
        o["Value"] == {"Fn::GetAtt": [synth.logical_id(synth.service.service), "Endpoint"]}
        for o in url.values()
    )


def test_the_log_group_is_encrypted_and_kept(synth: Synthesized) -> None:
    log_group = synth.template["Resources"][synth.logical_id(synth.service.log_group)]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert "KmsKeyId" in log_group["Properties"]


def test_roles_and_trust_snapshot(synth: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    roles = roles_and_trust(synth.template, "Api")
    assert len(roles) == 3
    assert roles == json_snapshot


def _statements(synth: Synthesized, role: Any) -> list[dict[str, Any]]:
    role_id = synth.logical_id(role)
    return [
        statement
        for resource in synth.template["Resources"].values()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
        and {"Ref": role_id} in resource["Properties"].get("Roles", [])
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_each_role_holds_exactly_its_grants(synth: Synthesized) -> None:
    execution = _statements(synth, synth.service.execution_role)
    pull = [s for s in execution if "ecr:BatchGetImage" in s["Action"]]
    assert len(pull) == 1
    assert "repository/shop/api" in json.dumps(pull[0]["Resource"])
    assert [s["Resource"] for s in execution if s["Action"] == "ecr:GetAuthorizationToken"] == ["*"]
    secrets = [s for s in execution if "secretsmanager:GetSecretValue" in s["Action"]]
    assert secrets[0]["Resource"] == {"Ref": "Token" + secrets[0]["Resource"]["Ref"][5:]}
    logs = [s for s in execution if "logs:PutLogEvents" in s["Action"]]
    assert logs[0]["Resource"] == {"Fn::GetAtt": [synth.logical_id(synth.service.log_group), "Arn"]}
    task = _statements(synth, synth.service.task_role)
    assert any("s3:GetObject*" in s["Action"] for s in task)
    assert not any("ecr:" in json.dumps(s["Action"]) for s in task)
    assert _statements(synth, synth.service.infrastructure_role) == []


def test_packs_lint_and_control_tower_are_clean(synth: Synthesized, tmp_path: Path) -> None:
    # The secret, the bucket and the bucket grant (CDK's s3:GetObject* ...) are the test's;
    # the service's own parts are clean.
    findings = [str(f) for f in nag_findings(synth.stack)]
    assert [f for f in findings if "/Api/" in f and "/Api/TaskRole/Policy" not in f] == []
    assert [str(f) for f in cfn_lint(synth.template)] == []
    assert synth_warnings(synth.stack.node.root) == []  # type: ignore[arg-type]
    tower = control_tower_findings(lambda app: _build(Stack(app, "Express")), outdir=tmp_path)
    assert [f for f in tower if "/Api/" in f] == []


def test_defaults_follow_aws_documentation() -> None:
    app = make_app()
    stack = Stack(app, "Defaults")
    ExpressService(stack, "Web", container=Container("web", NGINX))
    [service] = [
        r["Properties"]
        for r in template_of(stack)["Resources"].values()
        if r["Type"] == "AWS::ECS::ExpressGatewayService"
    ]
    # 1 vCPU / 2 GiB and /ping (AWS's Express Mode documentation; the schema says 256/512).
    assert (service["Cpu"], service["Memory"], service["HealthCheckPath"]) == (
        "1024",
        "2048",
        "/ping",
    )
    assert "Cluster" not in service
    assert "NetworkConfiguration" not in service
    assert service["PrimaryContainer"]["ContainerPort"] == 80


def test_a_private_service_gets_the_private_subnets() -> None:
    app = make_app()
    stack = Stack(app, "Private")
    network = NetworkedCluster(stack, "Network")
    service = ExpressService(
        stack, "Web", container=Container("web", NGINX), cluster=network, public=False
    )
    [props] = [
        r["Properties"]
        for r in template_of(stack)["Resources"].values()
        if r["Type"] == "AWS::ECS::ExpressGatewayService"
    ]
    private = network.vpc.select_subnets(subnet_type=network.task_subnet_type).subnets
    assert [s["Ref"] for s in props["NetworkConfiguration"]["Subnets"]] == [
        stack.resolve(stack.get_logical_id(s.node.default_child)) for s in private
    ]
    assert service.public is False


def test_changing_a_create_only_property_warns(tmp_path: Path) -> None:
    def build(name: str) -> list[str]:
        app = make_app(outdir=str(tmp_path))
        stack = Stack(app, "Replace")
        ExpressService(stack, "Web", container=Container("web", NGINX), service_name=name)
        app.synth()
        return synth_warnings(app)

    assert build("shop-web") == []
    [warning] = build("shop-web-v2")
    assert "ServiceName changed" in warning
    assert '"shop-web" -> "shop-web-v2"' in warning
    assert "replaces the Express Mode service Replace/Web" in warning
    assert build("shop-web-v2") == []


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (lambda: Container("web", NGINX, health_check=HealthCheck(command=("CMD", "true"))),
         ["container.health_check=", "primary container has only", "FargateService"]),
        (lambda: Container("web", NGINX, ports=(80, 81)),
         ["container.ports=", "at most one port", "nearest valid: ports=(80,)"]),
        (lambda: Container("web", NGINX, user="1000"),
         ["container.user='1000'", "nearest valid: container.user=None"]),
    ],
)  # fmt: skip
def test_what_express_mode_cannot_run_is_explained(build: Any, fragments: list[str]) -> None:
    app = make_app()
    stack = Stack(app, "Bad")
    assert_explained(lambda: ExpressService(stack, "Web", container=build()), fragments)


def test_bad_settings_are_explained() -> None:
    from aws_cdk import aws_ecs as ecs

    app = make_app()
    stack = Stack(app, "Bad")
    web = Container("web", NGINX)
    assert_explained(
        lambda: ExpressService(
            stack, "A", container=web, size=TaskSize(1024, 2048, architecture=Architecture.ARM64)
        ),
        ["size=", "Linux X86_64", "nearest valid: TaskSize(1024, 2048)"],
    )
    assert_explained(
        lambda: ExpressService(stack, "B", container=web, health_check_path="health"),
        ["health_check_path='health'", "starting with '/'", "nearest valid: '/health'"],
    )
    assert_explained(
        lambda: ExpressService(stack, "C", container=web, service_name="shop web"),
        ["service_name='shop web'"],
    )
    assert_explained(
        lambda: ExpressService(
            stack,
            "D",
            container=Container(
                "web",
                ecs.ContainerImage.from_asset(
                    str(Path(__file__).parent / "fixtures" / "copilot" / "shop" / "frontend")
                ),
            ),
        ),
        ["container.image=", "an image reference string", "ECR"],
    )
    assert_explained(
        lambda: ExpressScaling(min_tasks=3, max_tasks=2),
        ["max_tasks=2", "at least min_tasks (3)", "nearest valid: max_tasks=3"],
    )
    assert_explained(lambda: ExpressScaling(target=150), ["target=150"])
    assert_explained(lambda: ExpressScaling(min_tasks=0), ["min_tasks=0"])
    assert Duration.seconds(1)  # the module imports what the examples need


def _outgrown(stack: Stack) -> Any:
    """What 'Outgrowing Express Mode' in the README writes for the service of ``_build``."""
    from fargate_constructs import (
        AutoScaling,
        FargateService,
        FargateTaskWithRoles,
        SharedLoadBalancer,
        TargetHealth,
        TargetTracking,
    )

    from .harness import CERT

    network = NetworkedCluster(stack, "Network")
    shared = SharedLoadBalancer(stack, "LoadBalancer", cluster=network, certificate=CERT)
    task = FargateTaskWithRoles(
        stack,
        "ApiTask",
        container=_api_container(stack),
        size=TaskSize(512, 1024),
        log_key=network.log_key,
    )
    return FargateService(
        stack,
        "Api",
        cluster=network,
        task=task,
        load_balancer=shared.route(
            priority=1, path_patterns=["/*"], health=TargetHealth(path="/health")
        ),
        scaling=AutoScaling(
            min_capacity=2, max_capacity=6, target_tracking=TargetTracking(requests_per_target=200)
        ),
    )


def _facts(template: dict[str, Any]) -> dict[str, Any]:
    """What a user would compare between the two: the roles the tasks run with, the size,
    the container, the scaling and the ingress."""
    resources = template["Resources"].values()

    def of(kind: str) -> list[dict[str, Any]]:
        return [r["Properties"] for r in resources if r["Type"] == kind]

    trusts = sorted(
        json.dumps(r["AssumeRolePolicyDocument"], sort_keys=True)
        for r in of("AWS::IAM::Role")
        if "ecs-tasks.amazonaws.com" in json.dumps(r["AssumeRolePolicyDocument"])
    )
    pulls = sorted(
        json.dumps(s["Resource"], sort_keys=True)
        for p in of("AWS::IAM::ManagedPolicy")
        for s in p["PolicyDocument"]["Statement"]
        if "ecr:BatchGetImage" in s["Action"]
    )
    express = of("AWS::ECS::ExpressGatewayService")
    if express:
        [service] = express
        container = service["PrimaryContainer"]
        scaling = service["ScalingTarget"]
        return {
            "task roles": trusts,
            "image pull": pulls,
            "size": (service["Cpu"], service["Memory"]),
            "container": (
                container["Image"],
                container["ContainerPort"],
                container["Environment"],
                [s["Name"] for s in container["Secrets"]],
            ),
            "scaling": (
                scaling["MinTaskCount"],
                scaling["MaxTaskCount"],
                "ALBRequestCountPerTarget"
                if scaling["AutoScalingMetric"] == "REQUEST_COUNT_PER_TARGET"
                else scaling["AutoScalingMetric"],
                scaling["AutoScalingTargetValue"],
            ),
            "health check": service["HealthCheckPath"],
            "public": "public" in json.dumps(service["NetworkConfiguration"]).lower(),
        }
    [task] = of("AWS::ECS::TaskDefinition")
    [container] = task["ContainerDefinitions"]
    [target] = of("AWS::ApplicationAutoScaling::ScalableTarget")
    policies = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in of("AWS::ApplicationAutoScaling::ScalingPolicy")
    ]
    [requests] = [p for p in policies if "ALBRequestCountPerTarget" in json.dumps(p)]
    [group] = of("AWS::ElasticLoadBalancingV2::TargetGroup")
    [balancer] = of("AWS::ElasticLoadBalancingV2::LoadBalancer")
    return {
        "task roles": trusts,
        "image pull": pulls,
        "size": (task["Cpu"], task["Memory"]),
        "container": (
            container["Image"],
            container["PortMappings"][0]["ContainerPort"],
            container["Environment"],
            [s["Name"] for s in container["Secrets"]],
        ),
        "scaling": (
            target["MinCapacity"],
            target["MaxCapacity"],
            requests["PredefinedMetricSpecification"]["PredefinedMetricType"],
            requests["TargetValue"],
        ),
        "health check": group["HealthCheckPath"],
        "public": balancer["Scheme"] == "internet-facing",
    }


def test_outgrowing_express_mode_keeps_what_the_service_was(synth: Synthesized) -> None:
    """The FargateService the README writes for an Express service runs the same container at
    the same size with the same roles, scaling and health check, behind a public HTTPS load
    balancer that is now the app's own."""
    app = make_app()
    stack = Stack(app, "Express")
    _outgrown(stack)
    express, fargate = _facts(synth.template), _facts(template_of(stack))
    assert express == fargate
    assert express["public"] is True


def test_registry_credentials_are_read_by_the_execution_role_only() -> None:
    app = make_app()
    stack = Stack(app, "Private")
    credentials = secretsmanager.Secret(stack, "DockerHub")
    service = ExpressService(
        stack,
        "Web",
        container=Container(
            "web", "docker.io/example/private:1.0", registry_credentials=credentials
        ),
    )
    template = template_of(stack)
    [props] = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECS::ExpressGatewayService"
    ]
    secret_id = stack.resolve(stack.get_logical_id(credentials.node.default_child))
    assert props["PrimaryContainer"]["RepositoryCredentials"] == {
        "CredentialsParameter": {"Ref": secret_id}
    }
    synthesized = Synthesized(stack, service, template)
    reads = [
        s["Resource"]
        for s in _statements(synthesized, service.execution_role)
        if "secretsmanager:GetSecretValue" in s["Action"]
    ]
    assert reads == [{"Ref": secret_id}]
    assert _statements(synthesized, service.task_role) == []
