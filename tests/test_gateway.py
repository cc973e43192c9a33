"""EcsGateway and its connector: ECS Gateway as an ingress kind of FargateService. The gateway's
resources (raw until aws-cdk-lib's L1, with the L1's logical ID), the connector's checks
(named port, cluster, access kinds, AZ coverage, deployments, 5 gateways per cluster), the
security-group rules, the roles and what the packs, cfn-lint and Control Tower say."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    BlueGreenDeployment,
    Container,
    EcsGateway,
    FargateService,
    FargateTaskWithRoles,
    GatewayAccess,
    NetworkedCluster,
    Port,
    TargetHealth,
    TaskSize,
)
from fargate_constructs.cli.cloud_assembly import StackTemplate
from fargate_constructs.cli.cost import stack_cost

from .harness import (
    NGINX,
    WAF,
    assert_explained,
    cfn_lint,
    control_tower_findings,
    make_app,
    nag_findings,
    roles_and_trust,
    synth_warnings,
    template_of,
)


def _task(stack: Stack, network: NetworkedCluster, id: str = "ApiTask") -> FargateTaskWithRoles:
    return FargateTaskWithRoles(
        stack,
        id,
        container=Container("api", NGINX, ports=(Port(8080, name="api"),), user="101"),
        size=TaskSize(256, 512),
        log_key=network.log_key,
    )


def _build(stack: Stack) -> tuple[EcsGateway, FargateService]:
    network = NetworkedCluster(stack, "Network")
    gateway = EcsGateway(
        stack,
        "Gateway",
        cluster=network,
        web_acl_arn=WAF,
        max_alb_count=2,
        test_traffic_header=("x-test", ["green"]),
    )
    service = FargateService(
        stack,
        "Api",
        cluster=network,
        task=_task(stack, network),
        load_balancer=gateway.connector(
            port_name="api", health=TargetHealth(path="/health", healthy_http_codes="200")
        ),
    )
    return gateway, service


@dataclass
class Synthesized:
    stack: Stack
    gateway: EcsGateway
    service: FargateService
    template: dict[str, Any]

    def logical_id(self, construct: Any) -> str:
        child = (
            construct
            if not hasattr(construct.node, "default_child") or construct.node.default_child is None
            else construct.node.default_child
        )
        return str(self.stack.resolve(self.stack.get_logical_id(child)))

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    app = make_app()
    stack = Stack(app, "Edge")
    gateway, service = _build(stack)
    return Synthesized(stack, gateway, service, template_of(stack))


def test_the_gateway_and_its_association(synth: Synthesized) -> None:
    [(gateway_id, gateway)] = synth.of_type("AWS::ECS::Gateway").items()
    # The id an L1 CfnGateway made at the same path gets: upgrading replaces nothing.
    assert gateway_id == "Gateway43CB3636"
    assert gateway_id == synth.logical_id(synth.gateway)
    alb = gateway["Properties"]["Configuration"]["HostSharedAlb"]
    assert alb["Scheme"] == "internet-facing"
    assert (alb["Port"], alb["Protocol"], alb["HttpDesync"]) == (443, "HTTPS", "defensive")
    assert alb["WebACLArn"] == WAF
    assert alb["MaxAlbCount"] == 2
    assert alb["TestTrafficRules"] == {"Header": {"Name": "x-test", "Values": ["green"]}}
    network = synth.stack.node.find_child("Network")
    public = [synth.logical_id(s) for s in network.vpc.public_subnets]  # type: ignore[attr-defined]
    assert [s["Ref"] for s in alb["NetworkConfiguration"]["Subnets"]] == public
    group = synth.logical_id(synth.gateway.security_group)
    assert alb["NetworkConfiguration"]["InboundSecurityGroup"] == {"Fn::GetAtt": [group, "GroupId"]}
    bucket = synth.logical_id(synth.gateway.access_log_bucket)
    assert alb["AccessLogs"] == {
        "Destination": {"S3": {"Bucket": {"Ref": bucket}, "Prefix": "gateway"}}
    }
    assert gateway["Properties"]["DeletionProtection"] is True
    [association] = synth.of_type("AWS::ECS::GatewayClusterAssociations").values()
    assert association["Properties"] == {
        "Gateway": {"Fn::GetAtt": [gateway_id, "Arn"]},
        "Cluster": {"Ref": synth.logical_id(network.cluster)},  # type: ignore[attr-defined]
    }
    assert synth.template["Outputs"][
        next(k for k in synth.template["Outputs"] if k.startswith("GatewayGatewayArn"))
    ]["Value"] == {"Fn::GetAtt": [gateway_id, "Arn"]}


def test_the_service_joins_through_one_connector(synth: Synthesized) -> None:
    [service] = synth.of_type("AWS::ECS::Service").values()
    assert service["Properties"]["GatewayConnectors"] == [
        {
            "PortName": "api",
            "HealthCheck": {
                "HealthCheckPath": "/health",
                "HealthCheckPort": 8080,
                "HealthCheckProtocol": "HTTP",
                "HealthCheckIntervalSeconds": 10,
                "HealthCheckTimeoutSeconds": 5,
                "HealthyThresholdCount": 2,
                "UnhealthyThresholdCount": 3,
                "Matcher": {"HttpCode": "200"},
            },
            "Filters": {"AccessTypes": ["PUBLIC"]},
        }
    ]
    association = next(iter(synth.of_type("AWS::ECS::GatewayClusterAssociations")))
    assert association in service["DependsOn"]
    assert not service["Properties"].get("LoadBalancers")


def test_only_the_gateway_reaches_the_tasks_on_their_port(synth: Synthesized) -> None:
    gateway_group = synth.logical_id(synth.gateway.security_group)
    tasks_group = synth.logical_id(synth.service.security_group)
    ingress = [
        r["Properties"]
        for r in synth.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [tasks_group, "GroupId"]}
    ]
    assert [(i["FromPort"], i["SourceSecurityGroupId"]) for i in ingress] == [
        (8080, {"Fn::GetAtt": [gateway_group, "GroupId"]})
    ]
    egress = [
        r["Properties"]
        for r in synth.of_type("AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [gateway_group, "GroupId"]}
    ]
    assert [(e["FromPort"], e["DestinationSecurityGroupId"]) for e in egress] == [
        (8080, {"Fn::GetAtt": [tasks_group, "GroupId"]})
    ]
    group = synth.template["Resources"][gateway_group]["Properties"]
    assert [(r["CidrIp"], r["FromPort"]) for r in group["SecurityGroupIngress"]] == [
        ("0.0.0.0/0", 443)
    ]


def test_roles_and_trust_snapshot(synth: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    roles = roles_and_trust(synth.template, "Gateway", "ApiTask")
    assert len(roles) == 3
    assert roles == json_snapshot


def test_packs_lint_control_tower_and_cost(synth: Synthesized, tmp_path: Path) -> None:
    assert [str(f) for f in nag_findings(synth.stack)] == []
    assert [str(f) for f in cfn_lint(synth.template)] == []
    assert synth_warnings(synth.stack.node.root) == []  # type: ignore[arg-type]
    assert control_tower_findings(lambda app: _build(Stack(app, "Edge")), outdir=tmp_path) == []
    cost = stack_cost(StackTemplate("Edge", synth.template))
    assert cost.load_balancers == 1  # the gateway's first ALB, priced as an ALB


def test_an_internal_gateway_and_cidr_limits() -> None:
    app = make_app()
    stack = Stack(app, "Internal")
    network = NetworkedCluster(stack, "Network")
    gateway = EcsGateway(
        stack, "Gateway", cluster=network, public=False, allowed_cidrs=["10.20.0.0/16"]
    )
    template = template_of(stack)
    [props] = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Gateway"
    ]
    assert props["Configuration"]["HostSharedAlb"]["Scheme"] == "internal"
    group = template["Resources"][
        stack.resolve(stack.get_logical_id(gateway.security_group.node.default_child))
    ]
    assert [r["CidrIp"] for r in group["Properties"]["SecurityGroupIngress"]] == ["10.20.0.0/16"]
    assert gateway.access is GatewayAccess.PRIVATE


def _stack_with_gateway() -> tuple[Stack, NetworkedCluster, EcsGateway]:
    app = make_app()
    stack = Stack(app, "Bad")
    network = NetworkedCluster(stack, "Network")
    return stack, network, EcsGateway(stack, "Gateway", cluster=network)


def test_what_a_connector_needs_is_explained() -> None:
    stack, network, gateway = _stack_with_gateway()
    task = _task(stack, network)
    assert_explained(
        lambda: FargateService(
            stack, "A", cluster=network, task=task, load_balancer=gateway.connector(port_name="app")
        ),
        ["port_name='app'", "a named port of the task (api)", "nearest valid: port_name='api'"],
    )
    assert_explained(
        lambda: FargateService(
            stack,
            "B",
            cluster=network,
            task=task,
            load_balancer=gateway.connector(port_name="api", access=[GatewayAccess.PRIVATE]),
        ),
        ["access=['PRIVATE']", "kinds of gateway the cluster has (PUBLIC)"],
    )
    assert_explained(
        lambda: FargateService(
            stack,
            "C",
            cluster=network,
            task=task,
            deployment=BlueGreenDeployment(),
            load_balancer=gateway.connector(port_name="api"),
        ),
        ["deployment=", "RollingDeployment(...) behind an ECS Gateway"],
    )
    other = NetworkedCluster(stack, "Other")
    assert_explained(
        lambda: FargateService(
            stack,
            "D",
            cluster=other,
            task=_task(stack, other, "OtherTask"),
            load_balancer=gateway.connector(port_name="api"),
        ),
        ["cluster='Bad/Other'", "the cluster Bad/Gateway is associated with (Bad/Network)"],
    )
    assert_explained(
        lambda: gateway.connector(port_name="api", access=[]),
        ["access=[]", "once each"],
    )


def test_what_a_gateway_needs_is_explained() -> None:
    stack, network, _ = _stack_with_gateway()
    for index in range(4):
        EcsGateway(stack, f"More{index}", cluster=network)
    assert_explained(
        lambda: EcsGateway(stack, "Sixth", cluster=network),
        ["cluster='Bad/Network'", "fewer than 5 gateways (ECS's limit"],
    )
    single = NetworkedCluster(stack, "Single", max_azs=1, nat_gateways=1)
    assert_explained(
        lambda: EcsGateway(stack, "One", cluster=single),
        ["cluster='Bad/Single'", "at least two Availability Zones", "max_azs=2"],
    )
    assert_explained(
        lambda: EcsGateway(
            stack, "Named", cluster=NetworkedCluster(stack, "Third"), gateway_name="shop gateway"
        ),
        ["gateway_name='shop gateway'", "nearest valid: 'shop-gateway'"],
    )
    assert_explained(
        lambda: EcsGateway(stack, "Big", cluster=network, max_alb_count=11),
        ["max_alb_count=11"],
    )


def test_the_gateway_must_cover_the_tasks_zones() -> None:
    app = make_app()
    stack = Stack(app, "Zones")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-12345678",
        vpc_cidr_block="10.0.0.0/16",
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        public_subnet_ids=["subnet-a1", "subnet-b1", "subnet-c1"],
        private_subnet_ids=["subnet-a2", "subnet-b2", "subnet-c2"],
    )
    network = NetworkedCluster(stack, "Network", vpc=vpc)
    gateway = EcsGateway(stack, "Gateway", cluster=network)
    # A gateway whose subnets leave out a zone the tasks run in.
    gateway.subnet_azs = {"eu-west-1a", "eu-west-1b"}
    assert_explained(
        lambda: FargateService(
            stack,
            "Api",
            cluster=network,
            task=_task(stack, network),
            load_balancer=gateway.connector(port_name="api"),
        ),
        ["load_balancer=", "every Availability Zone the tasks run in", "lacks eu-west-1c"],
    )
    assert json.dumps(sorted(gateway.subnet_azs))
