"""How a service rolls out a new task definition: rolling, blue/green, canary or linear.

Frozen value objects that validate themselves; each knows the ``aws_ecs.FargateService`` settings
it stands for (:meth:`service_props`). Blue/green, canary and linear use ECS's native
strategies (``DeploymentStrategy.BLUE_GREEN`` etc. with an ``AlternateTarget``), no CodeDeploy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs

from .deployment_controls import (
    CircuitBreaker,
    EarlySuccess,
    LifecycleHook,
    LifecycleStage,
    cdk_hook,
)
from .doors import checked
from .durations import (
    DurationLike,
    check_minutes,
    describe,
    held,
    normalize_durations,
    optional_held,
)
from .errors import InvalidParameterError

MAX_BAKE_MINUTES = 1440
"""ECS accepts bake times (and traffic-shift step bake times) from 0 to 1440 minutes."""

MAX_CLOUDFORMATION_ROLLOUT = timedelta(hours=33)
"""CloudFormation refuses a canary or linear deployment whose bake times add up to more (its
operations time out after 36 hours)."""


def _check_minutes(parameter: str, given: DurationLike | None) -> None:
    value = optional_held(given)
    if value is not None:
        check_minutes(parameter, value, 0, MAX_BAKE_MINUTES, note=" (24 hours)")


def _check_alarm_names(names: tuple[str, ...]) -> None:
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise InvalidParameterError(
                "alarm_names",
                name,
                "CloudWatch alarm names (1 to 255 characters, not blank)",
                nearest=repr(name[:255]) if isinstance(name, str) and name.strip() else None,
            )


def _alarm_config(names: tuple[str, ...]) -> ecs.DeploymentAlarmConfig | None:
    if not names:
        return None
    return ecs.DeploymentAlarmConfig(
        alarm_names=list(names), behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
    )


def peak(count: int, factor: float) -> int:
    """Tasks at a deployment's peak: ``count`` x ``factor``, rounded up."""
    return math.ceil(count * factor - 1e-9)


@checked
@dataclass(frozen=True, kw_only=True)
class RollingDeployment:
    """Replace tasks in place, ``max_healthy_percent`` of the desired count at most running and
    ``min_healthy_percent`` at least healthy. The circuit breaker stops (and with ``rollback``
    reverts) a deployment whose tasks keep failing; alarms in ``alarm_names`` roll it back too.

    :param min_healthy_percent: 0 to 100 (default 100: capacity never drops during a deploy).
    :param max_healthy_percent: 100 to 400 and above ``min_healthy_percent`` (default 200).
    :param circuit_breaker: stop a deployment whose tasks fail to start (default True, with
        ECS's threshold); a :class:`CircuitBreaker` sets the threshold and whether a healthy
        task resets the count.
    :param rollback: roll back to the last working deployment when stopped (default True).
    :param alarm_names: CloudWatch alarms that roll the deployment back when they fire.
    :param use_service_alarms: also use the service's own 5xx and unhealthy-target alarms
        (where the service creates them) (default True).
    :param bake_time: how long ECS keeps watching alarms after the new tasks are up.
    :param early_success: :class:`EarlySuccess`: finish once a share of the new tasks is
        healthy (default None: ECS waits until the service is stable).
    """

    min_healthy_percent: int = 100
    max_healthy_percent: int = 200
    circuit_breaker: bool | CircuitBreaker = True
    rollback: bool = True
    alarm_names: tuple[str, ...] = ()
    use_service_alarms: bool = True
    bake_time: DurationLike | None = None
    early_success: EarlySuccess | None = None

    needs_alternate_target = False
    splits_traffic = False

    @classmethod
    def _door_nearest(cls, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        spelled = value.lower().replace("-", "").replace("_", "").replace(" ", "")
        for word, suggestion in (
            ("bluegreen", "BlueGreenDeployment()"),
            ("canary", "CanaryDeployment(percent=10)"),
            ("linear", "LinearDeployment(step_percent=10)"),
        ):
            if word in spelled:
                return suggestion
        return "RollingDeployment()"

    def __post_init__(self) -> None:
        normalize_durations(self, "bake_time")
        object.__setattr__(self, "alarm_names", tuple(self.alarm_names))
        if not 0 <= self.min_healthy_percent <= 100:
            raise InvalidParameterError(
                "min_healthy_percent",
                self.min_healthy_percent,
                "0 to 100",
                nearest=f"min_healthy_percent={min(max(self.min_healthy_percent, 0), 100)}",
            )
        if not 100 <= self.max_healthy_percent <= 400:
            raise InvalidParameterError(
                "max_healthy_percent",
                self.max_healthy_percent,
                "100 to 400 (below 100 a deployment would stop running tasks first)",
                nearest=f"max_healthy_percent={min(max(self.max_healthy_percent, 100), 400)}",
            )
        if self.max_healthy_percent <= self.min_healthy_percent:
            raise InvalidParameterError(
                "max_healthy_percent",
                self.max_healthy_percent,
                f"more than min_healthy_percent={self.min_healthy_percent}, or ECS can neither "
                "start a new task nor stop an old one and the deployment never starts",
                given=f"min_healthy_percent={self.min_healthy_percent}",
                nearest=f"max_healthy_percent={max(self.min_healthy_percent * 2, 200)}",
            )
        if self.rollback and not self.circuit_breaker:
            raise InvalidParameterError(
                "rollback",
                True,
                "False when circuit_breaker=False (rollback is the circuit breaker's action)",
                given="circuit_breaker=False",
                nearest="circuit_breaker=True, rollback=True",
            )
        _check_alarm_names(self.alarm_names)
        _check_minutes("bake_time", self.bake_time)
        if self.early_success is not None:
            self.early_success.check_minimum(self.min_healthy_percent)

    @property
    def strategy_name(self) -> str:
        return "rolling"

    def configure(self, service: ecs.FargateService) -> None:
        """Set what aws-cdk-lib's ``FargateService`` has no property for."""
        _configure_breaker(service, self.circuit_breaker, rollback=self.rollback)
        if self.early_success is not None:
            _cfn(service).add_property_override(
                "DeploymentConfiguration.EarlySuccessCriteria", self.early_success.cfn()
            )

    def check_task_counts(self, counts: Mapping[str, int]) -> None:
        """ECS rounds ``min_healthy_percent`` of the desired count up and
        ``max_healthy_percent`` down; at each count in ``counts`` (by the parameter that sets
        it) the deployment must be able to start a task above it or stop one below it, or it
        never takes a step."""
        for parameter, count in counts.items():
            if count <= 0:
                continue
            low = math.ceil(count * self.min_healthy_percent / 100)
            high = count * self.max_healthy_percent // 100
            if low < count or high > count:
                continue
            room = math.ceil((count + 1) * 100 / count)
            raise InvalidParameterError(
                "max_healthy_percent",
                self.max_healthy_percent,
                f"a maximum that lets ECS start one more task than {parameter}={count} "
                f"(ECS rounds {self.max_healthy_percent}% of {count} down to {high}, and "
                f"{self.min_healthy_percent}% up to {low}: it can neither start nor stop a "
                "task, and the deployment never takes a step)",
                given=f"{parameter}={count}, min_healthy_percent={self.min_healthy_percent}",
                nearest=(
                    f"max_healthy_percent={room}"
                    if room <= 400
                    else f"min_healthy_percent={(count - 1) * 100 // count}"
                ),
            )

    def peak_task_factor(self) -> float:
        """Tasks running at the peak of a deployment, as a multiple of the desired count."""
        return self.max_healthy_percent / 100

    def service_props(self, alarm_names: tuple[str, ...] = ()) -> dict[str, Any]:
        """``aws_ecs.FargateService`` keyword arguments for this deployment."""
        names = (*self.alarm_names, *alarm_names) if self.use_service_alarms else self.alarm_names
        return {
            "deployment_strategy": ecs.DeploymentStrategy.ROLLING,
            "min_healthy_percent": self.min_healthy_percent,
            "max_healthy_percent": self.max_healthy_percent,
            "circuit_breaker": (
                ecs.DeploymentCircuitBreaker(enable=True, rollback=self.rollback)
                if self.circuit_breaker
                else None
            ),
            "deployment_alarms": _alarm_config(tuple(dict.fromkeys(names))),
            "bake_time": _duration(self.bake_time),
        }


@dataclass(frozen=True, kw_only=True)
class _TrafficShiftingDeployment:
    """Shared settings of the deployments that start a full new ("green") set of tasks behind a
    second target group and shift the load balancer's traffic to it."""

    bake_time: DurationLike = timedelta(minutes=5)
    test_listener_port: int | None = None
    lifecycle_hooks: tuple[LifecycleHook | ecs.IDeploymentLifecycleHookTarget, ...] = field(
        default=()
    )
    alarm_names: tuple[str, ...] = ()
    use_service_alarms: bool = True
    circuit_breaker: bool | CircuitBreaker = True

    needs_alternate_target = True
    splits_traffic = False
    """Whether production traffic is split between blue and green for a while (canary,
    linear), so one client's requests may reach both."""

    def __post_init__(self) -> None:
        normalize_durations(self, "bake_time")
        object.__setattr__(self, "alarm_names", tuple(self.alarm_names))
        object.__setattr__(self, "lifecycle_hooks", tuple(self.lifecycle_hooks))
        _check_minutes("bake_time", self.bake_time)
        _check_alarm_names(self.alarm_names)
        port = self.test_listener_port
        if port is not None and not 1 <= port <= 65535:
            raise InvalidParameterError(
                "test_listener_port",
                port,
                "a TCP port from 1 to 65535 other than the production listener's, or None",
                nearest=f"test_listener_port={min(max(port, 1), 65535)}",
            )

    @property
    def strategy_name(self) -> str:
        return self._strategy().value.lower().replace("_", "/")

    def _strategy(self) -> ecs.DeploymentStrategy:
        raise NotImplementedError

    def check_task_counts(self, counts: Mapping[str, int]) -> None:
        """Any count deploys: ECS starts a full green set beside the blue one."""

    def configure(self, service: ecs.FargateService) -> None:
        """Set what aws-cdk-lib's ``FargateService`` has no property for: the breaker's
        threshold and every lifecycle hook (aws-cdk-lib's own targets rendered beside this
        library's, in the order given)."""
        _configure_breaker(service, self.circuit_breaker, rollback=True)
        if self.lifecycle_hooks:
            _cfn(service).add_property_override(
                "DeploymentConfiguration.LifecycleHooks",
                [_hook(hook).render(service) for hook in self.lifecycle_hooks],
            )

    def _shift_props(self) -> dict[str, Any]:
        return {}

    def peak_task_factor(self) -> float:
        # Blue and green run side by side at full size until the bake time ends.
        return 2.0

    def service_props(self, alarm_names: tuple[str, ...] = ()) -> dict[str, Any]:
        names = (*self.alarm_names, *alarm_names) if self.use_service_alarms else self.alarm_names
        return {
            "deployment_strategy": self._strategy(),
            # ECS starts the complete green set before shifting traffic.
            "min_healthy_percent": 100,
            "max_healthy_percent": 200,
            "circuit_breaker": (
                ecs.DeploymentCircuitBreaker(enable=True, rollback=True)
                if self.circuit_breaker
                else None
            ),
            "deployment_alarms": _alarm_config(tuple(dict.fromkeys(names))),
            "bake_time": _duration(self.bake_time),
            **self._shift_props(),
        }


@checked
@dataclass(frozen=True, kw_only=True)
class BlueGreenDeployment(_TrafficShiftingDeployment):
    """Start a full green set of tasks, optionally test it on ``test_listener_port``, switch all
    production traffic at once, keep blue for ``bake_time`` (default 5 minutes) so a rollback
    is instant. Needs a load balancer.

    :param bake_time: how long blue is kept after the switch, 0 to 1440 minutes.
    :param test_listener_port: a second listener on this port routes to green before the switch
        (reachable from inside the VPC only).
    :param lifecycle_hooks: :class:`PauseHook` (wait for a person, e.g. before production
        traffic), :class:`LambdaHook` (e.g. smoke tests against the test listener), or
        ``aws_ecs`` lifecycle hook targets.
    :param circuit_breaker: True (ECS's threshold), False, or a :class:`CircuitBreaker`.
    :param alarm_names: alarms that roll the deployment back while they fire.
    """

    def _strategy(self) -> ecs.DeploymentStrategy:
        return ecs.DeploymentStrategy.BLUE_GREEN


def _check_percent(parameter: str, value: float, low: float) -> None:
    tenths = value * 10
    if not low <= value <= 100 or abs(tenths - round(tenths)) > 1e-9:
        nearest = min(max(round(tenths) / 10, low), 100.0)
        raise InvalidParameterError(
            parameter,
            value,
            f"multiples of 0.1 from {low} to 100.0",
            nearest=f"{parameter}={nearest}",
        )


@checked
@dataclass(frozen=True, kw_only=True)
class CanaryDeployment(_TrafficShiftingDeployment):
    """Shift ``percent`` of production traffic to green, wait ``step_bake_time``, then shift
    the rest. Needs a load balancer.

    :param percent: 0.1 to 100.0 in steps of 0.1 (default 5.0).
    :param step_bake_time: time on the canary share, 0 to 1440 minutes (default 10).
    """

    percent: float = 5.0
    step_bake_time: DurationLike = timedelta(minutes=10)

    splits_traffic = True

    def __post_init__(self) -> None:
        normalize_durations(self, "step_bake_time")
        super().__post_init__()
        _check_percent("percent", self.percent, 0.1)
        _check_minutes("step_bake_time", self.step_bake_time)
        _check_rollout_length(self.bake_time, self.step_bake_time, steps=1, strategy="canary")

    def _strategy(self) -> ecs.DeploymentStrategy:
        return ecs.DeploymentStrategy.CANARY

    def _shift_props(self) -> dict[str, Any]:
        return {
            "canary_configuration": ecs.TrafficShiftConfig(
                step_percent=self.percent, step_bake_time=_duration(self.step_bake_time)
            )
        }


@checked
@dataclass(frozen=True, kw_only=True)
class LinearDeployment(_TrafficShiftingDeployment):
    """Shift production traffic to green in equal steps of ``step_percent``, waiting
    ``step_bake_time`` after each. Needs a load balancer.

    :param step_percent: 3.0 to 100.0 in steps of 0.1 (default 10.0).
    :param step_bake_time: wait after each step, 0 to 1440 minutes (default 6).
    """

    step_percent: float = 10.0
    step_bake_time: DurationLike = timedelta(minutes=6)

    splits_traffic = True

    def __post_init__(self) -> None:
        normalize_durations(self, "step_bake_time")
        super().__post_init__()
        _check_percent("step_percent", self.step_percent, 3.0)
        _check_minutes("step_bake_time", self.step_bake_time)
        _check_rollout_length(
            self.bake_time, self.step_bake_time, steps=self.steps, strategy="linear"
        )

    @property
    def steps(self) -> int:
        """Traffic shifts followed by a step bake, as CloudFormation counts them: 100 /
        ``step_percent`` - 1 when it divides evenly (no bake after the last shift), else the
        whole part of 100 / ``step_percent``."""
        tenths = round(self.step_percent * 10)
        return 1000 // tenths - 1 if 1000 % tenths == 0 else 1000 // tenths

    def _strategy(self) -> ecs.DeploymentStrategy:
        return ecs.DeploymentStrategy.LINEAR

    def _shift_props(self) -> dict[str, Any]:
        return {
            "linear_configuration": ecs.TrafficShiftConfig(
                step_percent=self.step_percent, step_bake_time=_duration(self.step_bake_time)
            )
        }


Deployment = RollingDeployment | BlueGreenDeployment | CanaryDeployment | LinearDeployment


def _check_rollout_length(
    bake_time: DurationLike, step_bake_time: DurationLike, *, steps: int, strategy: str
) -> None:
    bake = held(bake_time)
    step = held(step_bake_time)
    total = bake + step * steps
    if total <= MAX_CLOUDFORMATION_ROLLOUT:
        return
    room = (MAX_CLOUDFORMATION_ROLLOUT - bake) // steps
    formula = "bake_time + step_bake_time" + (f" x {steps} steps" if strategy == "linear" else "")
    raise InvalidParameterError(
        "step_bake_time",
        describe(step),
        f"a {strategy} rollout within 33 hours: CloudFormation refuses one whose {formula} "
        f"({describe(total)}) exceeds it",
        given=f"bake_time={describe(bake)}" + (f", {steps} steps" if strategy == "linear" else ""),
        nearest=f"step_bake_time=Duration.minutes({int(room.total_seconds() // 60)})",
    )


def _cfn(service: ecs.FargateService) -> ecs.CfnService:
    cfn = service.node.default_child
    assert isinstance(cfn, ecs.CfnService)
    return cfn


def _configure_breaker(
    service: ecs.FargateService, breaker: bool | CircuitBreaker, *, rollback: bool
) -> None:
    if isinstance(breaker, CircuitBreaker):
        _cfn(service).add_property_override(
            "DeploymentConfiguration.DeploymentCircuitBreaker", breaker.cfn(rollback=rollback)
        )


@dataclass(frozen=True)
class _CdkHook:
    """An ``aws_ecs`` lifecycle hook target as a :class:`LifecycleHook`."""

    target: ecs.IDeploymentLifecycleHookTarget

    @property
    def stages(self) -> tuple[LifecycleStage, ...]:
        return ()

    def render(self, service: ecs.FargateService) -> dict[str, Any]:
        return cdk_hook(self.target, service)


def _hook(given: LifecycleHook | ecs.IDeploymentLifecycleHookTarget) -> LifecycleHook:
    return given if isinstance(given, LifecycleHook) else _CdkHook(given)


def _duration(given: DurationLike | None) -> Duration | None:
    value = optional_held(given)
    if value is None:
        return None
    return Duration.minutes(int(value.total_seconds() // 60))
