"""FargateService: a long-running service composed from a task, a deployment strategy, an
optional load balancer and a capacity strategy. Each concern lives in its own module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import jsii
from aws_cdk import CfnResource, Duration, Stack, Stage, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from .alarms import AlarmThresholds, ServiceAlarms, alarm_name_prefix
from .capacity import Capacity
from .checks.subnet_capacity import peak
from .cluster import NetworkedCluster
from .compliance import (
    ECS_LOAD_BALANCER_ROLE,
    REDUNDANT_DEPENDS_ON,
    acknowledge,
    ignore_lint_check,
)
from .deployment import Deployment, RollingDeployment
from .errors import InvalidParameterError
from .load_balancer import LoadBalancer, Route, SharedLoadBalancer, TargetHealth
from .scaling import AutoScaling
from .task import FargateTaskWithRoles
from .volumes import EFS_PORT

DEFAULT_DESIRED_COUNT = 2
DEFAULT_GRACE_PERIOD = timedelta(seconds=15)
MAX_GRACE_PERIOD = timedelta(seconds=2_147_483_647)
ECS_LOAD_BALANCER_POLICY = "service-role/AmazonECSInfrastructureRolePolicyForLoadBalancers"


@dataclass(frozen=True)
class LoadBalancerAttachment:
    """What a service's load balancer consists of, for users who reach past the construct."""

    shared: SharedLoadBalancer
    target_group: elbv2.ApplicationTargetGroup
    listener_rule: elbv2.ApplicationListenerRule
    health: TargetHealth
    green_target_group: elbv2.ApplicationTargetGroup | None = None
    test_listener_rule: elbv2.ApplicationListenerRule | None = None


@jsii.implements(ec2.IConnectable)
class FargateService(Construct):
    """A long-running Fargate service in ``cluster``'s private subnets (no public IP).

    :param cluster: the :class:`NetworkedCluster` to run in.
    :param task: the :class:`FargateTaskWithRoles` to run.
    :param desired_count: tasks to run without autoscaling (default 2).
    :param deployment: :class:`RollingDeployment` (default: circuit breaker with rollback,
        100/200 percent) or :class:`BlueGreenDeployment`, :class:`CanaryDeployment`,
        :class:`LinearDeployment` (these need a load balancer).
    :param load_balancer: a :class:`LoadBalancer` of its own, or a
        :meth:`SharedLoadBalancer.route`; the task needs a ``container_port``.
    :param capacity: FARGATE/FARGATE_SPOT strategy (default: all on demand).
    :param scaling: :class:`AutoScaling` between a minimum and maximum task count; then
        ``desired_count`` must stay None (deploys keep the running count).
    :param service_alarms: create the service's alarms (:attr:`alarms`: CPU, memory, running
        tasks, and with a load balancer unhealthy targets and 5xx, the last two used for
        rollback by default) (default True; 5 CloudWatch alarms).
    :param alarm_thresholds: when the service's alarms fire.
    :param alarm_topic: SNS topic the alarms notify (they roll deployments back either way).
    :param health_check_grace_period: how long ECS ignores failing load balancer health checks
        of a new task (default 15 s; only with a load balancer).
    :param service_name: physical name (default: generated).
    :param target_container: the container the load balancer sends traffic to (default: the
        task's main container).
    :param target_port: that container's port (default: its first port).

    Attributes (the L2 objects): :attr:`service`, :attr:`security_group`,
    :attr:`target_group`, :attr:`load_balancer`, :attr:`listener`, :attr:`attachment`,
    :attr:`alarms`, :attr:`scalable_task_count`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        task: FargateTaskWithRoles,
        desired_count: int | None = None,
        deployment: Deployment | None = None,
        load_balancer: LoadBalancer | Route | None = None,
        capacity: Capacity | None = None,
        scaling: AutoScaling | None = None,
        service_alarms: bool = True,
        alarm_thresholds: AlarmThresholds | None = None,
        alarm_topic: sns.ITopic | None = None,
        health_check_grace_period: timedelta = DEFAULT_GRACE_PERIOD,
        service_name: str | None = None,
        target_container: str | None = None,
        target_port: int | None = None,
    ) -> None:
        deployment = deployment or RollingDeployment()
        capacity = capacity or Capacity()
        _check_inputs(
            scope,
            cluster,
            task,
            desired_count,
            deployment,
            load_balancer,
            capacity,
            health_check_grace_period,
        )
        _check_scaling(scaling, desired_count, load_balancer)
        self.target: tuple[str, int] | None = (
            task.target(target_container, target_port, requested_by=type(load_balancer).__name__)
            if load_balancer is not None
            else None
        )
        if load_balancer is None and (target_container or target_port) is not None:
            raise InvalidParameterError(
                "target_container" if target_container is not None else "target_port",
                target_container if target_container is not None else target_port,
                "None for a service without a load balancer",
                given="load_balancer=None",
            )
        _check_file_systems(task, cluster)
        super().__init__(scope, id)
        self.cluster = cluster
        self.task = task
        self.deployment = deployment
        self.capacity = capacity
        self.scaling = scaling
        self.desired_count = DEFAULT_DESIRED_COUNT if desired_count is None else desired_count
        alarm_prefix = alarm_name_prefix(self)
        rollback_alarms = tuple(
            f"{alarm_prefix}-{kind}"
            for kind in ServiceAlarms.rollback_kinds(load_balancer is not None)
            if service_alarms
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            description="Service tasks: in from the load balancer only",
            allow_all_outbound=True,
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster.cluster,
            task_definition=task.task_definition,
            # With scaling on, DesiredCount is left out so a deploy keeps the running count.
            desired_count=None if scaling is not None else self.desired_count,
            assign_public_ip=False,
            vpc_subnets=cluster.task_subnets,
            security_groups=[self.security_group],
            capacity_provider_strategies=capacity.strategies(),
            health_check_grace_period=(
                Duration.seconds(health_check_grace_period.total_seconds())
                if load_balancer is not None
                else None
            ),
            service_name=service_name,
            enable_execute_command=task.enable_exec or None,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
            **deployment.service_props(rollback_alarms),
        )
        # The capacity providers must be associated with the cluster before the service uses them.
        self.service.node.add_dependency(cluster.capacity_providers)
        for volume in task.efs_volumes:
            volume.file_system.connections.allow_from(
                self.security_group, ec2.Port.tcp(EFS_PORT), "NFS from the service's tasks"
            )

        self.attachment: LoadBalancerAttachment | None = None
        if load_balancer is not None:
            self.attachment = self._attach(load_balancer)

        self.alarms: ServiceAlarms | None = None
        if service_alarms:
            self.alarms = ServiceAlarms(
                self,
                "Alarms",
                service=self.service,
                cluster=cluster.cluster,
                name_prefix=alarm_prefix,
                thresholds=alarm_thresholds or AlarmThresholds(),
                container_insights=cluster.container_insights,
                target_groups=self._target_groups(),
                topic=alarm_topic,
            )
        self.scalable_task_count: ecs.ScalableTaskCount | None = None
        if scaling is not None:
            self.scalable_task_count = scaling.apply(self.service, self.target_group)
        cluster.services.append(self)

    @property
    def peak_tasks(self) -> int:
        """Most tasks this service may run at once: at the peak of a deployment at its largest."""
        return peak(self._peak_base, self.deployment.peak_task_factor())

    @property
    def peak_explained(self) -> str:
        base = "max_capacity" if self.scaling is not None else "desired_count"
        return (
            f"{self.node.path}: {base} {self._peak_base} x "
            f"{self.deployment.peak_task_factor() * 100:g}% during a "
            f"{self.deployment.strategy_name} deployment = {self.peak_tasks}"
        )

    @property
    def _peak_base(self) -> int:
        return self.scaling.max_capacity if self.scaling is not None else self.desired_count

    def _target_groups(self) -> tuple[elbv2.ApplicationTargetGroup, ...]:
        if self.attachment is None:
            return ()
        groups = [self.attachment.target_group, self.attachment.green_target_group]
        return tuple(group for group in groups if group is not None)

    @property
    def connections(self) -> ec2.Connections:
        return self.service.connections

    @property
    def load_balancer(self) -> elbv2.ApplicationLoadBalancer | None:
        return self.attachment.shared.load_balancer if self.attachment else None

    @property
    def listener(self) -> elbv2.ApplicationListener | None:
        return self.attachment.shared.listener if self.attachment else None

    @property
    def target_group(self) -> elbv2.ApplicationTargetGroup | None:
        return self.attachment.target_group if self.attachment else None

    def _attach(self, load_balancer: LoadBalancer | Route) -> LoadBalancerAttachment:
        if isinstance(load_balancer, LoadBalancer):
            shared = SharedLoadBalancer(
                self,
                "LoadBalancer",
                cluster=self.cluster,
                **load_balancer.listener_settings().as_kwargs(),
            )
            route = Route(
                shared, priority=1, path_patterns=("/*",), health=load_balancer.target_health()
            )
        else:
            route = load_balancer
            shared = route.load_balancer
        shared.claim_priority(route.priority, self.node.path)
        assert self.target is not None
        container_name, port = self.target

        blue = self._target_group("TargetGroup", port, route.health)
        green = None
        if self.deployment.needs_alternate_target:
            green = self._target_group("GreenTargetGroup", port, route.health)
        action = _forward(blue, green)
        rule = elbv2.ApplicationListenerRule(
            self,
            "ListenerRule",
            listener=shared.listener,
            priority=route.priority,
            conditions=route.conditions(),
            action=action,
        )
        test_rule = None
        if green is None:
            self.service.load_balancer_target(
                container_name=container_name, container_port=port
            ).attach_to_application_target_group(blue)
        else:
            test_port = getattr(self.deployment, "test_listener_port", None)
            test_listener = None
            if test_port is not None:
                test_rule = elbv2.ApplicationListenerRule(
                    self,
                    "TestListenerRule",
                    listener=shared.test_listener(test_port),
                    priority=route.priority,
                    conditions=route.conditions(),
                    action=_forward(blue, green),
                )
                test_listener = ecs.ListenerRuleConfiguration.application_listener_rule(test_rule)
            target = self.service.load_balancer_target(
                container_name=container_name,
                container_port=port,
                alternate_target=ecs.AlternateTarget(
                    "AlternateTarget",
                    alternate_target_group=green,
                    production_listener=ecs.ListenerRuleConfiguration.application_listener_rule(
                        rule
                    ),
                    test_listener=test_listener,
                    role=self._load_balancer_role(),
                ),
            )
            target.attach_to_application_target_group(blue)
            # The alternate target makes the service depend on the listener rules it Refs.
            service_resource = self.service.node.default_child
            assert isinstance(service_resource, CfnResource)
            ignore_lint_check(service_resource, "W3005", REDUNDANT_DEPENDS_ON)
        shared.allow_to_tasks(self.security_group, port)
        return LoadBalancerAttachment(shared, blue, rule, route.health, green, test_rule)

    def _target_group(
        self, id: str, port: int, health: TargetHealth
    ) -> elbv2.ApplicationTargetGroup:
        return elbv2.ApplicationTargetGroup(
            self,
            id,
            vpc=self.cluster.vpc,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            **health.target_group_props(),  # type: ignore[arg-type]
        )

    def _load_balancer_role(self) -> iam.Role:
        """The role ECS uses to shift traffic between the target groups, trusted only by ECS
        in this account (CDK's default role has no such condition)."""
        role = iam.Role(
            self,
            "LoadBalancerRole",
            assumed_by=iam.ServicePrincipal(
                "ecs.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="ECS shifts load balancer traffic between blue and green",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(ECS_LOAD_BALANCER_POLICY)
            ],
        )
        acknowledge(role, ECS_LOAD_BALANCER_ROLE)
        return role


def _forward(
    blue: elbv2.ApplicationTargetGroup, green: elbv2.ApplicationTargetGroup | None
) -> elbv2.ListenerAction:
    if green is None:
        return elbv2.ListenerAction.forward([blue])
    # ECS moves the weights during a deployment; both groups must be on the rule (and so
    # associated with the load balancer) from the start.
    return elbv2.ListenerAction.weighted_forward(
        [
            elbv2.WeightedTargetGroup(target_group=blue, weight=100),
            elbv2.WeightedTargetGroup(target_group=green, weight=0),
        ]
    )


def _check_scaling(
    scaling: AutoScaling | None,
    desired_count: int | None,
    load_balancer: LoadBalancer | Route | None,
) -> None:
    if scaling is None:
        return
    if desired_count is not None:
        raise InvalidParameterError(
            "desired_count",
            desired_count,
            "None when scaling= is given: autoscaling owns the task count between min_capacity "
            "and max_capacity, and a fixed count would reset it on every deploy",
            nearest=f"desired_count=None, scaling=AutoScaling(min_capacity={desired_count}, ...)",
        )
    if scaling.needs_load_balancer and load_balancer is None:
        raise InvalidParameterError(
            "requests_per_target",
            scaling.target_tracking.requests_per_target if scaling.target_tracking else None,
            "None for a service without a load balancer: it tracks ALB requests per target",
            given="load_balancer=None",
            nearest="cpu_percent=60",
        )


def _check_inputs(
    scope: Construct,
    cluster: NetworkedCluster,
    task: FargateTaskWithRoles,
    desired_count: int | None,
    deployment: Deployment,
    load_balancer: LoadBalancer | Route | None,
    capacity: Capacity,
    grace_period: timedelta,
) -> None:
    if desired_count is not None and desired_count < 0:
        raise InvalidParameterError(
            "desired_count", desired_count, "0 or more", nearest="desired_count=0"
        )
    if deployment.needs_alternate_target and load_balancer is None:
        raise InvalidParameterError(
            "deployment",
            f"{type(deployment).__name__}(...)",
            "RollingDeployment(...) without a load balancer: blue/green, canary and linear "
            "deployments shift load balancer traffic between two target groups",
            given="load_balancer=None",
            nearest="deployment=RollingDeployment(), or load_balancer=LoadBalancer(...)",
        )
    capacity.check_task(task.size)
    if not timedelta(0) <= grace_period <= MAX_GRACE_PERIOD or grace_period.total_seconds() % 1:
        raise InvalidParameterError(
            "health_check_grace_period",
            grace_period,
            "whole seconds from 0 to 2147483647",
            nearest="health_check_grace_period="
            f"timedelta(seconds={max(0, round(grace_period.total_seconds()))})",
        )
    _check_same_place(scope, "cluster", cluster)
    _check_same_place(scope, "task", task)
    if isinstance(load_balancer, Route):
        _check_same_place(scope, "load_balancer", load_balancer.load_balancer)
        if load_balancer.load_balancer.cluster.vpc is not cluster.vpc:
            raise InvalidParameterError(
                "load_balancer",
                load_balancer.load_balancer.node.path,
                "a shared load balancer in the service's VPC (its targets are task IPs)",
                given=f"cluster={cluster.node.path}",
            )


def _check_file_systems(task: FargateTaskWithRoles, cluster: NetworkedCluster) -> None:
    """An EFS file system is reachable only through mount targets in the tasks' VPC. A file
    system made in this app shows its mount targets' subnets; an imported one cannot be
    checked here."""
    from aws_cdk import aws_efs as efs

    vpc_subnets = {subnet.subnet_id for subnet in cluster.vpc.private_subnets}
    vpc_subnets |= {subnet.subnet_id for subnet in cluster.vpc.isolated_subnets}
    vpc_subnets |= {subnet.subnet_id for subnet in cluster.vpc.public_subnets}
    for volume in task.efs_volumes:
        mount_targets = [
            child
            for child in volume.file_system.node.children
            if isinstance(child, efs.CfnMountTarget)
        ]
        if mount_targets and not any(t.subnet_id in vpc_subnets for t in mount_targets):
            raise InvalidParameterError(
                "volumes",
                f"EfsVolume({volume.name!r}, file_system={volume.file_system.node.path})",
                "a file system with mount targets in the cluster's VPC (tasks mount it over "
                "their own network)",
                given=f"cluster={cluster.node.path}",
            )


def _check_same_place(scope: Construct, parameter: str, other: Construct) -> None:
    """Cross-stack references work only within one app stage, account and region."""
    here, there = Stack.of(scope), Stack.of(other)
    stage, other_stage = Stage.of(scope), Stage.of(other)
    if (stage.node.path if stage else None) != (other_stage.node.path if other_stage else None):
        raise InvalidParameterError(
            parameter,
            other.node.path,
            "a construct in the service's own app stage (CloudFormation cannot reference "
            "across stages)",
        )
    for attribute in ("account", "region"):
        mine, theirs = getattr(here, attribute), getattr(there, attribute)
        if not Token.is_unresolved(mine) and not Token.is_unresolved(theirs) and mine != theirs:
            raise InvalidParameterError(
                parameter,
                other.node.path,
                f"a construct in the service's {attribute} ({mine}); it is in {theirs}",
                given=f"the service's stack {here.node.path}",
            )
