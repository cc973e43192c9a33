"""Every "nearest valid" suggestion is itself valid: for parameters that suggest one, random bad
values are tried, and the suggestion, applied as written, must construct without error."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Duration
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargate_constructs import (
    CanaryDeployment,
    Container,
    InvalidParameterError,
    LoadBalancer,
    Port,
    RollingDeployment,
    ScheduledScaling,
    ServiceConnect,
    TargetHealth,
    TaskSize,
)
from fargate_constructs.cluster import _parse_cidr
from fargate_constructs.validation import check_cidrs, check_ecs_name

SCOPE = {"Duration": Duration, "timedelta": timedelta}


def _suggested_kwargs(nearest: str) -> dict[str, Any]:
    """``a=1, b='x'`` as keyword arguments (evaluated with Duration and timedelta in scope)."""
    call = ast.parse(f"f({nearest})", mode="eval").body
    assert isinstance(call, ast.Call), nearest
    return {
        keyword.arg: eval(compile(ast.Expression(keyword.value), "<nearest>", "eval"), SCOPE)
        for keyword in call.keywords
        if keyword.arg is not None
    }


def _follows_its_suggestion(build: Callable[..., Any], **kwargs: Any) -> None:
    """``build(**kwargs)`` either works, or fails with a suggestion that works."""
    try:
        build(**kwargs)
    except InvalidParameterError as error:
        nearest = error.nearest
    else:
        return
    assert nearest is not None
    build(**{**kwargs, **_suggested_kwargs(nearest)})


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
text = st.text(min_size=1, max_size=40)
seconds = st.integers(min_value=-100, max_value=100_000)


@SETTINGS
@given(cpu=st.integers(-10, 20_000), memory=st.integers(-10, 130_000))
def test_task_size(cpu: int, memory: int) -> None:
    _follows_its_suggestion(
        lambda **kw: TaskSize(kw["cpu"], kw["memory_mib"]), cpu=cpu, memory_mib=memory
    )


@SETTINGS
@given(port=st.integers(-5, 100_000))
def test_load_balancer_port(port: int) -> None:
    _follows_its_suggestion(LoadBalancer, allow_plain_http=True, port=port)


@SETTINGS
@given(interval=seconds, timeout=seconds, delay=seconds)
def test_target_health_times(interval: int, timeout: int, delay: int) -> None:
    def build(**kw: Any) -> None:
        TargetHealth(
            interval=kw["health_check_interval"],
            timeout=kw["health_check_timeout"],
            deregistration_delay=kw["deregistration_delay"],
        )

    # One parameter at a time, the others valid, as a user fixes one error after another.
    _follows_its_suggestion(
        build,
        health_check_interval=timedelta(seconds=interval),
        health_check_timeout=Duration.seconds(5),
        deregistration_delay=timedelta(seconds=30),
    )
    _follows_its_suggestion(
        build,
        health_check_interval=Duration.seconds(300),
        health_check_timeout=timedelta(seconds=timeout),
        deregistration_delay=timedelta(seconds=30),
    )
    _follows_its_suggestion(
        build,
        health_check_interval=timedelta(seconds=10),
        health_check_timeout=timedelta(seconds=5),
        deregistration_delay=timedelta(seconds=delay),
    )


@SETTINGS
@given(zone=text)
def test_time_zone(zone: str) -> None:
    _follows_its_suggestion(
        lambda **kw: ScheduledScaling(schedule="rate(1 hour)", min_capacity=1, **kw), time_zone=zone
    )


@SETTINGS
@given(name=text)
def test_container_name(name: str) -> None:
    _follows_its_suggestion(lambda **kw: Container(image="nginx:1.27", **kw), name=name)


@SETTINGS
@given(image=st.text(alphabet="abcXYZ019 .:/@_-", min_size=1, max_size=30))
def test_image_reference(image: str) -> None:
    try:
        Container("app", image)
    except InvalidParameterError as error:
        if error.nearest is not None:
            Container("app", **{"image": _suggested_kwargs(error.nearest)["image"]})


@SETTINGS
@given(port=st.integers(-5, 100_000), name=text)
def test_port(port: int, name: str) -> None:
    _follows_its_suggestion(lambda **kw: Port(kw["port"]), port=port)
    _follows_its_suggestion(lambda **kw: Port(8080, name=kw["name"]), name=name)


@SETTINGS
@given(name=text)
def test_service_connect_dns_name(name: str) -> None:
    try:
        ServiceConnect(dns_name=name)
    except InvalidParameterError as error:
        if error.nearest is not None:  # no suggestion when nothing of the name is usable
            ServiceConnect(**_suggested_kwargs(error.nearest))


@SETTINGS
@given(name=text)
def test_ecs_names(name: str) -> None:
    for parameter in ("family", "service_name", "cluster_name"):
        try:
            check_ecs_name(parameter, name)
        except InvalidParameterError as error:
            if error.nearest is not None:
                check_ecs_name(parameter, _suggested_kwargs(error.nearest)[parameter])


@SETTINGS
@given(low=st.integers(-50, 500), high=st.integers(-50, 500))
def test_rolling_percentages(low: int, high: int) -> None:
    _follows_its_suggestion(
        lambda **kw: RollingDeployment(**kw), min_healthy_percent=low, max_healthy_percent=200
    )
    _follows_its_suggestion(
        lambda **kw: RollingDeployment(**kw), min_healthy_percent=50, max_healthy_percent=high
    )


@SETTINGS
@given(percent=st.floats(-5, 150, allow_nan=False), minutes=st.integers(-10, 3000))
def test_canary(percent: float, minutes: int) -> None:
    _follows_its_suggestion(lambda **kw: CanaryDeployment(**kw), percent=round(percent, 3))
    _follows_its_suggestion(
        lambda **kw: CanaryDeployment(**kw), step_bake_time=timedelta(minutes=minutes)
    )


@SETTINGS
@given(
    address=st.ip_addresses(v=4).map(str),
    prefix=st.integers(0, 32),
)
def test_vpc_cidr(address: str, prefix: int) -> None:
    _follows_its_suggestion(lambda **kw: _parse_cidr(kw["cidr"]), cidr=f"{address}/{prefix}")


@SETTINGS
@given(address=st.ip_addresses().map(str), prefix=st.integers(0, 128))
def test_allowed_cidrs(address: str, prefix: int) -> None:
    cidr = f"{address}/{prefix}"
    try:
        check_cidrs("allowed_cidrs", [cidr])
    except InvalidParameterError as error:
        if error.nearest is not None:
            check_cidrs("allowed_cidrs", [ast.literal_eval(error.nearest)])


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: LoadBalancer(allow_plain_http=True, port=70000), "port=65535"),
        (lambda: TaskSize(256, 3), "memory_mib=3072"),
        (
            lambda: ScheduledScaling(schedule="rate(1 hour)", min_capacity=1, time_zone="CET+1"),
            "CET",
        ),
        (lambda: Container("app", "nginx: 1.27"), "image='nginx:1.27'"),
        (lambda: Container("app", "my repo/app:1"), "image='myrepo/app:1'"),
        (lambda: check_ecs_name("family", "my family"), "family='my-family'"),
        (lambda: check_ecs_name("service_name", "my service"), "service_name='my-service'"),
    ],
)
def test_the_issue_examples_suggest_working_values(build: Callable[[], Any], fragment: str) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        build()
    assert raised.value.nearest is not None
    assert fragment in raised.value.nearest
