"""The 2026 controls of an ECS deployment that aws-cdk-lib's L2 does not expose: circuit-breaker
thresholds, early success for rolling deployments, and lifecycle hooks that invoke a Lambda
function or pause for a person, with timeouts.

Each value object checks itself against the ``AWS::ECS::Service`` schema and ECS's documented
rules, and renders the CloudFormation it stands for (spelled as the schema spells it). A
deployment calls :meth:`LifecycleHook.render` for each hook; it never asks which kind a hook is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aws_cdk import aws_iam as iam

from .doors import checked
from .durations import DurationLike, check_minutes, held, normalize_durations
from .errors import InvalidParameterError
from .roles import ManagedPolicyRole

if TYPE_CHECKING:
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_lambda as lambda_

MAX_FAILED_TASKS = 200
"""The largest count threshold offered: ECS's own bounded threshold never exceeds 200."""

MAX_HOOK_MINUTES = 20160
"""``TimeoutConfiguration.TimeoutInMinutes``: 1 to 20160 (14 days)."""


class ThresholdType(StrEnum):
    """How ECS reads a circuit breaker's threshold value."""

    COUNT = "COUNT"
    BOUNDED_PERCENT = "BOUNDED_PERCENT"
    UNBOUNDED_PERCENT = "UNBOUNDED_PERCENT"


@checked
@dataclass(frozen=True, kw_only=True)
class CircuitBreaker:
    """When ECS stops a deployment whose tasks keep failing to start or to become healthy.

    Give at most one of ``failed_tasks`` and ``failed_percent``; neither keeps ECS's default
    (``BOUNDED_PERCENT`` 50: half the desired count, clamped to 3..200 failures, so a 2-task
    service fails a deployment only after 3 failed tasks).

    :param failed_tasks: stop after this many failed tasks (``COUNT``), 1 to 200. For a small
        service ``failed_tasks=2`` stops a broken image after two failures instead of three.
    :param failed_percent: stop after this percent of the desired count has failed, 1 to 100;
        ``bounded=True`` keeps ECS's 3..200 clamp (``BOUNDED_PERCENT``), ``bounded=False``
        drops it (``UNBOUNDED_PERCENT``: a 2-task service at 50% stops after one failure).
    :param bounded: see ``failed_percent`` (default True).
    :param reset_on_healthy_task: a task that becomes healthy resets the failure count to 0
        (ECS's default, True); False counts every failure of the deployment.
    """

    failed_tasks: int | None = None
    failed_percent: int | None = None
    bounded: bool = True
    reset_on_healthy_task: bool = True

    def __post_init__(self) -> None:
        if self.failed_tasks is not None and self.failed_percent is not None:
            raise InvalidParameterError(
                "failed_tasks",
                self.failed_tasks,
                "either failed_tasks (a count) or failed_percent (of the desired count), not "
                "both: ECS takes one threshold",
                given=f"failed_percent={self.failed_percent}",
                nearest=f"CircuitBreaker(failed_tasks={self.failed_tasks})",
            )
        if self.failed_tasks is not None and not 1 <= self.failed_tasks <= MAX_FAILED_TASKS:
            raise InvalidParameterError(
                "failed_tasks",
                self.failed_tasks,
                f"1 to {MAX_FAILED_TASKS} failed tasks",
                nearest=f"failed_tasks={min(max(self.failed_tasks, 1), MAX_FAILED_TASKS)}",
            )
        if self.failed_percent is not None and not 1 <= self.failed_percent <= 100:
            raise InvalidParameterError(
                "failed_percent",
                self.failed_percent,
                "1 to 100 percent of the desired count",
                nearest=f"failed_percent={min(max(self.failed_percent, 1), 100)}",
            )
        if self.failed_tasks is not None and not self.bounded:
            raise InvalidParameterError(
                "bounded",
                False,
                "True with failed_tasks (bounded applies to failed_percent only)",
                given=f"failed_tasks={self.failed_tasks}",
                nearest=f"CircuitBreaker(failed_tasks={self.failed_tasks})",
            )

    def cfn(self, *, rollback: bool) -> dict[str, Any]:
        """``DeploymentConfiguration.DeploymentCircuitBreaker``."""
        rendered: dict[str, Any] = {
            "Enable": True,
            "Rollback": rollback,
            "ResetOnHealthyTask": self.reset_on_healthy_task,
        }
        if self.failed_tasks is not None:
            rendered["ThresholdConfiguration"] = {
                "Type": ThresholdType.COUNT.value,
                "Value": self.failed_tasks,
            }
        elif self.failed_percent is not None:
            kind = (
                ThresholdType.BOUNDED_PERCENT if self.bounded else ThresholdType.UNBOUNDED_PERCENT
            )
            rendered["ThresholdConfiguration"] = {"Type": kind.value, "Value": self.failed_percent}
        return rendered


class RevisionCleanup(StrEnum):
    """When an early-successful rolling deployment stops the old revision's tasks."""

    BLOCKING = "BLOCKING"
    """Stop them before the deployment is marked successful."""
    DEFERRED = "DEFERRED"
    """Mark the deployment successful, then stop them in the background."""


@checked
@dataclass(frozen=True, kw_only=True)
class EarlySuccess:
    """Finish a rolling deployment once ``healthy_percent`` of the desired count runs the new
    revision healthily (after the bake time), instead of waiting for the service to stabilise;
    ECS keeps scaling the new revision to 100% in the background.

    :param healthy_percent: 0 to 100, at least the deployment's ``min_healthy_percent``
        (ECS's rule).
    :param cleanup: :attr:`RevisionCleanup.BLOCKING` (default: the old tasks are gone when
        the deployment reports success, so the next deployment never overlaps them) or
        :attr:`RevisionCleanup.DEFERRED`.
    """

    healthy_percent: int
    cleanup: RevisionCleanup = RevisionCleanup.BLOCKING

    def __post_init__(self) -> None:
        object.__setattr__(self, "cleanup", RevisionCleanup(self.cleanup))
        if not 0 <= self.healthy_percent <= 100:
            raise InvalidParameterError(
                "healthy_percent",
                self.healthy_percent,
                "0 to 100",
                nearest=f"healthy_percent={min(max(self.healthy_percent, 0), 100)}",
            )

    def check_minimum(self, min_healthy_percent: int) -> None:
        if self.healthy_percent < min_healthy_percent:
            raise InvalidParameterError(
                "early_success.healthy_percent",
                self.healthy_percent,
                f"at least min_healthy_percent={min_healthy_percent} (ECS refuses a lower one)",
                given=f"min_healthy_percent={min_healthy_percent}",
                nearest=f"EarlySuccess(healthy_percent={min_healthy_percent})",
            )

    def cfn(self) -> dict[str, Any]:
        """``DeploymentConfiguration.EarlySuccessCriteria``."""
        return {
            "Enable": True,
            "HealthyPercent": self.healthy_percent,
            "SourceServiceRevisionCleanup": self.cleanup.value,
        }


class LifecycleStage(StrEnum):
    """Where in a blue/green, canary or linear deployment a hook runs (ECS's stage names)."""

    RECONCILE_SERVICE = "RECONCILE_SERVICE"
    PRE_SCALE_UP = "PRE_SCALE_UP"
    POST_SCALE_UP = "POST_SCALE_UP"
    TEST_TRAFFIC_SHIFT = "TEST_TRAFFIC_SHIFT"
    POST_TEST_TRAFFIC_SHIFT = "POST_TEST_TRAFFIC_SHIFT"
    PRE_PRODUCTION_TRAFFIC_SHIFT = "PRE_PRODUCTION_TRAFFIC_SHIFT"
    """Before production traffic moves; for canary and linear, before every step."""
    PRODUCTION_TRAFFIC_SHIFT = "PRODUCTION_TRAFFIC_SHIFT"
    POST_PRODUCTION_TRAFFIC_SHIFT = "POST_PRODUCTION_TRAFFIC_SHIFT"


PAUSE_REFUSED_STAGES = frozenset(
    {LifecycleStage.TEST_TRAFFIC_SHIFT, LifecycleStage.PRODUCTION_TRAFFIC_SHIFT}
)
"""ECS runs only Lambda hooks while traffic is moving; a pause there is refused."""


class TimeoutAction(StrEnum):
    """What ECS does when a hook has not answered within its timeout."""

    ROLLBACK = "ROLLBACK"
    CONTINUE = "CONTINUE"


@runtime_checkable
class LifecycleHook(Protocol):
    """A deployment lifecycle hook: renders one ``DeploymentLifecycleHook`` for ``service``
    (making what it needs there, e.g. the role ECS assumes to invoke a function)."""

    @property
    def stages(self) -> tuple[LifecycleStage, ...]: ...

    def render(self, service: ecs.FargateService) -> dict[str, Any]: ...


def _stages(given: Sequence[LifecycleStage | str], *, pause: bool) -> tuple[LifecycleStage, ...]:
    if isinstance(given, str | LifecycleStage):
        given = [given]
    stages: list[LifecycleStage] = []
    for stage in given:
        try:
            stages.append(LifecycleStage(stage))
        except ValueError:
            raise InvalidParameterError(
                "stages",
                stage,
                "LifecycleStage members: " + ", ".join(s.value for s in LifecycleStage),
                nearest="stages=[LifecycleStage.PRE_PRODUCTION_TRAFFIC_SHIFT]",
            ) from None
    if not stages:
        raise InvalidParameterError(
            "stages",
            [],
            "at least one LifecycleStage",
            nearest="stages=[LifecycleStage.PRE_PRODUCTION_TRAFFIC_SHIFT]",
        )
    refused = [stage for stage in stages if stage in PAUSE_REFUSED_STAGES] if pause else []
    if refused:
        raise InvalidParameterError(
            "stages",
            refused[0].value,
            "for a PauseHook any stage but TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT "
            "(ECS runs only Lambda hooks while traffic moves)",
            nearest=(
                "LifecycleStage.POST_TEST_TRAFFIC_SHIFT"
                if refused[0] is LifecycleStage.TEST_TRAFFIC_SHIFT
                else "LifecycleStage.PRE_PRODUCTION_TRAFFIC_SHIFT"
            ),
        )
    return tuple(dict.fromkeys(stages))


def _check_timeout(value: timedelta) -> None:
    check_minutes("timeout", value, 1, MAX_HOOK_MINUTES, note=" (14 days)")


def _timeout_cfn(timeout: DurationLike, action: TimeoutAction) -> dict[str, Any]:
    return {
        "TimeoutInMinutes": int(held(timeout).total_seconds() // 60),
        "Action": action.value,
    }


@checked
@dataclass(frozen=True, kw_only=True)
class PauseHook:
    """Pause the deployment at ``stages`` until someone calls ``aws ecs
    continue-service-deployment --hook-id <id> --action CONTINUE`` (or ``ROLLBACK``), or until
    ``timeout`` passes and ECS takes ``on_timeout``.

    :param stages: where to pause; not ``TEST_TRAFFIC_SHIFT`` or ``PRODUCTION_TRAFFIC_SHIFT``.
        Default: ``PRE_PRODUCTION_TRAFFIC_SHIFT`` (green is up and reachable on the test
        listener, no production traffic has moved; for canary and linear, before every step).
    :param timeout: 1 minute to 14 days (default 1 hour: an unanswered pause ends, and a
        CloudFormation update does not wait its 36 hours).
    :param on_timeout: :attr:`TimeoutAction.ROLLBACK` (default: nobody looked, nothing ships)
        or :attr:`TimeoutAction.CONTINUE`.
    """

    stages: Sequence[LifecycleStage] = (LifecycleStage.PRE_PRODUCTION_TRAFFIC_SHIFT,)
    timeout: DurationLike = timedelta(hours=1)
    on_timeout: TimeoutAction = TimeoutAction.ROLLBACK

    def __post_init__(self) -> None:
        normalize_durations(self, "timeout")
        object.__setattr__(self, "stages", _stages(self.stages, pause=True))
        object.__setattr__(self, "on_timeout", TimeoutAction(self.on_timeout))
        _check_timeout(held(self.timeout))

    def render(self, service: ecs.FargateService) -> dict[str, Any]:
        return {
            "TargetType": "PAUSE",
            "LifecycleStages": [stage.value for stage in self.stages],
            "TimeoutConfiguration": _timeout_cfn(self.timeout, self.on_timeout),
        }


@checked
@dataclass(frozen=True, kw_only=True)
class LambdaHook:
    """Invoke ``function`` at ``stages``; it answers ``{"hookStatus": "SUCCEEDED" | "FAILED" |
    "IN_PROGRESS"}`` (FAILED rolls the deployment back, IN_PROGRESS asks to be called again).
    ECS assumes a role made for it that may invoke exactly this function.

    :param function: the Lambda function.
    :param stages: where to run it (any :class:`LifecycleStage`).
    :param details: JSON-able settings passed to every invocation (``HookDetails``).
    :param timeout: 1 minute to 14 days; None leaves ECS's default.
    :param on_timeout: what ECS does when ``timeout`` passes (default ROLLBACK).
    """

    function: lambda_.IFunction
    stages: Sequence[LifecycleStage]
    details: Mapping[str, object] | None = None
    timeout: DurationLike | None = None
    on_timeout: TimeoutAction = TimeoutAction.ROLLBACK

    def __post_init__(self) -> None:
        normalize_durations(self, "timeout")
        object.__setattr__(self, "stages", _stages(self.stages, pause=False))
        object.__setattr__(self, "on_timeout", TimeoutAction(self.on_timeout))
        if self.timeout is not None:
            _check_timeout(held(self.timeout))
        if self.details is not None:
            try:
                json.dumps(self.details)
            except (TypeError, ValueError):
                raise InvalidParameterError(
                    "details",
                    self.details,
                    "a JSON object (strings, numbers, booleans, lists and mappings)",
                ) from None

    def render(self, service: ecs.FargateService) -> dict[str, Any]:
        role = _invoke_role(service, self.function)
        rendered: dict[str, Any] = {
            "TargetType": "AWS_LAMBDA",
            "HookTargetArn": self.function.function_arn,
            "RoleArn": role.role_arn,
            "LifecycleStages": [stage.value for stage in self.stages],
        }
        if self.details is not None:
            rendered["HookDetails"] = dict(self.details)
        if self.timeout is not None:
            rendered["TimeoutConfiguration"] = _timeout_cfn(self.timeout, self.on_timeout)
        return rendered


def _invoke_role(service: ecs.FargateService, function: lambda_.IFunction) -> iam.IRole:
    """One role per function and service, trusted by ECS, allowed ``lambda:InvokeFunction`` on
    exactly the function (aws-cdk-lib's own target also grants every version and alias)."""
    role_id = f"HookRole{function.node.id}"
    existing = service.node.try_find_child(role_id)
    if isinstance(existing, ManagedPolicyRole):
        return existing
    role = ManagedPolicyRole(
        service,
        role_id,
        assumed_by=iam.ServicePrincipal("ecs.amazonaws.com"),
        description="ECS invokes a deployment lifecycle hook",
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
    )
    return role


def cdk_hook(
    target: ecs.IDeploymentLifecycleHookTarget, service: ecs.FargateService
) -> dict[str, Any]:
    """An ``aws_ecs`` lifecycle hook target rendered as aws-cdk-lib renders it, so it can stand
    beside this library's hooks in one ``LifecycleHooks`` list."""
    config = target.bind(service)
    rendered: dict[str, Any] = {
        "HookTargetArn": config.target_arn,
        "LifecycleStages": [str(stage.value) for stage in config.lifecycle_stages],
    }
    if config.role is not None:
        rendered["RoleArn"] = config.role.role_arn
    return rendered
