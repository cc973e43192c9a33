from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Match, Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    Architecture,
    BlueGreenDeployment,
    CanaryDeployment,
    Capacity,
    FargateService,
    FargateTaskWithRoles,
    InvalidParameterError,
    LinearDeployment,
    LoadBalancer,
    NetworkedCluster,
    OperatingSystem,
    RollingDeployment,
    SharedLoadBalancer,
    TargetHealth,
    TaskSize,
)

from .harness import (
    CERT,
    WAF,
    assert_explained,
    assert_logical_ids,
    cfn_lint,
    make_app,
    nag_findings,
    normalized,
    synth_warnings,
)
from .harness import (
    NGINX as IMAGE,
)

PORT = 8080


def _task(
    stack: Stack, network: NetworkedCluster, id: str = "Task", **props: Any
) -> FargateTaskWithRoles:
    props.setdefault("size", TaskSize(256, 512))
    props.setdefault("container_port", PORT)
    return FargateTaskWithRoles(
        stack, id, image=ecs.ContainerImage.from_registry(IMAGE), log_key=network.log_key, **props
    )


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stacks: dict[str, Stack] = {}
        self.services: dict[str, FargateService] = {}

        stack, net = self._stack("Rolling")
        self.services["Rolling"] = FargateService(
            stack,
            "Web",
            cluster=net,
            task=_task(stack, net),
            load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
            deployment=RollingDeployment(alarm_names=("team-pager-alarm",)),
            capacity=Capacity(on_demand_base=1, on_demand_weight=1, spot_weight=3),
        )

        stack, net = self._stack("BlueGreen")
        self.services["BlueGreen"] = FargateService(
            stack,
            "Web",
            cluster=net,
            task=_task(stack, net),
            load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
            deployment=BlueGreenDeployment(
                bake_time=timedelta(minutes=10), test_listener_port=8443
            ),
        )

        stack, net = self._stack("Shared")
        self.shared = SharedLoadBalancer(
            stack, "Edge", cluster=net, certificate_arn=CERT, web_acl_arn=WAF
        )
        for name, priority, host in (
            ("Api", 10, "api.example.com"),
            ("Admin", 20, "admin.example.com"),
        ):
            self.services[name] = FargateService(
                stack,
                name,
                cluster=net,
                task=_task(stack, net, f"{name}Task"),
                load_balancer=self.shared.route(priority=priority, host_headers=[host]),
            )
        self.services["Canary"] = FargateService(
            stack,
            "Canary",
            cluster=net,
            task=_task(stack, net, "CanaryTask"),
            load_balancer=self.shared.route(priority=30, path_patterns=["/beta/*"]),
            deployment=CanaryDeployment(percent=10.0),
        )
        self.services["Linear"] = FargateService(
            stack,
            "Linear",
            cluster=net,
            task=_task(stack, net, "LinearTask"),
            load_balancer=self.shared.route(priority=40, path_patterns=["/v2/*"]),
            deployment=LinearDeployment(step_percent=25.0, step_bake_time=timedelta(minutes=2)),
        )

        stack, net = self._stack("Worker")
        self.services["Worker"] = FargateService(
            stack,
            "Worker",
            cluster=net,
            task=_task(
                stack,
                net,
                size=TaskSize(512, 1024, architecture=Architecture.ARM64),
                container_port=None,
            ),
            desired_count=1,
            capacity=Capacity.spot(),
        )

        stack, net = self._stack("Internal")
        self.services["Internal"] = FargateService(
            stack,
            "Web",
            cluster=net,
            task=_task(stack, net),
            load_balancer=LoadBalancer(
                public=False, allow_plain_http=True, health=TargetHealth(path="/health")
            ),
        )

        self.warnings = synth_warnings(self.app)
        self.templates = {name: Template.from_stack(s) for name, s in self.stacks.items()}

    def _stack(self, name: str) -> tuple[Stack, NetworkedCluster]:
        stack = Stack(self.app, name)
        self.stacks[name] = stack
        return stack, NetworkedCluster(stack, "Net")

    def service_props(self, stack: str, service: str | None = None) -> dict[str, Any]:
        service_obj = self.services[service or stack]
        logical_id = self.stacks[stack].resolve(service_obj.service.node.default_child.logical_id)  # type: ignore[union-attr]
        props: dict[str, Any] = self.templates[stack].to_json()["Resources"][logical_id][
            "Properties"
        ]
        return props

    def logical_id(self, stack: str, construct: Any) -> str:
        logical_id: str = self.stacks[stack].resolve(construct.node.default_child.logical_id)
        return logical_id


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def test_rolling_deployment_has_circuit_breaker_rollback_percents_and_alarms(
    synth: Synthesized,
) -> None:
    config = synth.service_props("Rolling")["DeploymentConfiguration"]
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (config["MinimumHealthyPercent"], config["MaximumPercent"]) == (100, 200)
    assert config["Alarms"] == {
        "AlarmNames": [
            "team-pager-alarm",
            "Rolling-Web-A0416C58-Rollback",
        ],
        "Enable": True,
        "Rollback": True,
    }
    assert config.get("Strategy", "ROLLING") == "ROLLING"


def test_tasks_run_in_private_subnets_without_public_ip(synth: Synthesized) -> None:
    for stack, service in (("Rolling", None), ("Worker", None), ("Shared", "Api")):
        network = synth.service_props(stack, service)["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        subnets = {s["Ref"] for s in network["Subnets"]}
        assert subnets
        assert all("PrivateSubnet" in s for s in subnets)


def test_capacity_provider_strategy(synth: Synthesized) -> None:
    assert synth.service_props("Rolling")["CapacityProviderStrategy"] == [
        {"Base": 1, "CapacityProvider": "FARGATE", "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    assert synth.service_props("Worker")["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]
    assert "LaunchType" not in synth.service_props("Worker")


def test_service_waits_for_the_capacity_provider_association(synth: Synthesized) -> None:
    resources = synth.templates["Worker"].to_json()["Resources"]
    service_id = synth.logical_id("Worker", synth.services["Worker"].service)
    association = next(
        k
        for k, v in resources.items()
        if v["Type"] == "AWS::ECS::ClusterCapacityProviderAssociations"
    )
    assert association in resources[service_id]["DependsOn"]


def test_blue_green_uses_ecs_native_strategy_with_alternate_target(synth: Synthesized) -> None:
    props = synth.service_props("BlueGreen")
    service = synth.services["BlueGreen"]
    attachment = service.attachment
    assert attachment is not None
    assert attachment.green_target_group is not None
    assert props["DeploymentConfiguration"]["Strategy"] == "BLUE_GREEN"
    assert props["DeploymentConfiguration"]["BakeTimeInMinutes"] == 10
    assert props["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    assert props.get("DeploymentController", {"Type": "ECS"}) == {"Type": "ECS"}
    (load_balancer,) = props["LoadBalancers"]
    assert load_balancer["ContainerName"] == "app"
    assert load_balancer["ContainerPort"] == PORT
    assert load_balancer["TargetGroupArn"] == {
        "Ref": synth.logical_id("BlueGreen", attachment.target_group)
    }
    advanced = load_balancer["AdvancedConfiguration"]
    assert advanced["AlternateTargetGroupArn"] == {
        "Ref": synth.logical_id("BlueGreen", attachment.green_target_group)
    }
    assert advanced["ProductionListenerRule"] == {
        "Ref": synth.logical_id("BlueGreen", attachment.listener_rule)
    }
    assert advanced["TestListenerRule"] == {
        "Ref": synth.logical_id("BlueGreen", attachment.test_listener_rule)
    }
    assert set(advanced) == {
        "AlternateTargetGroupArn",
        "ProductionListenerRule",
        "TestListenerRule",
        "RoleArn",
    }
    role_id = advanced["RoleArn"]["Fn::GetAtt"][0]
    assert role_id.startswith("WebLoadBalancerRole")
    template = synth.templates["BlueGreen"]
    template.resource_count_is("AWS::CodeDeploy::Application", 0)


def test_blue_green_role_trust_is_awss_documented_one(synth: Synthesized) -> None:
    """AWS's trust policy for the ECS infrastructure role for load balancers has no condition;
    0.7.0's aws:SourceAccount condition is gone (if ECS does not send the key, every blue/green
    deployment would fail on real AWS)."""
    role = synth.services["BlueGreen"].node.find_child("LoadBalancerRole")
    role_id = synth.logical_id("BlueGreen", role)
    trust = synth.templates["BlueGreen"].to_json()["Resources"][role_id]["Properties"][
        "AssumeRolePolicyDocument"
    ]
    assert trust["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "ecs.amazonaws.com"},
        }
    ]


def test_blue_green_rules_forward_to_both_groups_blue_first(synth: Synthesized) -> None:
    attachment = synth.services["BlueGreen"].attachment
    assert attachment is not None
    assert attachment.green_target_group is not None
    blue = synth.logical_id("BlueGreen", attachment.target_group)
    green = synth.logical_id("BlueGreen", attachment.green_target_group)
    expected_action = [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [
                    {"TargetGroupArn": {"Ref": blue}, "Weight": 100},
                    {"TargetGroupArn": {"Ref": green}, "Weight": 0},
                ]
            },
        }
    ]
    rules = synth.templates["BlueGreen"].find_resources("AWS::ElasticLoadBalancingV2::ListenerRule")
    assert len(rules) == 2
    for rule in rules.values():
        assert rule["Properties"]["Actions"] == expected_action


def test_test_listener_is_reachable_from_the_vpc_only(synth: Synthesized) -> None:
    template = synth.templates["BlueGreen"]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 8443, "Protocol": "HTTPS"}
    )
    ingress = _alb_security_group(synth, "BlueGreen")["SecurityGroupIngress"]
    assert {
        "CidrIp": "10.0.0.0/16",
        "FromPort": 8443,
        "ToPort": 8443,
        "IpProtocol": "tcp",
        "Description": "Test listener, VPC only",
    } in ingress
    assert not any(rule["FromPort"] == 8443 and rule["CidrIp"] == "0.0.0.0/0" for rule in ingress)


@pytest.mark.parametrize(
    ("service", "strategy", "settings"),
    [
        (
            "Canary",
            "CANARY",
            {"CanaryConfiguration": {"CanaryPercent": 10, "CanaryBakeTimeInMinutes": 10}},
        ),
        (
            "Linear",
            "LINEAR",
            {"LinearConfiguration": {"StepPercent": 25, "StepBakeTimeInMinutes": 2}},
        ),
    ],
)
def test_canary_and_linear_shift_traffic_natively(
    synth: Synthesized, service: str, strategy: str, settings: dict[str, Any]
) -> None:
    config = synth.service_props("Shared", service)["DeploymentConfiguration"]
    assert config["Strategy"] == strategy
    for key, value in settings.items():
        assert config[key] == value


def _alb_security_group(synth: Synthesized, stack: str) -> dict[str, Any]:
    groups = synth.templates[stack].find_resources("AWS::EC2::SecurityGroup")
    (group,) = [
        g for g in groups.values() if "Load balancer" in g["Properties"]["GroupDescription"]
    ]
    props: dict[str, Any] = group["Properties"]
    return props


def test_security_groups_admit_only_what_each_side_needs(synth: Synthesized) -> None:
    alb = _alb_security_group(synth, "Rolling")
    assert sorted((r["CidrIp"], r["FromPort"]) for r in alb["SecurityGroupIngress"]) == [
        ("0.0.0.0/0", 80),
        ("0.0.0.0/0", 443),
    ]
    template = synth.templates["Rolling"].to_json()["Resources"]
    service = synth.services["Rolling"]
    shared = service.attachment.shared  # type: ignore[union-attr]
    alb_id = synth.logical_id("Rolling", shared.security_group)
    targets_id = synth.logical_id("Rolling", shared._targets_security_group)
    # The load balancer may send only to its targets' group, only on the container port ...
    (egress,) = [r["Properties"] for r in template.values() if r["Type"].endswith("Egress")]
    assert egress["GroupId"] == {"Fn::GetAtt": [alb_id, "GroupId"]}
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": [targets_id, "GroupId"]}
    assert (egress["FromPort"], egress["ToPort"], egress["IpProtocol"]) == (PORT, PORT, "tcp")
    # ... and the targets' group admits only the load balancer, on that port.
    (ingress,) = [r["Properties"] for r in template.values() if r["Type"].endswith("Ingress")]
    assert ingress["GroupId"] == {"Fn::GetAtt": [targets_id, "GroupId"]}
    assert ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": [alb_id, "GroupId"]}
    assert (ingress["FromPort"], ingress["ToPort"]) == (PORT, PORT)
    # Inline, only CDK's placeholder that stands for "no other egress".
    assert all(
        rule["CidrIp"] == "255.255.255.255/32" for rule in alb.get("SecurityGroupEgress", [])
    )
    tasks = template[synth.logical_id("Rolling", service.security_group)]["Properties"]
    assert "SecurityGroupIngress" not in tasks
    groups = synth.service_props("Rolling")["NetworkConfiguration"]["AwsvpcConfiguration"][
        "SecurityGroups"
    ]
    assert {g["Fn::GetAtt"][0] for g in groups} == {
        synth.logical_id("Rolling", service.security_group),
        targets_id,
    }


def test_internal_load_balancer_admits_the_vpc_only(synth: Synthesized) -> None:
    alb = _alb_security_group(synth, "Internal")
    assert [(r["CidrIp"], r["FromPort"]) for r in alb["SecurityGroupIngress"]] == [
        ("10.0.0.0/16", 80)
    ]
    synth.templates["Internal"].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"}
    )


def test_target_group_tuned_for_a_one_minute_step(synth: Synthesized) -> None:
    synth.templates["Rolling"].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetType": "ip",
            "Port": PORT,
            "Protocol": "HTTP",
            "HealthCheckPath": "/",
            "HealthCheckIntervalSeconds": 10,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "Matcher": {"HttpCode": "200-399"},
            "TargetGroupAttributes": Match.array_with(
                [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
            ),
        },
    )
    assert synth.service_props("Rolling")["HealthCheckGracePeriodSeconds"] == 15
    synth.templates["Internal"].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/health"}
    )


def test_https_listener_redirect_and_load_balancer_attributes(synth: Synthesized) -> None:
    template = synth.templates["Rolling"]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": CERT}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "DefaultActions": [Match.object_like({"Type": "fixed-response"})],
        },
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "Type": "redirect",
                    "RedirectConfig": Match.object_like({"Port": "443", "Protocol": "HTTPS"}),
                }
            ],
        },
    )
    attributes = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    (alb,) = attributes.values()
    values = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert values["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert values["deletion_protection.enabled"] == "true"
    assert values["access_logs.s3.enabled"] == "true"
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_access_log_bucket_is_private_ssl_only_and_encrypted(synth: Synthesized) -> None:
    template = synth.templates["Rolling"]
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    policy = next(iter(template.find_resources("AWS::S3::BucketPolicy").values()))
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in statements
    )
    (delivery,) = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Principal"]["Service"] == "logdelivery.elasticloadbalancing.amazonaws.com"
    # Regions opened before August 2022 deliver from ELB's account, chosen in CloudFormation.
    assert delivery["Principal"]["AWS"]["Fn::If"][0] == "FargateConstructsElbLegacyLogRegion"
    assert "/alb/AWSLogs/" in str(delivery["Resource"])


def test_shared_load_balancer_routes_by_host_and_path(synth: Synthesized) -> None:
    template = synth.templates["Shared"]
    template.resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 1)
    rules = template.find_resources("AWS::ElasticLoadBalancingV2::ListenerRule")
    by_priority = {
        r["Properties"]["Priority"]: r["Properties"]["Conditions"] for r in rules.values()
    }
    assert by_priority[10] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["api.example.com"]}}
    ]
    assert by_priority[20] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["admin.example.com"]}}
    ]
    assert by_priority[30] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/beta/*"]}}
    ]


def _resource_count_with(services: int, *, service_alarms: bool) -> int:
    app = make_app()
    stack = Stack(app, "Count")
    net = NetworkedCluster(stack, "Net")
    shared = SharedLoadBalancer(stack, "Edge", cluster=net, certificate_arn=CERT, web_acl_arn=WAF)
    for index in range(services):
        FargateService(
            stack,
            f"Svc{index}",
            cluster=net,
            task=_task(stack, net, f"Task{index}"),
            load_balancer=shared.route(priority=index + 1, host_headers=[f"s{index}.example.com"]),
            service_alarms=service_alarms,
        )
    return len(Template.from_stack(stack).to_json()["Resources"])


@pytest.mark.parametrize(("service_alarms", "per_service"), [(False, 9), (True, 10)])
def test_resources_per_extra_rolling_web_service_on_a_shared_load_balancer(
    service_alarms: bool, per_service: int
) -> None:
    # 2 roles, the execution role's policy, log group, task definition, service, security
    # group, target group, listener rule; plus the rollback alarm when it has its alarms.
    one = _resource_count_with(1, service_alarms=service_alarms)
    three = _resource_count_with(3, service_alarms=service_alarms)
    assert (three - one) / 2 == per_service


def test_no_synth_warnings(synth: Synthesized) -> None:
    assert synth.warnings == []


STACKS = ["Rolling", "BlueGreen", "Shared", "Worker", "Internal"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_unacknowledged_nag_findings(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in nag_findings(synth.stacks[stack])] == []


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_is_clean(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in cfn_lint(synth.templates[stack].to_json())] == []


@pytest.mark.parametrize("stack", ["Rolling", "BlueGreen"])
def test_snapshot(synth: Synthesized, stack: str, json_snapshot: SnapshotAssertion) -> None:
    assert normalized(synth.templates[stack].to_json()) == json_snapshot


def test_logical_ids_are_stable(synth: Synthesized) -> None:
    assert_logical_ids(
        synth.templates["BlueGreen"].to_json(),
        {
            "WebSecurityGroup": "AWS::EC2::SecurityGroup",
            "WebService": "AWS::ECS::Service",
            "WebTargetGroup": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "WebGreenTargetGroup": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "WebListenerRule": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "WebTestListenerRule": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "WebLoadBalancerRole": "AWS::IAM::Role",
            "WebLoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "WebLoadBalancerSecurityGroup": "AWS::EC2::SecurityGroup",
            "WebLoadBalancerAccessLogs": "AWS::S3::Bucket",
        },
    )


# --- bad input -------------------------------------------------------------------------------


def _service(**props: Any) -> None:
    app = App()
    stack = Stack(app, "Bad")
    net = NetworkedCluster(stack, "Net", flow_logs=False)
    task_props = props.pop("task_props", {})
    FargateService(stack, "Svc", cluster=net, task=_task(stack, net, **task_props), **props)


@pytest.mark.parametrize(
    ("props", "fragments"),
    [
        (
            {"deployment": BlueGreenDeployment()},
            [
                "deployment='BlueGreenDeployment(...)' is not valid for load_balancer=None",
                "nearest valid: deployment=RollingDeployment(), or load_balancer=LoadBalancer(...)",
            ],
        ),
        (
            {"deployment": CanaryDeployment()},
            ["deployment='CanaryDeployment(...)' is not valid for load_balancer=None"],
        ),
        (
            {
                "load_balancer": LoadBalancer(certificate_arn=CERT),
                "task_props": {"container_port": None},
            },
            [
                "load_balancer='LoadBalancer' is not valid",
                "container_port=None",
                "nearest valid: FargateTaskWithRoles(..., container_port=8080)",
            ],
        ),
        ({"desired_count": -1}, ["desired_count=-1 is not valid; allowed: 0 or more"]),
        (
            {
                "capacity": Capacity(spot_weight=1),
                "task_props": {
                    "size": TaskSize(
                        1024, 2048, operating_system=OperatingSystem.WINDOWS_SERVER_2022_CORE
                    ),
                    "readonly_root_filesystem": None,
                },
            },
            [
                "capacity=Capacity(on_demand_base=0, on_demand_weight=1, spot_weight=1) "
                "is not valid for operating_system='WINDOWS_SERVER_2022_CORE'",
                "Fargate Spot runs Linux tasks only",
            ],
        ),
        (
            {
                "load_balancer": LoadBalancer(certificate_arn=CERT),
                "deployment": BlueGreenDeployment(test_listener_port=443),
            },
            ["test_listener_port=443 is not valid", "other than the production listener's"],
        ),
        (
            {"health_check_grace_period": timedelta(seconds=-1)},
            ["health_check_grace_period=", "whole seconds from 0"],
        ),
    ],
)
def test_bad_service_input_is_explained(props: dict[str, Any], fragments: list[str]) -> None:
    assert_explained(lambda: _service(**props), fragments)


def test_spot_with_arm64_is_fine() -> None:
    _service(
        capacity=Capacity.spot(),
        task_props={"size": TaskSize(256, 512, architecture=Architecture.ARM64)},
    )


def test_cluster_in_another_region_is_an_error() -> None:
    app = App()
    there = Stack(app, "There", env=Environment(account="123456789012", region="eu-west-1"))
    here = Stack(app, "Here", env=Environment(account="123456789012", region="us-east-1"))
    net = NetworkedCluster(there, "Net")
    with pytest.raises(
        InvalidParameterError,
        match=r"cluster='There/Net' is not valid.*region \(us-east-1\); it is in eu-west-1",
    ):
        FargateService(here, "Svc", cluster=net, task=_task(here, net))


def test_duplicate_rule_priority_is_an_error() -> None:
    app = App()
    stack = Stack(app, "Dup")
    net = NetworkedCluster(stack, "Net")
    shared = SharedLoadBalancer(stack, "Edge", cluster=net, certificate_arn=CERT)
    FargateService(
        stack,
        "A",
        cluster=net,
        task=_task(stack, net, "TaskA"),
        load_balancer=shared.route(priority=5, host_headers=["a.example.com"]),
    )
    with pytest.raises(
        InvalidParameterError,
        match=r"priority=5 is not valid.*taken by Dup/A.*nearest valid: priority=6",
    ):
        FargateService(
            stack,
            "B",
            cluster=net,
            task=_task(stack, net, "TaskB"),
            load_balancer=shared.route(priority=5, host_headers=["b.example.com"]),
        )


def test_route_needs_a_condition_and_a_valid_priority() -> None:
    stack = Stack(App(), "Route")
    shared = SharedLoadBalancer(
        stack, "Edge", cluster=NetworkedCluster(stack, "Net"), certificate_arn=CERT
    )
    with pytest.raises(InvalidParameterError, match="at least one host header or path pattern"):
        shared.route(priority=1)
    with pytest.raises(
        InvalidParameterError, match=r"priority=0 is not valid; allowed: 1 to 50000"
    ):
        shared.route(priority=0, path_patterns=["/*"])
