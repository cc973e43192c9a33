"""A service's alarms: with a load balancer one rollback alarm (target 5xx or unhealthy targets),
and, when someone is to be told, CPU and memory high and running tasks below desired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_cdk import Duration, Names
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from .compliance import ALARMS_WITHOUT_TOPIC, INFORMATIONAL_ALARMS_WITHOUT_TOPIC, acknowledge
from .dashboard import alarm_arn
from .doors import checked
from .durations import as_timedelta, describe
from .errors import InvalidParameterError

PERIOD = Duration.minutes(1)
HIGH_RESOLUTION_PERIOD = Duration.seconds(30)
DEFAULT_RESOLUTION = timedelta(seconds=60)
RESOLUTIONS = (timedelta(seconds=20), DEFAULT_RESOLUTION)
"""What ECS publishes service CPU and memory at (``Monitoring.MetricConfigurations``)."""


def metrics_resolution(given: Any) -> timedelta:
    """``metric_resolution`` checked: None is ECS's 60 seconds."""
    if given is None:
        return DEFAULT_RESOLUTION
    value = as_timedelta("metric_resolution", given)
    if value not in RESOLUTIONS:
        nearest = min(RESOLUTIONS, key=lambda choice: abs(choice - value))
        raise InvalidParameterError(
            "metric_resolution",
            describe(value),
            "20 or 60 seconds (the resolutions ECS publishes service metrics at)",
            nearest=f"metric_resolution=Duration.seconds({int(nearest.total_seconds())})",
        )
    return value


def configure_resolution(service: ecs.FargateService, resolution: timedelta) -> None:
    """Ask ECS for CPU and memory at ``resolution`` (aws-cdk-lib has no property for it)."""
    cfn = service.node.default_child
    assert isinstance(cfn, ecs.CfnService)
    cfn.add_property_override(
        "Monitoring",
        {
            "MetricConfigurations": [
                {
                    "MetricNames": ["CPUUtilization", "MemoryUtilization"],
                    "ResolutionSeconds": int(resolution.total_seconds()),
                }
            ]
        },
    )


@checked
@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """When the service's alarms fire (each over one-minute periods).

    :param cpu_percent: average CPU above this for ``sustained_minutes`` (default 90).
    :param memory_percent: average memory above this for ``sustained_minutes`` (default 90).
    :param target_5xx_per_minute: target 5xx responses per minute, 2 minutes running (default 10).
    :param unhealthy_targets: unhealthy targets, 2 minutes running (default 1).
    :param sustained_minutes: minutes CPU, memory and missing tasks must last (default 5).
    """

    cpu_percent: float = 90
    memory_percent: float = 90
    target_5xx_per_minute: int = 10
    unhealthy_targets: int = 1
    sustained_minutes: int = 5

    def __post_init__(self) -> None:
        for name in ("cpu_percent", "memory_percent"):
            value = getattr(self, name)
            if not 0 < value <= 100:
                raise InvalidParameterError(
                    name,
                    value,
                    "above 0 and at most 100",
                    nearest=f"{name}={min(max(value, 1), 100)}",
                )
        for name in ("target_5xx_per_minute", "unhealthy_targets", "sustained_minutes"):
            value = getattr(self, name)
            if value < 1:
                raise InvalidParameterError(name, value, "1 or more", nearest=f"{name}=1")


def alarm_name_prefix(scope: Construct) -> str:
    """A literal, unique alarm-name prefix derived from the construct path. Deployment alarms
    are named in the ECS service, and a literal name avoids a service <-> alarm reference
    cycle (the alarm's dimensions already reference the service)."""
    return Names.unique_resource_name(scope, max_length=200, separator="-")


@checked
class ServiceAlarms(Construct):
    """The alarms of one service.

    * :attr:`rollback` (with a load balancer): one alarm over target 5xx responses and unhealthy
      targets (summed over blue and green), in ALARM when either crosses its threshold two
      minutes running. Deployments roll back on it; it notifies ``topic`` if given.
    * :attr:`cpu_high`, :attr:`memory_high`, :attr:`running_tasks_low` (the last with Container
      Insights): they only inform, so they exist when there is someone to inform (``topic``)
      or when asked (``informational=True``), and then notify ``topic``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        service: ecs.FargateService,
        cluster: ecs.ICluster,
        name_prefix: str,
        thresholds: AlarmThresholds,
        container_insights: bool,
        target_groups: tuple[elbv2.ApplicationTargetGroup, ...],
        topic: sns.ITopic | None,
        informational: bool | None = None,
        resolution: timedelta = DEFAULT_RESOLUTION,
    ) -> None:
        super().__init__(scope, id)
        self._prefix = name_prefix
        sustained = thresholds.sustained_minutes
        # With 20-second metrics the CPU and memory alarms evaluate 30-second periods (one or
        # two data points each): aws-cdk-lib and cfn-lint 1.58 accept 10, 30 and multiples of
        # 60 seconds, not the 20 that CloudFormation's schema text lists.
        high_resolution = resolution != DEFAULT_RESOLUTION
        usage_period = HIGH_RESOLUTION_PERIOD if high_resolution else PERIOD
        usage_periods = sustained * (2 if high_resolution else 1)
        self.cpu_high: cloudwatch.Alarm | None = None
        self.memory_high: cloudwatch.Alarm | None = None
        self.running_tasks_low: cloudwatch.Alarm | None = None
        if topic is not None if informational is None else informational:
            self.cpu_high = self._alarm(
                "CpuHigh",
                service.metric_cpu_utilization(period=usage_period),
                threshold=thresholds.cpu_percent,
                periods=usage_periods,
                description=f"CPU above {thresholds.cpu_percent}% for {sustained} minutes",
            )
            self.memory_high = self._alarm(
                "MemoryHigh",
                service.metric_memory_utilization(period=usage_period),
                threshold=thresholds.memory_percent,
                periods=usage_periods,
                description=f"Memory above {thresholds.memory_percent}% for {sustained} minutes",
            )
            if container_insights:
                self.running_tasks_low = self._alarm(
                    "RunningTasksLow",
                    _missing_tasks(service, cluster),
                    threshold=1,
                    periods=sustained,
                    description=f"Fewer tasks running than desired for {sustained} minutes",
                )
        self.rollback: cloudwatch.Alarm | None = None
        if target_groups:
            self.rollback = self._alarm(
                "Rollback",
                _rollback_signal(target_groups, thresholds),
                threshold=1,
                periods=2,
                description=(
                    f"At least {thresholds.target_5xx_per_minute} target 5xx responses a minute "
                    f"or {thresholds.unhealthy_targets} unhealthy targets, two minutes running"
                ),
            )
        for alarm in self.all:
            if topic is not None:
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
                alarm.add_ok_action(cloudwatch_actions.SnsAction(topic))
            elif alarm is self.rollback:
                acknowledge(alarm, ALARMS_WITHOUT_TOPIC)
            else:
                acknowledge(alarm, INFORMATIONAL_ALARMS_WITHOUT_TOPIC)

    def _alarm(
        self,
        kind: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        periods: int,
        description: str,
    ) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            kind,
            alarm_name=self.name_of(kind),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def name_of(self, kind: str) -> str:
        return f"{self._prefix}-{kind}"

    def arn_of(self, kind: str) -> str:
        """The ARN of the alarm of ``kind``, built from its literal name: a dashboard that
        shows it then needs no reference to the alarm resource."""
        return alarm_arn(self.name_of(kind))

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        alarms = [self.cpu_high, self.memory_high, self.running_tasks_low, self.rollback]
        return [alarm for alarm in alarms if alarm is not None]

    @staticmethod
    def rollback_kinds(has_load_balancer: bool) -> tuple[str, ...]:
        """Kinds a rolling deployment uses for rollback by default."""
        return ("Rollback",) if has_load_balancer else ()


def _rollback_signal(
    target_groups: tuple[elbv2.ApplicationTargetGroup, ...], thresholds: AlarmThresholds
) -> cloudwatch.IMetric:
    """1 in a minute with too many 5xx or unhealthy targets (over every target group), else 0:
    one alarm instead of two, as CloudWatch metric math allows."""
    metrics: dict[str, cloudwatch.IMetric] = {}
    errors, unhealthy = [], []
    for index, group in enumerate(target_groups):
        group_metrics = group.metrics
        metrics[f"e{index}"] = group_metrics.http_code_target(
            elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=PERIOD, statistic="Sum"
        )
        metrics[f"u{index}"] = group_metrics.unhealthy_host_count(
            period=PERIOD, statistic="Maximum"
        )
        errors.append(f"FILL(e{index}, 0)")
        unhealthy.append(f"FILL(u{index}, 0)")
    expression = (
        f"IF(({' + '.join(errors)}) >= {thresholds.target_5xx_per_minute} OR "
        f"({' + '.join(unhealthy)}) >= {thresholds.unhealthy_targets}, 1, 0)"
    )
    return cloudwatch.MathExpression(
        expression=expression, using_metrics=metrics, label="Rollback signal", period=PERIOD
    )


def _missing_tasks(service: ecs.FargateService, cluster: ecs.ICluster) -> cloudwatch.IMetric:
    """Desired minus running tasks, from Container Insights."""

    def insight(name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name=name,
            dimensions_map={
                "ClusterName": cluster.cluster_name,
                "ServiceName": service.service_name,
            },
            statistic="Average",
            period=PERIOD,
        )

    return cloudwatch.MathExpression(
        expression="desired - running",
        using_metrics={
            "desired": insight("DesiredTaskCount"),
            "running": insight("RunningTaskCount"),
        },
        label="Tasks missing",
        period=PERIOD,
    )
