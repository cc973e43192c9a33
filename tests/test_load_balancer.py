"""Application load balancers: listener rule conditions ELB would refuse at deploy time, two
routes that match the same requests, and a UDP-only target, all refused at synth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Stack

from fargate_constructs import (
    Container,
    FargateService,
    FargateTaskWithRoles,
    LoadBalancer,
    NetworkedCluster,
    NetworkLoadBalancer,
    Port,
    ProtocolVersion,
    SharedLoadBalancer,
    TargetHealth,
    TaskSize,
    Transport,
)
from fargate_constructs.listener import check_rule_conditions

from .harness import NGINX, assert_explained, make_app

SMALL = TaskSize(cpu=256, memory_mib=512)
UDP = Transport.UDP


@pytest.mark.parametrize(
    ("hosts", "paths", "fragments"),
    [
        ([], ["api/*"], ["path_patterns='api/*'", "starting with '/'", "['/api/*']"]),
        (["https://a.example.com/x"], [], ["host_headers='https://a.example.com/x'",
                                            "host_headers=['a.example.com']"]),
        (["a.example.com:8443"], [], ["no scheme, port or path", "['a.example.com']"]),
        (["a b.example.com"], [], ["host_headers='a b.example.com'"]),
        ([f"h{i}.example.com" for i in range(6)], [], ["6 host headers and 0 path patterns",
                                                         "at most 5 values"]),
        (["a.example.com", "b.example.com", "c.example.com"], ["/x", "/y", "/z"],
         ["3 host headers and 3 path patterns"]),
        ([], [], ["at least one host header or path pattern"]),
        ([], ["/" + "a" * 128], ["up to 128 characters"]),
    ],
)  # fmt: skip
def test_rule_conditions_elb_refuses_are_refused_at_synth(
    hosts: list[str], paths: list[str], fragments: list[str]
) -> None:
    assert_explained(lambda: check_rule_conditions(hosts, paths), fragments)


@pytest.mark.parametrize(
    ("hosts", "paths"),
    [
        (["*.example.com"], []),
        (["api.example.com", "www?.example.com"], ["/v1/*", "/health"]),
        ([], ["/*"]),
        ([], ["/a-b_c.d/$x~y@z:1+2&3/'q'"]),
    ],
)
def test_rule_conditions_elb_accepts_pass(hosts: list[str], paths: list[str]) -> None:
    check_rule_conditions(hosts, paths)


@pytest.fixture
def shop() -> tuple[Stack, NetworkedCluster, SharedLoadBalancer]:
    stack = Stack(make_app(), "Shop")
    network = NetworkedCluster(stack, "Net")
    shared = SharedLoadBalancer(stack, "Alb", cluster=network, allow_plain_http=True)
    return stack, network, shared


def _service(
    stack: Stack, network: NetworkedCluster, id: str, load_balancer: Any, **task: Any
) -> FargateService:
    task.setdefault("container_port", 80)
    task.setdefault("image", NGINX)
    made = FargateTaskWithRoles(stack, f"{id}Task", size=SMALL, **task)
    return FargateService(stack, id, cluster=network, task=made, load_balancer=load_balancer)


@pytest.mark.parametrize(
    ("route", "fragments"),
    [
        (
            lambda shared: shared.route(priority=10, path_patterns="/api/*"),
            ["path_patterns='/api/*'", "a list of strings", "path_patterns=['/api/*']"],
        ),
        (
            lambda shared: shared.route(priority=10, host_headers="a.example.com"),
            ["host_headers='a.example.com'", "host_headers=['a.example.com']"],
        ),
        (
            lambda shared: shared.route(priority="10", path_patterns=["/*"]),
            ["priority='10'", "priority=int('10')"],
        ),
    ],
)
def test_route_arguments_of_the_wrong_shape_are_refused(
    shop: tuple[Stack, NetworkedCluster, SharedLoadBalancer],
    route: Callable[[SharedLoadBalancer], object],
    fragments: list[str],
) -> None:
    _, _, shared = shop
    assert_explained(lambda: route(shared), fragments)


def test_two_routes_matching_the_same_requests_are_refused(
    shop: tuple[Stack, NetworkedCluster, SharedLoadBalancer],
) -> None:
    stack, network, shared = shop
    _service(stack, network, "Api", shared.route(priority=10, host_headers=["A.example.com"]))
    later = shared.route(priority=20, host_headers=["a.example.com"])
    assert_explained(
        lambda: _service(stack, network, "Api2", later),
        ["host_headers=['a.example.com']", "Shop/Api already matches", "higher priority"],
    )


def test_the_same_path_on_another_host_is_a_different_match(
    shop: tuple[Stack, NetworkedCluster, SharedLoadBalancer],
) -> None:
    stack, network, shared = shop
    _service(stack, network, "A", shared.route(priority=1, host_headers=["a.example.com"]))
    _service(stack, network, "B", shared.route(priority=2, host_headers=["b.example.com"]))


def test_an_application_load_balancer_on_a_udp_only_port_is_refused(
    shop: tuple[Stack, NetworkedCluster, SharedLoadBalancer],
) -> None:
    stack, network, shared = shop
    assert_explained(
        lambda: _service(
            stack,
            network,
            "Dns",
            shared.route(priority=5, path_patterns=["/*"]),
            container_port=None,
            image=None,
            container=Container(name="dns", image=NGINX, ports=[Port(port=53, transport=UDP)]),
        ),
        ["load_balancer='Route(...)'", "NetworkLoadBalancer(protocol=NlbProtocol.UDP"],
    )


def test_route_keywords_of_0_6_still_work_with_a_warning_naming_the_new_spelling(
    shop: tuple[Stack, NetworkedCluster, SharedLoadBalancer],
) -> None:
    _, _, shared = shop
    with pytest.warns(DeprecationWarning, match="is deprecated") as caught:
        old = shared.route(
            priority=1,
            path_patterns=["/*"],
            health_check_path="/health",
            health_check_interval=timedelta(seconds=20),
        )
    message = str(caught[0].message)
    assert "route(health_check_path=..., health_check_interval=...) is deprecated" in message
    assert "route(health=TargetHealth(path='/health', interval=Duration.seconds(20)))" in message
    assert caught[0].filename == __file__
    new = shared.route(
        priority=1,
        path_patterns=["/*"],
        health=TargetHealth(path="/health", interval=timedelta(seconds=20)),
    )
    assert old.health == new.health


def test_load_balancer_keywords_of_0_6_become_its_target_health() -> None:
    with pytest.warns(DeprecationWarning, match=r"LoadBalancer\(health=TargetHealth\(stick"):
        old = LoadBalancer(allow_plain_http=True, stickiness=timedelta(hours=1))
    assert old.target_health() == TargetHealth(stickiness=timedelta(hours=1))
    assert LoadBalancer(allow_plain_http=True).target_health() == TargetHealth()


def test_network_load_balancer_keywords_of_0_6_become_its_target_health() -> None:
    with pytest.warns(DeprecationWarning, match=r"NetworkLoadBalancer\(health=TargetHealth\("):
        old = NetworkLoadBalancer(healthy_threshold=5)
    assert old.target_health() == TargetHealth(healthy_threshold=5)


def test_the_same_setting_spelled_twice_is_refused() -> None:
    assert_explained(
        lambda: LoadBalancer(
            allow_plain_http=True, health=TargetHealth(), health_check_path="/health"
        ),
        ["health_check_path='/health'", "None when health= is given", "TargetHealth(path="],
    )


@pytest.mark.parametrize(
    "health",
    [
        TargetHealth(stickiness=timedelta(hours=1)),
        TargetHealth(slow_start=timedelta(seconds=60)),
        TargetHealth(protocol_version=ProtocolVersion.GRPC),
        TargetHealth(healthy_grpc_codes="0"),
    ],
)
def test_application_load_balancer_settings_are_refused_on_a_network_one(
    health: TargetHealth,
) -> None:
    assert_explained(
        lambda: NetworkLoadBalancer(health=health),
        ["health.", "for a NetworkLoadBalancer (an application load balancer setting)"],
    )
