"""FargateService: a long-running service composed from a task, a deployment strategy, an
optional load balancer and a capacity strategy. Each concern lives in its own module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import jsii
from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from .alarms import (
    DEFAULT_RESOLUTION,
    AlarmThresholds,
    ServiceAlarms,
    alarm_name_prefix,
    configure_resolution,
    metrics_resolution,
)
from .capacity import Capacity
from .cluster import NetworkedCluster
from .dashboard import (
    ServiceDashboard,
    Widget,
    alarm_status,
    load_balancer_widgets,
    usage_widgets,
)
from .deployment import Deployment, RollingDeployment, peak
from .doors import checked
from .durations import DurationLike, as_timedelta, describe, to_duration
from .errors import InvalidParameterError
from .ingress import Ingress, IngressPlan, IngressSite, NoIngress
from .load_balancer import LoadBalancerAttachment
from .network_load_balancer import ServiceNetworkLoadBalancer
from .scaling import AutoScaling
from .scopes import check_same_place, remember_scope
from .service_connect import (
    SERVICE_CONNECT_LOG_PREFIX,
    ServerEndpoint,
    ServiceConnect,
    check_service_connect,
    configure,
    open_edge,
)
from .task import FargateTaskWithRoles
from .validation import check_ecs_name
from .volumes import EFS_PORT

DEFAULT_DESIRED_COUNT = 2
DEFAULT_GRACE_PERIOD = timedelta(seconds=15)
MAX_GRACE_PERIOD = timedelta(seconds=2_147_483_647)


@checked
@jsii.implements(ec2.IConnectable)
class FargateService(Construct):
    """A long-running Fargate service in ``cluster``'s private subnets (no public IP).

    :param cluster: the :class:`NetworkedCluster` to run in.
    :param task: the :class:`FargateTaskWithRoles` to run.
    :param desired_count: tasks to run without autoscaling (default 2).
    :param deployment: :class:`RollingDeployment` (default: circuit breaker with rollback,
        100/200 percent) or :class:`BlueGreenDeployment`, :class:`CanaryDeployment`,
        :class:`LinearDeployment` (these need a load balancer).
    :param load_balancer: a :class:`LoadBalancer` of its own, a
        :meth:`SharedLoadBalancer.route`, or a :class:`NetworkLoadBalancer` (rolling
        deployments only); the task needs a port. None for a backend service, reached only
        over Service Connect.
    :param capacity: FARGATE/FARGATE_SPOT strategy (default: all on demand).
    :param scaling: :class:`AutoScaling` between a minimum and maximum task count; then
        ``desired_count`` must stay None (deploys keep the running count).
    :param service_alarms: create the service's alarms (:attr:`alarms`) (default True): with a
        load balancer one rollback alarm (target 5xx or unhealthy targets) that deployments roll
        back on, and the informational ones below.
    :param informational_alarms: CPU high, memory high and running tasks low (default: only
        when ``alarm_topic`` is given, since otherwise they would tell no one).
    :param alarm_thresholds: when the service's alarms fire.
    :param alarm_topic: SNS topic every alarm notifies (the rollback alarm acts either way).
    :param health_check_grace_period: how long ECS ignores failing load balancer health checks
        of a new task (default 15 s; only with a load balancer); ``timedelta`` or ``Duration``.
    :param service_name: physical name (default: generated).
    :param target_container: the container the load balancer sends traffic to (default: the
        task's main container).
    :param target_port: that container's port (default: its first port).
    :param service_connect: :class:`ServiceConnect` to serve a port under a DNS name in the
        cluster's namespace (the cluster needs ``service_connect_namespace``).
    :param connects_to: Service Connect servers this service calls; each gets an ingress rule
        for exactly its port from exactly this service's security group (also
        :meth:`allow_from`).
    :param az_rebalancing: let ECS move tasks to rebalance availability zones. Default: on
        (what ECS picks for a new service when it can), off when ``max_healthy_percent`` is
        100 (ECS refuses it then).
    :param metric_resolution: how often ECS publishes the service's ``CPUUtilization`` and
        ``MemoryUtilization``: 20 or 60 seconds (default None: ECS's 60). At 20 seconds the
        CPU and memory alarms evaluate 20-second periods (high-resolution alarms, priced
        higher), and the dashboard graphs them at 20 seconds.
    :param dashboard: a section on the stack's dashboard (:class:`ServiceDashboard`, one per
        stack) (default True).

    Attributes (the L2 objects): :attr:`service`, :attr:`security_group`,
    :attr:`target_group`, :attr:`load_balancer`, :attr:`listener`, :attr:`attachment`,
    :attr:`alarms`, :attr:`scalable_task_count`, :attr:`network_load_balancer` (a
    :class:`ServiceNetworkLoadBalancer`), :attr:`endpoint` (a Service Connect server's
    :class:`ServerEndpoint`).
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
        load_balancer: Ingress | None = None,
        capacity: Capacity | None = None,
        scaling: AutoScaling | None = None,
        service_alarms: bool = True,
        alarm_thresholds: AlarmThresholds | None = None,
        alarm_topic: sns.ITopic | None = None,
        health_check_grace_period: DurationLike = DEFAULT_GRACE_PERIOD,
        service_name: str | None = None,
        target_container: str | None = None,
        target_port: int | None = None,
        service_connect: ServiceConnect | None = None,
        connects_to: Sequence[FargateService] = (),
        az_rebalancing: bool | None = None,
        informational_alarms: bool | None = None,
        metric_resolution: DurationLike | None = None,
        dashboard: bool = True,
    ) -> None:
        deployment = deployment or RollingDeployment()
        capacity = capacity or Capacity()
        ingress: Ingress = load_balancer if load_balancer is not None else NoIngress()
        if service_name is not None:
            check_ecs_name("service_name", service_name)
        health_check_grace_period = as_timedelta(
            "health_check_grace_period", health_check_grace_period
        )
        resolution = metrics_resolution(metric_resolution)
        _check_inputs(scope, cluster, task, desired_count, capacity, health_check_grace_period)
        plan = ingress.plan(
            IngressSite(
                scope=scope,
                cluster=cluster,
                task=task,
                deployment=deployment,
                target_container=target_container,
                target_port=target_port,
            )
        )
        _check_scaling(scaling, desired_count, plan, load_balancer, cluster)
        deployment.check_task_counts(
            {"min_capacity": scaling.min_capacity}
            if scaling is not None
            else {
                "desired_count": DEFAULT_DESIRED_COUNT if desired_count is None else desired_count
            }
        )
        self.target: tuple[str, int] | None = plan.target
        _check_file_systems(task, cluster)
        rebalancing = _az_rebalancing(az_rebalancing, deployment)
        endpoint = check_service_connect(
            cluster,
            task.named_ports(),
            service_connect,
            servers=len(connects_to),
            service_id=id,
        )
        super().__init__(scope, id)
        remember_scope(self, scope)
        self.cluster = cluster
        self.task = task
        self.deployment = deployment
        self.capacity = capacity
        self.scaling = scaling
        self.desired_count = DEFAULT_DESIRED_COUNT if desired_count is None else desired_count
        alarm_prefix = alarm_name_prefix(self)
        rollback_alarms = tuple(
            f"{alarm_prefix}-{kind}"
            for kind in ServiceAlarms.rollback_kinds(plan.application_metrics)
            if service_alarms
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            # Changing a group description replaces the group: keep this text as it is.
            description="Service tasks: in from the load balancer only",
            allow_all_outbound=True,
        )
        remember_scope(self.security_group, self)
        binding = ingress.bind(self)
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster.cluster,
            task_definition=task.task_definition,
            # With scaling on, DesiredCount is left out so a deploy keeps the running count.
            desired_count=None if scaling is not None else self.desired_count,
            assign_public_ip=False,
            vpc_subnets=cluster.task_subnets,
            security_groups=[self.security_group, *binding.security_groups],
            capacity_provider_strategies=capacity.strategies(),
            health_check_grace_period=(
                to_duration(health_check_grace_period) if plan.grace_period else None
            ),
            service_name=service_name,
            enable_execute_command=task.enable_exec or None,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
            availability_zone_rebalancing=(
                ecs.AvailabilityZoneRebalancing.ENABLED
                if rebalancing
                else ecs.AvailabilityZoneRebalancing.DISABLED
            ),
            **deployment.service_props(rollback_alarms),
        )
        deployment.configure(self.service)
        self.metric_resolution = resolution
        if resolution != DEFAULT_RESOLUTION:
            configure_resolution(self.service, resolution)
        # The capacity providers must be associated with the cluster before the service uses them.
        self.service.node.add_dependency(cluster.capacity_providers)
        self._servers: set[str] = set()
        for volume in task.efs_volumes:
            volume.file_system.connections.allow_from(
                self.security_group, ec2.Port.tcp(EFS_PORT), "NFS from the service's tasks"
            )

        self.endpoint: ServerEndpoint | None = endpoint
        self._service_connect_on = False
        if service_connect is not None:
            assert endpoint is not None
            self._enable_service_connect(service_connect)
        for server in connects_to:
            server.allow_from(self)

        self._attached = binding.attach(self.service)
        self.attachment: LoadBalancerAttachment | None = self._attached.application
        self.network_load_balancer: ServiceNetworkLoadBalancer | None = self._attached.network

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
                target_groups=self._attached.target_groups,
                topic=alarm_topic,
                informational=informational_alarms,
                resolution=resolution,
            )
        self.scalable_task_count: ecs.ScalableTaskCount | None = None
        if scaling is not None:
            self.scalable_task_count = scaling.apply(self.service, self.target_group)
        cluster._register(
            self, task, demand=self, dns_name=endpoint.dns_name if endpoint is not None else None
        )
        if dashboard:
            ServiceDashboard.of(self).add_section(self.node.path, self.dashboard_widgets())

    def dashboard_widgets(self) -> list[Widget]:
        """This service's graphs: with an application load balancer its requests, 4xx/5xx,
        response time and targets; CPU and memory; tasks (with Container Insights); and the
        rollback alarm's state."""
        load_balancer = self.load_balancer
        widgets = (
            load_balancer_widgets(
                [_full_name(group) for group in self._attached.target_groups],
                load_balancer.load_balancer_full_name,
            )
            if self._attached.target_groups and load_balancer is not None
            else []
        )
        widgets += usage_widgets(
            cluster_name=self.cluster.cluster.cluster_name,
            service_name=self.service.service_name,
            resolution=self.metric_resolution,
            container_insights=self.cluster.container_insights,
        )
        if self.alarms is not None and self.alarms.rollback is not None:
            widgets.append(alarm_status("Rollback alarm", [self.alarms.arn_of("Rollback")]))
        return widgets

    @checked
    def allow_from(self, client: FargateService) -> None:
        """Let ``client`` call this Service Connect server: an ingress rule for exactly this
        service's port from exactly ``client``'s security group, Service Connect turned on for
        ``client`` (as a client, if it is not a server too), and ``client`` deployed after this
        service so its tasks start knowing this endpoint."""
        if self.endpoint is None:
            raise InvalidParameterError(
                "connects_to",
                self.node.path,
                "Service Connect servers (services with service_connect=ServiceConnect(...))",
                given=f"client {client.node.path}",
                nearest=f"FargateService(..., service_connect=ServiceConnect()) for {self.node.id}",
            )
        if client is self:
            raise InvalidParameterError(
                "connects_to", self.node.path, "other services (a task reaches itself locally)"
            )
        if client.cluster is not self.cluster:
            raise InvalidParameterError(
                "connects_to",
                self.node.path,
                "servers in the client's cluster and Service Connect namespace "
                f"({client.cluster.node.path}); this one is in {self.cluster.node.path}",
                given=f"client {client.node.path}",
            )
        if self.node.path in client._servers:
            return
        client._servers.add(self.node.path)
        client._enable_service_connect(None)
        open_edge(
            client,
            self,
            client_group=client.security_group,
            server_group=self.security_group,
            port=self.endpoint.container_port,
        )
        client.service.node.add_dependency(self.service)

    def _enable_service_connect(self, settings: ServiceConnect | None) -> None:
        if self._service_connect_on:
            return
        self._service_connect_on = True
        namespace = self.cluster.namespace
        assert namespace is not None
        configure(
            self.service,
            namespace_arn=namespace.namespace_arn,
            log_driver=ecs.LogDriver.aws_logs(
                stream_prefix=SERVICE_CONNECT_LOG_PREFIX, log_group=self.task.log_group
            ),
            settings=settings,
            endpoint=self.endpoint,
        )

    @property
    def url(self) -> str | None:
        """Where clients reach this service: its load balancer's URL, or a Service Connect
        server's ``http://<dns name>:<port>``; None for a service reachable by neither."""
        if self._attached.url is not None:
            return self._attached.url
        if self.endpoint is not None:
            return f"http://{self.endpoint.address}"
        return None

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


def _full_name(group: elbv2.ApplicationTargetGroup) -> str:
    """``targetgroup/<name>/<id>``, the metrics' TargetGroup dimension, cut from the ARN: the
    same value as the ``TargetGroupFullName`` attribute, which moto's CloudFormation cannot
    resolve inside a dashboard body (the smoke deploy runs on moto)."""
    return Fn.select(5, Fn.split(":", group.target_group_arn))


def _check_scaling(
    scaling: AutoScaling | None,
    desired_count: int | None,
    plan: IngressPlan,
    load_balancer: Ingress | None,
    cluster: NetworkedCluster,
) -> None:
    if scaling is None:
        return
    if scaling.backlog_tracking is not None and scaling.backlog_tracking.queue is None:
        raise InvalidParameterError(
            "BacklogTracking.queue",
            None,
            "the queue whose backlog to track (QueueWorker fills in its own)",
            nearest="BacklogTracking(queue=my_queue, backlog_per_task=10)",
        )
    if scaling.backlog_tracking is not None and not cluster.container_insights:
        raise InvalidParameterError(
            "cluster",
            "container_insights=False",
            "a cluster with Container Insights: backlog-per-task scaling divides by its "
            "RunningTaskCount metric",
            nearest="NetworkedCluster(..., container_insights=True)",
        )
    if desired_count is not None:
        raise InvalidParameterError(
            "desired_count",
            desired_count,
            "None when scaling= is given: autoscaling owns the task count between min_capacity "
            "and max_capacity, and a fixed count would reset it on every deploy",
            nearest=f"desired_count=None, scaling=AutoScaling(min_capacity={desired_count}, ...)",
        )
    if scaling.needs_load_balancer and not plan.application_metrics:
        raise InvalidParameterError(
            "requests_per_target",
            scaling.target_tracking.requests_per_target if scaling.target_tracking else None,
            "None for a service without an application load balancer: it tracks ALB "
            "requests per target",
            given=f"load_balancer={type(load_balancer).__name__ if load_balancer else None}",
            nearest="cpu_percent=60",
        )


def _check_inputs(
    scope: Construct,
    cluster: NetworkedCluster,
    task: FargateTaskWithRoles,
    desired_count: int | None,
    capacity: Capacity,
    grace_period: timedelta,
) -> None:
    if desired_count is not None and desired_count < 0:
        raise InvalidParameterError(
            "desired_count", desired_count, "0 or more", nearest="desired_count=0"
        )
    capacity.check_task(task.size)
    if not timedelta(0) <= grace_period <= MAX_GRACE_PERIOD or grace_period.total_seconds() % 1:
        raise InvalidParameterError(
            "health_check_grace_period",
            describe(grace_period),
            "whole seconds from 0 to 2147483647",
            nearest="health_check_grace_period="
            f"Duration.seconds({max(0, round(grace_period.total_seconds()))})",
        )
    check_same_place(scope, "cluster", cluster)
    check_same_place(scope, "task", task)


def _az_rebalancing(requested: bool | None, deployment: Deployment) -> bool:
    max_percent: int = getattr(deployment, "max_healthy_percent", 200)
    if requested is None:
        return max_percent > 100
    if requested and max_percent <= 100:
        raise InvalidParameterError(
            "az_rebalancing",
            True,
            "False or None when max_healthy_percent is 100: ECS rebalances by starting a task "
            "in the emptier zone before stopping one, so it needs room above 100%",
            given=f"max_healthy_percent={max_percent}",
            nearest="az_rebalancing=None, or RollingDeployment(max_healthy_percent=200)",
        )
    return requested


def _check_file_systems(task: FargateTaskWithRoles, cluster: NetworkedCluster) -> None:
    """An EFS file system is reachable only through mount targets in the tasks' VPC. A file
    system made in this app shows its mount targets' subnets; an imported one cannot be
    checked here."""
    from aws_cdk import aws_efs as efs

    if not task.efs_volumes:
        return
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
