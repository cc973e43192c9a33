"""Autoscaling for a service: target tracking, alarm-driven step scaling and schedules.

Frozen value objects that validate themselves; :meth:`AutoScaling.apply` turns them into an
Application Auto Scaling target and policies on an ``aws_ecs`` service.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta
from typing import Any

from aws_cdk import Duration, Names, TimeZone
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sqs as sqs

from .doors import checked
from .durations import DurationLike, check_seconds, held, normalize_durations, to_duration
from .errors import InvalidParameterError
from .schedules import check_schedule_expression
from .validation import check_int_range, check_time_zone, expect_interface

MAX_TASKS_PER_SERVICE = 5000


def _check_cooldown(parameter: str, value: DurationLike) -> None:
    check_seconds(parameter, held(value), 0, 3600)


@checked
@dataclass(frozen=True, kw_only=True)
class TargetTracking:
    """Keep a metric near a target by adding and removing tasks.

    :param cpu_percent: average CPU utilization to hold, 1 to 100.
    :param memory_percent: average memory utilization to hold, 1 to 100.
    :param requests_per_target: ALB requests per task to hold (needs a load balancer).
    :param scale_in_cooldown: wait after removing tasks (default 300 s: scale in slowly).
    :param scale_out_cooldown: wait after adding tasks (default 60 s: scale out fast).
    :param disable_scale_in: never remove tasks from these policies.
    """

    cpu_percent: int | None = None
    memory_percent: int | None = None
    requests_per_target: int | None = None
    scale_in_cooldown: DurationLike = timedelta(seconds=300)
    scale_out_cooldown: DurationLike = timedelta(seconds=60)
    disable_scale_in: bool = False

    def __post_init__(self) -> None:
        for name in ("cpu_percent", "memory_percent"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 100:
                raise InvalidParameterError(
                    name, value, "1 to 100 (percent)", nearest=f"{name}={min(max(value, 1), 100)}"
                )
        if self.requests_per_target is not None and self.requests_per_target < 1:
            raise InvalidParameterError(
                "requests_per_target",
                self.requests_per_target,
                "1 or more requests per task",
                nearest="requests_per_target=1",
            )
        if (self.cpu_percent, self.memory_percent, self.requests_per_target) == (None, None, None):
            raise InvalidParameterError(
                "cpu_percent, memory_percent, requests_per_target",
                None,
                "at least one target to track",
                nearest="cpu_percent=60",
            )
        normalize_durations(self, "scale_in_cooldown", "scale_out_cooldown")
        _check_cooldown("scale_in_cooldown", self.scale_in_cooldown)
        _check_cooldown("scale_out_cooldown", self.scale_out_cooldown)


@checked
@dataclass(frozen=True, kw_only=True)
class Step:
    """One band of a step policy: when the metric is in [``lower``, ``upper``), change the task
    count by ``change`` (negative removes tasks). ``None`` leaves a side open."""

    lower: float | None = None
    upper: float | None = None
    change: int = 1

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise InvalidParameterError(
                "step", self, "a band with a lower or an upper bound (or both)"
            )
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise InvalidParameterError(
                "step",
                self,
                "lower below upper",
                nearest=f"Step(lower={self.upper}, upper={self.lower}, change={self.change})",
            )


@checked
@dataclass(frozen=True)
class StepScaling:
    """Scale on any CloudWatch metric with alarms the construct creates: one alarm for the
    bands above the quiet band (scale out) and one for those below (scale in).

    ``StepScaling(queue.metric_approximate_number_of_messages_visible(), steps=(
    Step(upper=1, change=-1), Step(lower=100, upper=1000, change=+1), Step(lower=1000,
    change=+5)))`` scales a worker in while the queue is empty and out as it fills.

    :param metric: the metric (e.g. an SQS queue's visible messages or oldest message age).
    :param steps: 2 to 40 bands, ordered by ``lower``, not overlapping.
    :param cooldown: wait after a scaling action (default 60 s).
    :param evaluation_periods: periods the alarm must breach (default 1).
    :param name: construct id of the policy (default: ``StepScaling<n>``).
    """

    metric: cloudwatch.IMetric
    _: KW_ONLY
    steps: tuple[Step, ...]
    cooldown: DurationLike = timedelta(seconds=60)
    evaluation_periods: int = 1
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        _check_steps(self.steps)
        normalize_durations(self, "cooldown")
        _check_cooldown("cooldown", self.cooldown)
        if not 1 <= self.evaluation_periods <= 100:
            raise InvalidParameterError(
                "evaluation_periods",
                self.evaluation_periods,
                "1 to 100",
                nearest=f"evaluation_periods={min(max(self.evaluation_periods, 1), 100)}",
            )

    def scaling_intervals(self) -> list[appscaling.ScalingInterval]:
        return [
            appscaling.ScalingInterval(lower=step.lower, upper=step.upper, change=step.change)
            for step in self.steps
        ]


def _check_steps(steps: Sequence[Step]) -> None:
    if not 2 <= len(steps) <= 40:
        raise InvalidParameterError(
            "steps",
            len(steps),
            "2 to 40 bands (at least one to scale on, and the metric's other side)",
            nearest="steps=(Step(upper=1, change=-1), Step(lower=100, change=1))",
        )
    for before, after in itertools.pairwise(steps):
        before_lower = float("-inf") if before.lower is None else before.lower
        after_lower = float("-inf") if after.lower is None else after.lower
        before_upper = float("inf") if before.upper is None else before.upper
        if after_lower < before_lower:
            raise InvalidParameterError(
                "steps",
                [before, after],
                "bands ordered by their lower bound",
                nearest="sort the steps by lower",
            )
        if after_lower < before_upper:
            raise InvalidParameterError(
                "steps",
                [before, after],
                "bands that do not overlap (each lower at or above the previous upper)",
                nearest=f"Step(lower={before_upper}, ...) for the second band",
            )


BACKLOG_EXPRESSION = "IF(tasks > 0, messages / tasks, messages)"
WAKE_EXPRESSION = "IF(messages > 0 AND FILL(tasks, 0) < 1, 1, 0)"


@checked
@dataclass(frozen=True, kw_only=True)
class BacklogTracking:
    """Keep an SQS queue's backlog per task, visible messages / running tasks, near
    ``backlog_per_task`` (the target tracking AWS recommends for queue workers, as metric
    math). ``backlog_per_task`` = acceptable wait for a message / time to process one: 10 s
    per message and 100 s of acceptable latency give 10.

    Target tracking multiplies the running count, so it cannot start the first task: with
    ``min_capacity=0`` a step policy also starts one task when messages wait and none runs.
    The running count is Container Insights' ``RunningTaskCount`` (the cluster needs it).

    :param backlog_per_task: messages one task may have waiting (1 or more, default 10).
    :param queue: the queue (:class:`QueueWorker` sets its own).
    :param scale_in_cooldown: default 300 s. :param scale_out_cooldown: default 60 s.
    """

    backlog_per_task: int = 10
    queue: sqs.IQueue | None = None
    scale_in_cooldown: DurationLike = timedelta(seconds=300)
    scale_out_cooldown: DurationLike = timedelta(seconds=60)

    def __post_init__(self) -> None:
        check_int_range("backlog_per_task", self.backlog_per_task, 1, 1_000_000)
        if self.queue is not None:
            expect_interface("queue", self.queue, "queue_arn", "an sqs.IQueue")
        normalize_durations(self, "scale_in_cooldown", "scale_out_cooldown")
        _check_cooldown("scale_in_cooldown", self.scale_in_cooldown)
        _check_cooldown("scale_out_cooldown", self.scale_out_cooldown)

    def metrics(self, service: ecs.FargateService) -> dict[str, cloudwatch.Metric]:
        """The two inputs of the backlog expression, by their ids in it."""
        if self.queue is None:
            raise InvalidParameterError(
                "BacklogTracking.queue", None, "the queue to track (QueueWorker sets its own)"
            )
        minute = Duration.minutes(1)
        return {
            "messages": self.queue.metric_approximate_number_of_messages_visible(
                period=minute, statistic="Average"
            ),
            "tasks": cloudwatch.Metric(
                namespace="ECS/ContainerInsights",
                metric_name="RunningTaskCount",
                dimensions_map={
                    "ClusterName": service.cluster.cluster_name,
                    "ServiceName": service.service_name,
                },
                period=minute,
                statistic="Average",
            ),
        }

    def apply(
        self, scalable: ecs.ScalableTaskCount, service: ecs.FargateService, *, from_zero: bool
    ) -> None:
        metrics = self.metrics(service)
        target = scalable.node.find_child("Target")
        assert isinstance(target, appscaling.ScalableTarget)
        queries = [
            appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                id=metric_id,
                metric_stat=appscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty(
                    metric=appscaling.CfnScalingPolicy.TargetTrackingMetricProperty(
                        namespace=metric.namespace,
                        metric_name=metric.metric_name,
                        dimensions=[
                            appscaling.CfnScalingPolicy.TargetTrackingMetricDimensionProperty(
                                name=name, value=value
                            )
                            for name, value in (metric.dimensions or {}).items()
                        ],
                    ),
                    stat="Average",
                ),
                return_data=False,
            )
            for metric_id, metric in metrics.items()
        ]
        queries.append(
            appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                id="backlog",
                expression=BACKLOG_EXPRESSION,
                label="Backlog per task",
                return_data=True,
            )
        )
        appscaling.CfnScalingPolicy(
            scalable,
            "BacklogPerTask",
            policy_name=f"{Names.unique_id(scalable)}BacklogPerTask"[-256:],
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.scalable_target_id,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=self.backlog_per_task,
                customized_metric_specification=appscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
                    metrics=queries
                ),
                scale_in_cooldown=int(held(self.scale_in_cooldown).total_seconds()),
                scale_out_cooldown=int(held(self.scale_out_cooldown).total_seconds()),
            ),
        )
        if from_zero:
            scalable.scale_on_metric(
                "StartFromZero",
                metric=cloudwatch.MathExpression(
                    expression=WAKE_EXPRESSION,
                    using_metrics=dict(metrics),
                    label="Messages waiting and no task running",
                    period=Duration.minutes(1),
                ),
                scaling_steps=[
                    appscaling.ScalingInterval(upper=1, change=0),
                    appscaling.ScalingInterval(lower=1, change=1),
                ],
                adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
                cooldown=to_duration(self.scale_out_cooldown),
            )


@checked
@dataclass(frozen=True, kw_only=True)
class ScheduledScaling:
    """Set the capacity bounds on a schedule, e.g. more tasks in business hours.

    :param schedule: ``cron(M H DoM Mon DoW Y)``, ``rate(N unit)`` or ``at(yyyy-mm-ddThh:mm:ss)``
        as Application Auto Scaling accepts it, e.g. ``cron(0 8 ? * MON-FRI *)``.
    :param min_capacity: new minimum from then on.
    :param max_capacity: new maximum from then on.
    :param time_zone: IANA zone for cron/at expressions (default UTC), e.g. ``Europe/Berlin``.
    :param name: construct id (default ``Schedule<n>``).
    """

    schedule: str
    min_capacity: int | None = None
    max_capacity: int | None = None
    time_zone: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        check_schedule_expression("schedule", self.schedule)
        if self.time_zone is not None:
            check_time_zone("time_zone", self.time_zone)
        if self.min_capacity is None and self.max_capacity is None:
            raise InvalidParameterError(
                "ScheduledScaling",
                "neither min_capacity nor max_capacity",
                "at least one of them for the scheduled action to set",
                nearest="min_capacity=1",
            )
        if (
            self.min_capacity is not None
            and self.max_capacity is not None
            and self.min_capacity > self.max_capacity
        ):
            raise InvalidParameterError(
                "min_capacity",
                self.min_capacity,
                f"at most max_capacity={self.max_capacity}",
                nearest=f"min_capacity={self.max_capacity}",
            )


@checked
@dataclass(frozen=True, kw_only=True)
class AutoScaling:
    """The task count of a service between ``min_capacity`` and ``max_capacity``, moved by
    target tracking, step policies and schedules. With scaling on, deployments no longer set
    the task count (the service's ``DesiredCount`` is left out of the template).

    :param min_capacity: fewest tasks, 0 or more (0 lets a queue worker scale to zero).
    :param max_capacity: most tasks, 1 to 5000 (also what the subnet capacity check counts).
    """

    min_capacity: int
    max_capacity: int
    target_tracking: TargetTracking | None = None
    step_scaling: tuple[StepScaling, ...] = ()
    schedules: tuple[ScheduledScaling, ...] = ()
    backlog_tracking: BacklogTracking | None = None

    @classmethod
    def _door_nearest(cls, value: object) -> str | None:
        tracking = "TargetTracking(cpu_percent=60)"
        if type(value).__name__ in ("TargetTracking", "StepScaling", "BacklogTracking"):
            field = {"TargetTracking": "target_tracking", "StepScaling": "step_scaling",
                     "BacklogTracking": "backlog_tracking"}[type(value).__name__]  # fmt: skip
            held = f"{type(value).__name__}(...)"
            held = f"[{held}]" if field == "step_scaling" else held
            return f"AutoScaling(min_capacity=1, max_capacity=4, {field}={held})"
        return f"AutoScaling(min_capacity=1, max_capacity=4, target_tracking={tracking})"

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_scaling", tuple(self.step_scaling))
        object.__setattr__(self, "schedules", tuple(self.schedules))
        if self.min_capacity < 0:
            raise InvalidParameterError(
                "min_capacity", self.min_capacity, "0 or more", nearest="min_capacity=0"
            )
        if not 1 <= self.max_capacity <= MAX_TASKS_PER_SERVICE:
            raise InvalidParameterError(
                "max_capacity",
                self.max_capacity,
                f"1 to {MAX_TASKS_PER_SERVICE}",
                nearest=f"max_capacity={min(max(self.max_capacity, 1), MAX_TASKS_PER_SERVICE)}",
            )
        if self.min_capacity > self.max_capacity:
            raise InvalidParameterError(
                "min_capacity",
                self.min_capacity,
                f"at most max_capacity={self.max_capacity}",
                nearest=f"min_capacity={self.max_capacity}",
            )
        if (
            self.target_tracking is None
            and not self.step_scaling
            and not self.schedules
            and self.backlog_tracking is None
        ):
            raise InvalidParameterError(
                "AutoScaling",
                "no policy",
                "at least one way to scale: target_tracking=, step_scaling=, schedules= or "
                "backlog_tracking=",
                nearest="target_tracking=TargetTracking(cpu_percent=60)",
            )

    @property
    def needs_load_balancer(self) -> bool:
        return (
            self.target_tracking is not None
            and self.target_tracking.requests_per_target is not None
        )

    def apply(
        self,
        service: ecs.FargateService,
        target_group: elbv2.ApplicationTargetGroup | None,
    ) -> ecs.ScalableTaskCount:
        """Create the scalable target and every policy on ``service``."""
        scalable = service.auto_scale_task_count(
            min_capacity=self.min_capacity, max_capacity=self.max_capacity
        )
        tracking = self.target_tracking
        if tracking is not None:
            policies: list[tuple[str, Any, dict[str, Any]]] = []
            if tracking.cpu_percent is not None:
                policies.append(
                    (
                        "Cpu",
                        scalable.scale_on_cpu_utilization,
                        {"target_utilization_percent": tracking.cpu_percent},
                    )
                )
            if tracking.memory_percent is not None:
                policies.append(
                    (
                        "Memory",
                        scalable.scale_on_memory_utilization,
                        {"target_utilization_percent": tracking.memory_percent},
                    )
                )
            if tracking.requests_per_target is not None:
                assert target_group is not None
                policies.append(
                    (
                        "Requests",
                        scalable.scale_on_request_count,
                        {
                            "requests_per_target": tracking.requests_per_target,
                            "target_group": target_group,
                        },
                    )
                )
            for policy_id, add_policy, target in policies:
                add_policy(
                    policy_id,
                    disable_scale_in=tracking.disable_scale_in or None,
                    scale_in_cooldown=to_duration(tracking.scale_in_cooldown),
                    scale_out_cooldown=to_duration(tracking.scale_out_cooldown),
                    **target,
                )
        for index, step in enumerate(self.step_scaling, start=1):
            scalable.scale_on_metric(
                step.name or f"StepScaling{index}",
                metric=step.metric,
                scaling_steps=step.scaling_intervals(),
                adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
                cooldown=to_duration(step.cooldown),
                evaluation_periods=step.evaluation_periods,
            )
        for index, scheduled in enumerate(self.schedules, start=1):
            scalable.scale_on_schedule(
                scheduled.name or f"Schedule{index}",
                schedule=appscaling.Schedule.expression(scheduled.schedule),
                min_capacity=scheduled.min_capacity,
                max_capacity=scheduled.max_capacity,
                time_zone=TimeZone.of(scheduled.time_zone) if scheduled.time_zone else None,
            )
        if self.backlog_tracking is not None:
            self.backlog_tracking.apply(scalable, service, from_zero=self.min_capacity == 0)
        return scalable
