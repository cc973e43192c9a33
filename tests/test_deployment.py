"""Value objects for deployments, capacity and load balancer settings: validation and the
aws_ecs settings each stands for (construction only; no synthesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import aws_ecs as ecs

from fargate_constructs import (
    BlueGreenDeployment,
    CanaryDeployment,
    Capacity,
    InvalidParameterError,
    LinearDeployment,
    LoadBalancer,
    RollingDeployment,
    TargetHealth,
)

from .harness import CERT, assert_explained


def test_rolling_defaults_are_safe() -> None:
    props = RollingDeployment().service_props()
    assert props["min_healthy_percent"] == 100
    assert props["max_healthy_percent"] == 200
    assert props["circuit_breaker"].enable is True
    assert props["circuit_breaker"].rollback is True
    assert props["deployment_alarms"] is None
    assert props["deployment_strategy"] == ecs.DeploymentStrategy.ROLLING


def test_service_alarms_join_the_users_alarms_unless_turned_off() -> None:
    mine = RollingDeployment(alarm_names=("a",))
    assert mine.service_props(("b", "a"))["deployment_alarms"].alarm_names == ["a", "b"]
    only_mine = RollingDeployment(alarm_names=("a",), use_service_alarms=False)
    assert only_mine.service_props(("b",))["deployment_alarms"].alarm_names == ["a"]


@pytest.mark.parametrize(
    ("kind", "props", "fragments"),
    [
        (RollingDeployment, {"min_healthy_percent": 101}, ["min_healthy_percent=101", "0 to 100"]),
        (RollingDeployment, {"max_healthy_percent": 90}, ["max_healthy_percent=90", "100 to 400"]),
        (
            RollingDeployment,
            {"min_healthy_percent": 100, "max_healthy_percent": 100},
            [
                "max_healthy_percent=100 is not valid for min_healthy_percent=100",
                "deployment never starts",
                "nearest valid: max_healthy_percent=200",
            ],
        ),
        (
            RollingDeployment,
            {"circuit_breaker": False},
            ["rollback=True is not valid for circuit_breaker=False"],
        ),
        (
            RollingDeployment,
            {"bake_time": timedelta(minutes=1441)},
            ["bake_time=", "0 to 1440", "Duration.minutes(1440)"],
        ),
        (RollingDeployment, {"alarm_names": ("",)}, ["alarm_names=''"]),
        (BlueGreenDeployment, {"bake_time": timedelta(seconds=90)}, ["whole minutes"]),
        (BlueGreenDeployment, {"test_listener_port": 0}, ["test_listener_port=0"]),
        (CanaryDeployment, {"percent": 0.05}, ["percent=0.05", "0.1 to 100.0", "percent=0.1"]),
        (LinearDeployment, {"step_percent": 2.0}, ["step_percent=2.0", "3.0 to 100.0"]),
        (LinearDeployment, {"step_percent": 10.05}, ["step_percent=10.05", "multiples of 0.1"]),
        (CanaryDeployment, {"step_bake_time": timedelta(days=2)}, ["step_bake_time="]),
    ],
)
def test_bad_deployments_are_explained(
    kind: Any, props: dict[str, Any], fragments: list[str]
) -> None:
    assert_explained(lambda: kind(**props), fragments)


@pytest.mark.parametrize(
    ("deployment", "strategy", "peak"),
    [
        (RollingDeployment(), ecs.DeploymentStrategy.ROLLING, 2.0),
        (
            RollingDeployment(min_healthy_percent=50, max_healthy_percent=150),
            ecs.DeploymentStrategy.ROLLING,
            1.5,
        ),
        (BlueGreenDeployment(), ecs.DeploymentStrategy.BLUE_GREEN, 2.0),
        (CanaryDeployment(), ecs.DeploymentStrategy.CANARY, 2.0),
        (LinearDeployment(), ecs.DeploymentStrategy.LINEAR, 2.0),
    ],
)
def test_strategy_and_peak_tasks(
    deployment: Any, strategy: ecs.DeploymentStrategy, peak: float
) -> None:
    assert deployment.service_props()["deployment_strategy"] == strategy
    assert deployment.peak_task_factor() == peak
    assert deployment.needs_alternate_target is (strategy != ecs.DeploymentStrategy.ROLLING)


def test_capacity_strategies() -> None:
    mixed = Capacity(on_demand_base=1, on_demand_weight=1, spot_weight=3)
    assert [(s.capacity_provider, s.base, s.weight) for s in mixed.strategies()] == [
        ("FARGATE", 1, 1),
        ("FARGATE_SPOT", None, 3),
    ]
    assert mixed.spot_share == 0.75
    assert [(s.capacity_provider, s.weight) for s in Capacity.spot().strategies()] == [
        ("FARGATE_SPOT", 1)
    ]
    assert [(s.capacity_provider, s.weight) for s in Capacity.on_demand().strategies()] == [
        ("FARGATE", 1)
    ]


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"on_demand_base": -1}, "on_demand_base=-1"),
        ({"spot_weight": -2}, "spot_weight=-2"),
        (
            {"on_demand_weight": 0, "spot_weight": 0},
            "spot_weight=0 is not valid for on_demand_weight=0",
        ),
    ],
)
def test_bad_capacity_is_explained(props: dict[str, int], fragment: str) -> None:
    with pytest.raises(InvalidParameterError, match=fragment):
        Capacity(**props)


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({}, "certificate=None is not valid; allowed: an ACM certificate"),
        ({"certificate_arn": "arn:aws:iam::123:server-certificate/x"}, "an ACM certificate ARN"),
        ({"certificate_arn": CERT, "port": 70000}, "port=70000"),
        ({"certificate_arn": CERT, "health": {"path": "health"}}, "health_check_path='health'"),
        # ELB refuses spaces and paths over 1,024 characters at deploy: refused at synth.
        (
            {"certificate_arn": CERT, "health": {"path": "/my health"}},
            "health_check_path='/my health'.*no spaces.*nearest valid: '/myhealth'",
        ),
        (
            {"certificate_arn": CERT, "health": {"path": "/" + "a" * 1024}},
            "at most 1024 printable characters",
        ),
        (
            {"certificate_arn": CERT, "health": {"interval": timedelta(seconds=4)}},
            "health_check_interval=.*5 to 300",
        ),
        (
            {"certificate_arn": CERT, "health": {"timeout": timedelta(seconds=10)}},
            "health_check_timeout=.*less than the health check interval",
        ),
        ({"certificate_arn": CERT, "health": {"healthy_threshold": 1}}, "healthy_threshold=1"),
        (
            {"certificate_arn": CERT, "health": {"deregistration_delay": timedelta(hours=2)}},
            "deregistration_delay=",
        ),
    ],
)
def test_bad_load_balancer_is_explained(props: dict[str, Any], fragment: str) -> None:
    health = props.pop("health", None)
    with pytest.raises(InvalidParameterError, match=fragment):
        LoadBalancer(**props, health=TargetHealth(**health) if health else None)


def test_plain_http_is_an_explicit_opt_in() -> None:
    settings = LoadBalancer(allow_plain_http=True).listener_settings()
    assert settings.https is False
    assert settings.listener_port == 80
    assert LoadBalancer(certificate_arn=CERT).listener_settings().listener_port == 443


def test_default_target_health_reaches_healthy_in_twenty_seconds() -> None:
    health = TargetHealth()
    assert health.time_to_healthy() == timedelta(seconds=20)
    assert health.deregistration_delay == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("deployment", "counts", "fragments"),
    [
        # ECS rounds 50% of 1 up to 1 and 150% of 1 down to 1: no task can start or stop.
        (
            RollingDeployment(min_healthy_percent=50, max_healthy_percent=150),
            {"desired_count": 1},
            [
                "max_healthy_percent=150",
                "desired_count=1",
                "nearest valid: max_healthy_percent=200",
            ],
        ),
        # 75% of 2 rounds up to 2, 120% of 2 down to 2.
        (
            RollingDeployment(min_healthy_percent=75, max_healthy_percent=120),
            {"desired_count": 2},
            ["rounds 120% of 2 down to 2", "nearest valid: max_healthy_percent=150"],
        ),
        (
            RollingDeployment(min_healthy_percent=75, max_healthy_percent=120),
            {"min_capacity": 2},
            ["min_capacity=2"],
        ),
    ],
)
def test_rolling_deployment_that_cannot_take_a_step_is_refused(
    deployment: RollingDeployment, counts: dict[str, int], fragments: list[str]
) -> None:
    assert_explained(lambda: deployment.check_task_counts(counts), fragments)


@pytest.mark.parametrize(
    ("deployment", "count"),
    [
        (RollingDeployment(min_healthy_percent=50, max_healthy_percent=150), 2),  # stops 1
        (RollingDeployment(min_healthy_percent=75, max_healthy_percent=120), 5),  # starts 1
        (RollingDeployment(min_healthy_percent=0, max_healthy_percent=100), 1),  # stops it
        (RollingDeployment(), 1),
        (RollingDeployment(min_healthy_percent=50, max_healthy_percent=150), 0),
        (BlueGreenDeployment(), 1),
    ],
)
def test_rolling_deployments_that_can_step_pass(deployment: Any, count: int) -> None:
    deployment.check_task_counts({"desired_count": count})
