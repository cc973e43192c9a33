"""Doors: every public name checks its parameters' types before anything else.

The sweep is generated from ``__all__`` and the annotations, so a parameter is covered the day
it is added: each gets a value of a type no annotation admits and must be refused with an
:class:`InvalidParameterError` that names it.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

import fargate_constructs as fc
from fargate_constructs import (
    Architecture,
    FargateService,
    FargateTaskWithRoles,
    InvalidParameterError,
    NetworkedCluster,
    TargetTracking,
    TaskSize,
)
from fargate_constructs.doors import door_hints, door_of

from .harness import NGINX, assert_explained, make_app

SMALL = TaskSize(cpu=256, memory_mib=512)


class _Wrong:
    """A value of a type that no parameter of the library admits."""

    def __repr__(self) -> str:
        return "_Wrong()"


def _public() -> list[tuple[str, Any]]:
    names = []
    for name in fc.__all__:
        target = getattr(fc, name)
        if isinstance(target, type) and issubclass(target, enum.Enum | Exception):
            continue
        names.append((name, target))
    return names


PUBLIC = _public()


@pytest.mark.parametrize(("name", "target"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_every_public_name_has_a_door(name: str, target: Any) -> None:
    assert door_of(target) is not None, f"{name} has no door: decorate it with @checked"


@pytest.mark.parametrize(("name", "target"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_no_parameter_escapes_its_door(name: str, target: Any) -> None:
    """Every parameter has an annotation the door checks (an ``Any`` would let anything in)."""
    function = target.__init__ if isinstance(target, type) else target
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    unchecked = sorted({p.name for p in parameters} - set(door_hints(target)))
    assert unchecked == ALLOWED_UNCHECKED.get(name, []), unchecked


# Parameters that take anything on purpose, each with why.
ALLOWED_UNCHECKED: dict[str, list[str]] = {}


def _sweep_cases() -> list[tuple[str, str]]:
    cases = []
    for name, target in PUBLIC:
        for parameter in door_hints(target):
            cases.append((name, parameter))
    return cases


SWEEP = _sweep_cases()


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack(make_app(), "Sweep")


@pytest.mark.parametrize(("name", "parameter"), SWEEP, ids=[f"{n}.{p}" for n, p in SWEEP])
def test_a_wrong_type_is_refused_naming_the_parameter(
    name: str, parameter: str, stack: Stack
) -> None:
    target = getattr(fc, name)
    call: Callable[[], object]
    if isinstance(target, type) and issubclass(target, Construct):
        arguments: dict[str, Any] = {"scope": stack, "id": f"Sweep{name}{parameter}"}
        arguments[parameter] = _Wrong()
        scope, id = arguments.pop("scope"), arguments.pop("id")

        def call() -> object:
            return target(scope, id, **arguments)
    else:

        def call() -> object:
            return target(**{parameter: _Wrong()})

    with pytest.raises(InvalidParameterError) as raised:
        call()
    assert raised.value.parameter == parameter, str(raised.value)
    assert "_Wrong(...)" in str(raised.value)
    assert "allowed: " in str(raised.value)


def test_a_sweep_covers_every_construct_and_value_object() -> None:
    covered = {name for name, _ in SWEEP}
    assert {"FargateService", "NetworkedCluster", "TaskSize", "Container", "Route"} <= covered
    assert len(SWEEP) > 250


@pytest.fixture(scope="module")
def parts(stack: Stack) -> tuple[NetworkedCluster, FargateTaskWithRoles]:
    network = NetworkedCluster(stack, "Net")
    task = FargateTaskWithRoles(
        stack, "Task", image=NGINX, size=TaskSize(cpu=256, memory_mib=512), container_port=80
    )
    return network, task


@pytest.mark.parametrize(
    ("given", "fragments"),
    [
        ({"cluster": None}, ["cluster=None", "nearest valid: cluster=NetworkedCluster("]),
        ({"task": None}, ["task=None", "nearest valid: task=FargateTaskWithRoles("]),
        (
            {"scaling": TargetTracking(cpu_percent=60)},
            ["scaling='TargetTracking(...)'", "scaling=AutoScaling(min_capacity=1, max_capacity"],
        ),
        ({"deployment": "blue-green"}, ["nearest valid: deployment=BlueGreenDeployment()"]),
        ({"capacity": "spot"}, ["capacity='spot'", "nearest valid: capacity=Capacity.spot()"]),
        ({"desired_count": True}, ["desired_count=True", "a whole number or None"]),
        ({"connects_to": "orders"}, ["connects_to='orders'", "a list of FargateService"]),
    ],
)
def test_service_doors_explain_the_tours_raw_errors(
    parts: tuple[NetworkedCluster, FargateTaskWithRoles],
    given: dict[str, Any],
    fragments: list[str],
    stack: Stack,
) -> None:
    network, task = parts
    arguments: dict[str, Any] = {"cluster": network, "task": task, **given}
    assert_explained(
        lambda: FargateService(stack, f"Svc{len(str(given))}{sorted(given)}", **arguments),
        fragments,
    )


def test_an_ecs_cluster_is_not_a_networked_cluster(
    parts: tuple[NetworkedCluster, FargateTaskWithRoles], stack: Stack
) -> None:
    _, task = parts
    cluster = ecs.Cluster(stack, "Plain")
    assert_explained(
        lambda: FargateService(stack, "OnPlain", cluster=cluster, task=task),  # type: ignore[arg-type]
        ["cluster='Cluster(...)'", "a NetworkedCluster", "ecs_cluster=existing_cluster"],
    )


def _task(scope: Stack, id: str, **props: Any) -> FargateTaskWithRoles:
    return FargateTaskWithRoles(scope, id, image=NGINX, size=SMALL, **props)


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (
            lambda s: NetworkedCluster(s, "MaxAzs", max_azs="2"),
            ["max_azs='2'", "nearest valid: max_azs=int('2')"],
        ),
        (
            lambda s: NetworkedCluster(s, "Retention", log_retention=365),
            ["log_retention=365", "nearest valid: log_retention=RetentionDays.ONE_YEAR"],
        ),
        (
            lambda s: FargateTaskWithRoles(
                s, "Cmd", image=NGINX, size=SMALL, command="python app.py"
            ),
            ["command='python app.py'", "nearest valid: command=['python', 'app.py']"],
        ),
        (
            lambda s: FargateTaskWithRoles(
                s, "EnvInt", image=NGINX, size=SMALL, environment={"PORT": 8080}
            ),
            ["environment={'PORT': 8080}", "nearest valid: environment={'PORT': '8080'}"],
        ),
        (
            lambda s: FargateTaskWithRoles(
                s, "EnvNone", image=NGINX, size=SMALL, environment={"A": None}
            ),
            ["environment={'A': None}", "a mapping of strings to strings"],
        ),
        (
            lambda s: FargateTaskWithRoles(
                s, "EnvEq", image=NGINX, size=SMALL, environment={"A=B": "1"}
            ),
            ["environment='A=B'", "[A-Za-z_][A-Za-z0-9_]*", "nearest valid: 'A_B'"],
        ),
        (
            lambda s: FargateTaskWithRoles(
                s, "EnvSp", image=NGINX, size=SMALL, environment={"MY VAR": "1"}
            ),
            ["environment='MY VAR'", "nearest valid: 'MY_VAR'"],
        ),
        (
            lambda s: TaskSize(cpu=1024, memry_mib=2048),
            ["memry_mib=2048", "one of TaskSize's parameters", "nearest valid: memory_mib=..."],
        ),
    ],
)
def test_construct_doors(make: Callable[[Stack], object], fragments: list[str]) -> None:
    stack = Stack(make_app(), "Doors")
    assert_explained(lambda: make(stack), fragments)


def test_positional_and_keyword_forms_pass_the_same_door() -> None:
    assert TaskSize(1024, 2048) == TaskSize(cpu=1024, memory_mib=2048)


def test_an_existing_alb_is_not_an_ingress(
    parts: tuple[NetworkedCluster, FargateTaskWithRoles], stack: Stack
) -> None:
    network, task = parts
    alb = elbv2.ApplicationLoadBalancer(stack, "Existing", vpc=network.vpc)
    assert_explained(
        lambda: FargateService(stack, "OnAlb", cluster=network, task=task, load_balancer=alb),  # type: ignore[arg-type]
        ["load_balancer='ApplicationLoadBalancer(...)'", "SharedLoadBalancer"],
    )


@pytest.mark.parametrize(
    ("make_value", "fragments"),
    [
        (
            lambda s, net: fc.SharedLoadBalancer(s, "Shared", cluster=net, allow_plain_http=True),
            ["load_balancer='SharedLoadBalancer(...)'", "shared.route(priority=10, host_headers="],
        ),
        (
            lambda s, net: fc.LoadBalancer,
            ["load_balancer='the class LoadBalancer'", "LoadBalancer(...) (an instance"],
        ),
        (
            lambda s, net: fc.NetworkLoadBalancer,
            ["load_balancer='the class NetworkLoadBalancer'", "NetworkLoadBalancer(...)"],
        ),
        (lambda s, net: "alb", ["load_balancer='alb'", "load_balancer=LoadBalancer("]),
        (lambda s, net: "nlb", ["load_balancer='nlb'", "load_balancer=NetworkLoadBalancer()"]),
    ],
)
def test_a_value_that_is_not_an_ingress_names_the_right_call(
    make_value: Callable[[Stack, NetworkedCluster], object], fragments: list[str]
) -> None:
    stack = Stack(make_app(), "NotIngress")
    network = NetworkedCluster(stack, "Net")
    task = FargateTaskWithRoles(stack, "Task", image=NGINX, size=SMALL, container_port=80)
    value = make_value(stack, network)
    assert_explained(
        lambda: FargateService(stack, "Svc", cluster=network, task=task, load_balancer=value),  # type: ignore[arg-type]
        [*fragments, "allowed: a LoadBalancer(...), a SharedLoadBalancer's .route(...)"],
    )


def test_a_duplicate_construct_id_is_one_line_naming_id() -> None:
    stack = Stack(make_app(), "Twice")
    network = NetworkedCluster(stack, "Net")
    task = FargateTaskWithRoles(stack, "Task", image=NGINX, size=SMALL)
    FargateService(stack, "Worker", cluster=network, task=task)
    with pytest.raises(InvalidParameterError) as raised:
        FargateService(stack, "Worker", cluster=network, task=task)
    assert raised.value.parameter == "id"
    assert str(raised.value).count("\n") == 0
    assert "id='Worker'" in str(raised.value)
    assert "nearest valid: id='Worker2'" in str(raised.value)


def test_a_rolling_deployment_that_cannot_step_at_the_desired_count_is_refused() -> None:
    stack = Stack(make_app(), "Stuck")
    network = NetworkedCluster(stack, "Net")
    task = FargateTaskWithRoles(stack, "Task", image=NGINX, size=SMALL)
    stuck = fc.RollingDeployment(min_healthy_percent=50, max_healthy_percent=150)
    assert_explained(
        lambda: FargateService(
            stack, "One", cluster=network, task=task, desired_count=1, deployment=stuck
        ),
        ["max_healthy_percent=150", "for desired_count=1", "max_healthy_percent=200"],
    )
    assert_explained(
        lambda: FargateService(
            stack,
            "Scaled",
            cluster=network,
            task=task,
            deployment=stuck,
            scaling=fc.AutoScaling(
                min_capacity=1, max_capacity=4, target_tracking=TargetTracking(cpu_percent=60)
            ),
        ),
        ["for min_capacity=1"],
    )


# The positional forms kept, each the one or two facts a reader expects first.
POSITIONAL = {
    "TaskSize": ["cpu", "memory_mib"],  # TaskSize(1024, 2048), as Fargate's size table reads
    "Port": ["port"],  # Port(8080)
    "Container": ["name", "image"],  # Container("web", "public.ecr.aws/...")
    "Domain": ["name", "zone"],  # Domain("shop.example.com", zone)
    "Mount": ["volume", "path"],  # Mount("static", "/srv/static")
    "EfsVolume": ["name", "file_system"],  # EfsVolume("uploads", file_system)
    "SharedVolume": ["name"],  # SharedVolume("static")
    "Subscription": ["topic"],  # Subscription(topic)
    "HealthCheck": ["command"],  # HealthCheck(("CMD-SHELL", "curl -f ..."))
    "StepScaling": ["metric"],  # StepScaling(queue.metric_...(), steps=...)
}


@pytest.mark.parametrize(("name", "target"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_value_objects_are_keyword_only_but_for_their_first_facts(name: str, target: Any) -> None:
    if not dataclasses.is_dataclass(target):
        return
    parameters = inspect.signature(target).parameters.values()
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == POSITIONAL.get(name, [])


SAMPLES: list[Any] = [
    None, 0, 1, True, 1.5, "x", "ARM64", ["x"], ("x", "y"), [1], ["x", 1], {"A": "b"}, {"A": 1},
    {1: "b"}, _Wrong(), [_Wrong()], timedelta(seconds=5), Architecture.ARM64, SMALL, [SMALL],
]  # fmt: skip


def test_the_fast_path_agrees_with_beartype_on_every_hint() -> None:
    """Plain classes and one-level lists and mappings are checked without beartype (it costs a
    fresh process about 0.15 s to import and compile); both must judge alike."""
    from fargate_constructs.doors import _fast, _fits, _prepare

    checked_hints = 0
    for _, target in PUBLIC:
        for hint in door_hints(target).values():
            fast = _fast(hint)
            if fast is None:
                continue
            checked_hints += 1
            prepared = _prepare(hint)
            for value in SAMPLES:
                assert fast(value) == _fits(value, prepared), (hint, value)
    assert checked_hints > 200


def test_allow_from_takes_a_service(
    parts: tuple[NetworkedCluster, FargateTaskWithRoles], stack: Stack
) -> None:
    network, task = parts
    server = FargateService(stack, "Server", cluster=network, task=task)
    assert_explained(
        lambda: server.allow_from("orders"),  # type: ignore[arg-type]
        ["client='orders'", "a FargateService", "FargateService.allow_from(...)"],
    )
