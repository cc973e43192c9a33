"""Adopting what an ecs_patterns app already runs: its ECS cluster (and VPC) become a
NetworkedCluster's, and the running service is left exactly as it was."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk.assertions import Template

from fargate_constructs import FargateService, NetworkedCluster, SharedLoadBalancer

from .harness import NGINX, assert_explained, cfn_lint, make_app, nginx_task


def _legacy(stack: Stack) -> ecs_patterns.ApplicationLoadBalancedFargateService:
    return ecs_patterns.ApplicationLoadBalancedFargateService(
        stack,
        "Legacy",
        cpu=256,
        memory_limit_mib=512,
        desired_count=2,
        min_healthy_percent=100,
        circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry(NGINX)
        ),
    )


def _template(adopt: bool) -> dict[str, Any]:
    app = make_app()
    stack = Stack(app, "Shop")
    legacy = _legacy(stack)
    if adopt:
        network = NetworkedCluster(stack, "Network", ecs_cluster=legacy.cluster)
        FargateService(
            stack, "Worker", cluster=network, task=nginx_task(stack, network, "WorkerTask", None)
        )
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


@pytest.fixture(scope="module")
def before_and_after() -> tuple[dict[str, Any], dict[str, Any]]:
    return _template(adopt=False), _template(adopt=True)


def test_the_running_app_is_left_as_it_was(
    before_and_after: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = before_and_after
    for logical_id, resource in before["Resources"].items():
        assert after["Resources"][logical_id] == resource, logical_id


def test_one_cluster_one_vpc_and_the_capacity_providers(
    before_and_after: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = before_and_after
    types = [r["Type"] for r in after["Resources"].values()]
    assert types.count("AWS::ECS::Cluster") == 1
    assert types.count("AWS::EC2::VPC") == 1
    ((cluster_id, _),) = [
        (k, r) for k, r in after["Resources"].items() if r["Type"] == "AWS::ECS::Cluster"
    ]
    (association,) = [
        r
        for r in after["Resources"].values()
        if r["Type"] == "AWS::ECS::ClusterCapacityProviderAssociations"
    ]
    assert association["Properties"]["Cluster"] == {"Ref": cluster_id}
    assert association["Properties"]["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    (worker,) = [
        r
        for k, r in after["Resources"].items()
        if r["Type"] == "AWS::ECS::Service" and k.startswith("Worker")
    ]
    assert worker["Properties"]["Cluster"] == {"Ref": cluster_id}
    # The ecs_patterns app's own resources carry cfn-lint warnings; the added ones carry none.
    ours = set(after["Resources"]) - set(before["Resources"])
    assert [str(f) for f in cfn_lint(after) if f.path.split("/")[1] in ours] == []


def test_the_same_vpc_may_be_named_too() -> None:
    app = make_app()
    stack = Stack(app, "Both")
    legacy = _legacy(stack)
    network = NetworkedCluster(stack, "Network", ecs_cluster=legacy.cluster, vpc=legacy.cluster.vpc)
    assert network.vpc.node.path == legacy.cluster.vpc.node.path


def test_an_imported_cluster_is_adopted_with_its_vpc() -> None:
    app = make_app()
    stack = Stack(app, "Imported")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-12345678",
        availability_zones=["us-east-1a", "us-east-1b"],
        private_subnet_ids=["subnet-aaaa1111", "subnet-bbbb2222"],
    )
    cluster = ecs.Cluster.from_cluster_attributes(stack, "Legacy", cluster_name="legacy", vpc=vpc)
    network = NetworkedCluster(stack, "Network", ecs_cluster=cluster)
    assert network.vpc.vpc_id == "vpc-12345678"
    assert network.container_insights is False
    FargateService(
        stack, "Worker", cluster=network, task=nginx_task(stack, network, "WorkerTask", None)
    )
    template = Template.from_stack(stack).to_json()
    types = [r["Type"] for r in template["Resources"].values()]
    assert "AWS::ECS::Cluster" not in types
    assert "AWS::EC2::VPC" not in types
    (service,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service"]
    assert service["Properties"]["Cluster"] == "legacy"
    subnets = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    assert subnets == ["subnet-aaaa1111", "subnet-bbbb2222"]


@pytest.mark.parametrize(
    ("props", "fragments"),
    [
        (
            {"cluster_name": "new"},
            ["cluster_name='new'", "None with ecs_cluster=", "nearest valid: cluster_name=None"],
        ),
        ({"other_vpc": True}, ["None or the adopted cluster's own VPC", "nearest valid: vpc=None"]),
        (
            {"service_connect_namespace": "shop.internal"},
            ["service_connect_namespace='shop.internal'", "imported", "ecs.Cluster"],
        ),
    ],
)
def test_what_cannot_go_with_adoption_is_explained(
    props: dict[str, Any], fragments: list[str]
) -> None:
    app = make_app()
    stack = Stack(app, "Bad")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-1", availability_zones=["a"], private_subnet_ids=["subnet-1"]
    )
    cluster = ecs.Cluster.from_cluster_attributes(stack, "C", cluster_name="c", vpc=vpc)
    if props.pop("other_vpc", False):
        props["vpc"] = ec2.Vpc.from_vpc_attributes(
            stack, "Other", vpc_id="vpc-2", availability_zones=["a"], private_subnet_ids=["s-2"]
        )
    assert_explained(
        lambda: NetworkedCluster(stack, "Network", ecs_cluster=cluster, **props), fragments
    )


def _moved() -> tuple[dict[str, Any], SharedLoadBalancer, Any]:
    app = make_app()
    stack = Stack(app, "Shop")
    legacy = _legacy(stack)
    network = NetworkedCluster(stack, "Network", ecs_cluster=legacy.cluster)
    shared = SharedLoadBalancer.adopt(
        stack,
        "LoadBalancer",
        cluster=network,
        load_balancer=legacy.load_balancer,
        listener=legacy.listener,
    )
    FargateService(
        stack,
        "Web",
        cluster=network,
        task=nginx_task(stack, network, "WebTask"),
        load_balancer=shared.route(priority=10, path_patterns=["/v2/*"]),
    )
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template, shared, legacy


@pytest.fixture(scope="module")
def moved() -> tuple[dict[str, Any], SharedLoadBalancer, Any]:
    return _moved()


def test_an_adopted_listener_keeps_the_running_load_balancer(
    before_and_after: tuple[dict[str, Any], dict[str, Any]],
    moved: tuple[dict[str, Any], SharedLoadBalancer, Any],
) -> None:
    """The new service gets a rule and a target group on the old listener; the old load
    balancer, listener, target group and service are the same resources as before."""
    before, _ = before_and_after
    after, shared, legacy = moved
    changed = [
        logical_id
        for logical_id, resource in before["Resources"].items()
        if after["Resources"].get(logical_id) != resource
    ]
    assert changed == []
    stack = Stack.of(legacy)
    listener_id = stack.resolve(stack.get_logical_id(legacy.listener.node.default_child))
    rules = [
        r["Properties"]
        for r in after["Resources"].values()
        if r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    ]
    assert [r["ListenerArn"] for r in rules] == [{"Ref": listener_id}]
    assert rules[0]["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/v2/*"]}}
    ]
    types = [r["Type"] for r in after["Resources"].values()]
    assert types.count("AWS::ElasticLoadBalancingV2::LoadBalancer") == 1
    assert types.count("AWS::ElasticLoadBalancingV2::TargetGroup") == 2
    assert shared.url.startswith("http://")
    ours = set(after["Resources"]) - set(before["Resources"])
    assert [str(f) for f in cfn_lint(after) if f.path.split("/")[1] in ours] == []


def test_what_an_adopted_listener_needs_is_explained() -> None:
    app = make_app()
    stack = Stack(app, "Bad")
    legacy = _legacy(stack)
    network = NetworkedCluster(stack, "Network", ecs_cluster=legacy.cluster)
    assert_explained(
        lambda: SharedLoadBalancer.adopt(
            stack,
            "LoadBalancer",
            cluster=network,
            load_balancer=legacy.load_balancer,
            listener=legacy.load_balancer,  # type: ignore[arg-type]
        ),
        ["listener=", "ApplicationListener"],
    )
