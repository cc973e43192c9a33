"""Application load balancers for services: a dedicated one (:class:`LoadBalancer`) or one
shared by several services through host/path rules (:class:`SharedLoadBalancer`).

Defaults are tuned so a rolling step waits about a minute, not CDK's five-plus: deregistration
delay 30 s (CDK: 300 s), health checks every 10 s with 2 healthy / 3 unhealthy thresholds.
HTTPS with an ACM certificate, port 80 only redirects; plain HTTP needs ``allow_plain_http``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aws_cdk import (
    CfnOutput,
    CfnResource,
    Names,
    Token,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IConstruct, Node

from .access_logs import access_log_bucket, allow_elb_log_delivery
from .cluster import NetworkedCluster
from .compliance import (
    ECS_LOAD_BALANCER_ROLE,
    INTERNAL_LOAD_BALANCER_WAF,
    PLAIN_HTTP_OPT_IN,
    PUBLIC_LISTENER_INGRESS,
    REDIRECT_ONLY_LISTENER,
    REDUNDANT_DEPENDS_ON,
    acknowledge,
    ignore_lint_check,
)
from .containers import Transport
from .domain import Domain, certificate_for
from .doors import checked
from .durations import (
    DurationLike,
    describe,
    held,
    normalize_durations,
    to_duration,
)
from .errors import InvalidParameterError
from .ingress import Attached, IngressBinding, IngressPlan, IngressSite, ServiceSide, scope_of
from .listener import (
    HTTP_PORT,
    HTTPS_PORT,
    ListenerSettings,
    check_rule_conditions,
    cidr_tuple,
)
from .scopes import check_same_place, remember_scope, stack_of
from .target_health import LEGACY_KEYWORDS, ProtocolVersion, TargetHealth, health_from
from .validation import check_int_range, expect_instance

ACCESS_LOG_PREFIX = "alb"


@checked
@dataclass(frozen=True, kw_only=True)
class LoadBalancer:
    """A load balancer of the service's own. Listener settings as in :class:`ListenerSettings`;
    ``health`` is the target group's :class:`TargetHealth` (default ``TargetHealth()``). The 0.6
    keywords (``health_check_path=``, ``health_check_interval=`` ...) still work until 0.10.0,
    with a ``DeprecationWarning`` naming the ``TargetHealth`` spelling."""

    public: bool = True
    certificate: str | acm.ICertificate | None = None
    certificate_arn: str | None = None
    port: int | None = None
    allow_plain_http: bool = False
    health_check_path: str | None = None
    healthy_http_codes: str | None = None
    health_check_interval: DurationLike | None = None
    health_check_timeout: DurationLike | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None
    deregistration_delay: DurationLike | None = None
    access_logs: bool = True
    deletion_protection: bool = True
    web_acl_arn: str | None = None
    domain: Domain | None = None
    allowed_cidrs: tuple[str, ...] | None = None
    idle_timeout: DurationLike | None = None
    protocol_version: ProtocolVersion | None = None
    healthy_grpc_codes: str | None = None
    stickiness: DurationLike | None = None
    slow_start: DurationLike | None = None
    health: TargetHealth | None = None

    def __post_init__(self) -> None:
        normalize_durations(self, "idle_timeout")
        self.listener_settings()
        health = health_from(
            "LoadBalancer",
            self.health,
            {name: getattr(self, name) for name in LEGACY_KEYWORDS},
            stacklevel=4,
        )
        object.__setattr__(self, "health", health)
        for name in LEGACY_KEYWORDS:
            object.__setattr__(self, name, None)

    def listener_settings(self) -> ListenerSettings:
        return ListenerSettings(
            public=self.public,
            certificate=self.certificate,
            certificate_arn=self.certificate_arn,
            port=self.port,
            allow_plain_http=self.allow_plain_http,
            access_logs=self.access_logs,
            deletion_protection=self.deletion_protection,
            web_acl_arn=self.web_acl_arn,
            domain=self.domain,
            allowed_cidrs=self.allowed_cidrs,
            idle_timeout=self.idle_timeout,
        )

    def plan(self, site: IngressSite) -> IngressPlan:
        return _plan_alb(site, self.target_health(), requested_by="LoadBalancer")

    def bind(self, service: ServiceSide) -> IngressBinding:
        """Make the service's own load balancer (before the ECS service, so the tasks start
        with its targets group) and bind the one route on it."""
        shared = SharedLoadBalancer(
            scope_of(service),
            "LoadBalancer",
            cluster=service.cluster,
            **self.listener_settings().as_kwargs(),
        )
        route = Route(
            load_balancer=shared,
            priority=1,
            path_patterns=("/*",),
            health=self.target_health(),
        )
        return route.bind(service)

    def target_health(self) -> TargetHealth:
        assert self.health is not None  # set in __post_init__
        return self.health


@checked
@dataclass(frozen=True, kw_only=True)
class Route:
    """A service's place on a :class:`SharedLoadBalancer`: a listener rule that matches
    ``host_headers`` and/or ``path_patterns`` at ``priority``. Made by
    :meth:`SharedLoadBalancer.route`."""

    load_balancer: SharedLoadBalancer
    priority: int
    host_headers: tuple[str, ...] = ()
    path_patterns: tuple[str, ...] = ()
    health: TargetHealth = field(default_factory=TargetHealth)

    def __post_init__(self) -> None:
        object.__setattr__(self, "host_headers", tuple(self.host_headers))
        object.__setattr__(self, "path_patterns", tuple(self.path_patterns))
        check_rule_conditions(self.host_headers, self.path_patterns)

    @property
    def match(self) -> tuple[frozenset[str], frozenset[str]]:
        """What the rule matches, order and case of host names aside."""
        return (
            frozenset(host.lower() for host in self.host_headers),
            frozenset(self.path_patterns),
        )

    def plan(self, site: IngressSite) -> IngressPlan:
        shared = self.load_balancer
        check_same_place(site.scope, "load_balancer", shared)
        if shared.cluster.vpc is not site.cluster.vpc:
            raise InvalidParameterError(
                "load_balancer",
                shared.node.path,
                "a shared load balancer in the service's VPC (its targets are task IPs)",
                given=f"cluster={site.cluster.node.path}",
            )
        return _plan_alb(site, self.health, requested_by="Route")

    def bind(self, service: ServiceSide) -> IngressBinding:
        return _RouteBinding(self, service)

    def conditions(self) -> list[elbv2.ListenerCondition]:
        conditions = []
        if self.host_headers:
            conditions.append(elbv2.ListenerCondition.host_headers(list(self.host_headers)))
        if self.path_patterns:
            conditions.append(elbv2.ListenerCondition.path_patterns(list(self.path_patterns)))
        return conditions


@checked
class SharedLoadBalancer(Construct):
    """One application load balancer that several services share through listener rules,
    instead of one ALB per service (what ``ecs_patterns`` does).

    ``api = shared.route(priority=10, host_headers=["api.example.com"])`` and then
    ``FargateService(..., load_balancer=api)``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        public: bool = True,
        certificate: str | acm.ICertificate | None = None,
        certificate_arn: str | None = None,
        port: int | None = None,
        allow_plain_http: bool = False,
        access_logs: bool = True,
        access_log_retention: DurationLike = timedelta(days=365),
        deletion_protection: bool = True,
        web_acl_arn: str | None = None,
        domain: Domain | None = None,
        allowed_cidrs: Sequence[str] | None = None,
        idle_timeout: DurationLike | None = None,
    ) -> None:
        settings = ListenerSettings(
            public=public,
            certificate=certificate,
            certificate_arn=certificate_arn,
            port=port,
            allow_plain_http=allow_plain_http,
            access_logs=access_logs,
            access_log_retention=access_log_retention,
            deletion_protection=deletion_protection,
            web_acl_arn=web_acl_arn,
            domain=domain,
            allowed_cidrs=cidr_tuple(allowed_cidrs),
            idle_timeout=idle_timeout,
        )
        super().__init__(scope, id)
        remember_scope(self, scope)
        self.settings = settings
        self.cluster = cluster
        vpc = cluster.vpc
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Load balancer: clients in on the listener port, out to tasks only",
            allow_all_outbound=False,
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=public,
            security_group=self.security_group,
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC if public else cluster.task_subnet_type
            ),
            drop_invalid_header_fields=True,
            deletion_protection=deletion_protection,
            idle_timeout=to_duration(settings.idle_timeout),
        )
        self.certificate = certificate_for(self, settings.certificate, domain)
        open_to_anywhere = public and settings.allowed_cidrs is None
        self.listener = self._add_listener("Listener", settings.listener_port, open_to_clients=True)
        client_ports = [settings.listener_port]
        if settings.https and settings.listener_port == HTTPS_PORT:
            redirect = self.load_balancer.add_redirect(
                source_port=HTTP_PORT, target_port=HTTPS_PORT, open=open_to_anywhere
            )
            acknowledge(redirect, REDIRECT_ONLY_LISTENER)
            client_ports.append(HTTP_PORT)
        if open_to_anywhere:
            acknowledge(self.security_group, PUBLIC_LISTENER_INGRESS)
        else:
            for cidr in settings.allowed_cidrs or (self._vpc_cidr(),):
                peer = ec2.Peer.ipv6(cidr) if ":" in cidr else ec2.Peer.ipv4(cidr)
                for client_port in client_ports:
                    self.security_group.add_ingress_rule(
                        peer, ec2.Port.tcp(client_port), f"Clients from {cidr}"
                    )
            if any(cidr.endswith("/0") for cidr in settings.allowed_cidrs or ()):
                acknowledge(self.security_group, PUBLIC_LISTENER_INGRESS)
        if not public:
            acknowledge(self.load_balancer, INTERNAL_LOAD_BALANCER_WAF)
        if not settings.https:
            acknowledge(self, PLAIN_HTTP_OPT_IN)
        self.alias_records = (
            domain.add_alias_records(self, self.load_balancer) if domain is not None else []
        )
        self.access_log_bucket: s3.Bucket | None = None
        if access_logs:
            self.access_log_bucket = self._enable_access_logs(held(settings.access_log_retention))
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(
                self,
                "WebAcl",
                resource_arn=self.load_balancer.load_balancer_arn,
                web_acl_arn=web_acl_arn,
            )
        self._start_routing()

    def _start_routing(self) -> None:
        self._priorities: dict[int, IConstruct] = {}
        self._matches: dict[tuple[frozenset[str], frozenset[str]], IConstruct] = {}
        self._priority_of: dict[IConstruct, int] = {}
        self._targets_group: ec2.SecurityGroup | None = None
        self._own_group: tuple[Node, str] | None = None
        self._test_listeners: dict[int, elbv2.ApplicationListener] = {}
        # Read once: the DNS name is a round trip to the jsii runtime, and every service
        # behind this load balancer asks for the URL.
        self._url = self._locate()
        CfnOutput(self, "Url", value=self._url, description=f"Where {self.node.path} listens")

    @classmethod
    @checked
    def adopt(
        cls,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        load_balancer: elbv2.ApplicationLoadBalancer,
        listener: elbv2.ApplicationListener,
        certificate: str | acm.ICertificate | None = None,
        port: int | None = None,
    ) -> SharedLoadBalancer:
        """An application load balancer and listener the app already has (an
        ``ecs_patterns.ApplicationLoadBalancedFargateService``'s ``load_balancer`` and
        ``listener``), shared through listener rules like one this library made: nothing of
        them is replaced. ``route()`` adds a rule and a target group per service, ahead of the
        listener's default action, which keeps serving what does not match.

        :param certificate: the HTTPS listener's certificate (None: the listener is plain
            HTTP); blue/green test listeners get it too.
        :param port: the listener's port (default 443 with a certificate, else 80).

        What this library would add to a load balancer it makes is not added to this one:
        access logs, a WAF web ACL, deletion protection and the ingress limits stay as they
        are (the compliance packs report them on the resources that have them).
        """
        for name, value, kind in (
            ("load_balancer", load_balancer, elbv2.ApplicationLoadBalancer),
            ("listener", listener, elbv2.ApplicationListener),
        ):
            expect_instance(name, value, kind, f"an elbv2.{kind.__name__} of this app")
        settings = ListenerSettings(
            certificate=certificate,
            allow_plain_http=certificate is None,
            port=port,
            access_logs=False,
            deletion_protection=False,
        )
        self = cls.__new__(cls)
        Construct.__init__(self, scope, id)
        remember_scope(self, scope)
        self.settings = settings
        self.cluster = cluster
        [group] = load_balancer.connections.security_groups[:1]
        assert isinstance(group, ec2.SecurityGroup)
        self.security_group = group
        self.load_balancer = load_balancer
        self.certificate = certificate_for(self, settings.certificate, None)
        self.listener = listener
        self.alias_records = []
        self.access_log_bucket = None
        self._start_routing()
        return self

    @property
    def url(self) -> str:
        """``https://<domain>`` with a domain, else the load balancer's DNS name and port."""
        return self._url

    def _locate(self) -> str:
        scheme = "https" if self.settings.https else "http"
        port = self.settings.listener_port
        suffix = "" if port == (HTTPS_PORT if self.settings.https else HTTP_PORT) else f":{port}"
        host = (
            self.settings.domain.name
            if self.settings.domain is not None
            else self.load_balancer.load_balancer_dns_name
        )
        return f"{scheme}://{host}{suffix}"

    @checked
    def route(
        self,
        *,
        priority: int,
        host_headers: Sequence[str] = (),
        path_patterns: Sequence[str] = (),
        health: TargetHealth | None = None,
        health_check_path: str | None = None,
        healthy_http_codes: str | None = None,
        health_check_interval: DurationLike | None = None,
        health_check_timeout: DurationLike | None = None,
        healthy_threshold: int | None = None,
        unhealthy_threshold: int | None = None,
        deregistration_delay: DurationLike | None = None,
        protocol_version: ProtocolVersion | None = None,
        healthy_grpc_codes: str | None = None,
        stickiness: DurationLike | None = None,
        slow_start: DurationLike | None = None,
    ) -> Route:
        """A place for one service on this load balancer. ``priority`` (1 to 50000) orders the
        rules; give at least one of ``host_headers`` and ``path_patterns`` (at most five values
        together). ``health`` is the target group's :class:`TargetHealth` (default:
        ``TargetHealth()``); the 0.6 keywords (``health_check_path=`` ...) still work until
        0.10.0, with a ``DeprecationWarning``."""
        check_int_range("priority", priority, 1, 50000)
        return Route(
            load_balancer=self,
            priority=priority,
            host_headers=tuple(host_headers),
            path_patterns=tuple(path_patterns),
            health=health_from(
                "route",
                health,
                {
                    "health_check_path": health_check_path,
                    "healthy_http_codes": healthy_http_codes,
                    "health_check_interval": health_check_interval,
                    "health_check_timeout": health_check_timeout,
                    "healthy_threshold": healthy_threshold,
                    "unhealthy_threshold": unhealthy_threshold,
                    "deregistration_delay": deregistration_delay,
                    "protocol_version": protocol_version,
                    "healthy_grpc_codes": healthy_grpc_codes,
                    "stickiness": stickiness,
                    "slow_start": slow_start,
                },
                stacklevel=3,
            ),
        )

    def _claim(self, route: Route, owner: IConstruct) -> None:
        """Listener rule priorities must be unique on a listener (ELB refuses a second at
        deploy time), and two rules that match the same hosts and paths leave the second
        without traffic: both fail at synth."""
        priority = route.priority
        taken = self._matches.get(route.match)
        if taken is not None:
            hosts, paths = route.host_headers, route.path_patterns
            raise InvalidParameterError(
                "host_headers" if hosts else "path_patterns",
                list(hosts) if hosts else list(paths),
                f"a match no other route on {self.node.path} has: {taken.node.path} already "
                "matches the same hosts and paths at a "
                + ("higher" if self._priority_of[taken] < priority else "lower")
                + " priority, so one of the two rules would never get a request",
                given=f"priority={priority}",
                nearest="other host_headers or path_patterns (e.g. path_patterns=['/v2/*'])",
            )
        if priority in self._priorities:
            free = next(p for p in range(priority + 1, 50001) if p not in self._priorities)
            raise InvalidParameterError(
                "priority",
                priority,
                f"a priority not yet used on {self.node.path} "
                f"(taken by {self._priorities[priority].node.path})",
                nearest=f"priority={free}",
            )
        self._priorities[priority] = owner
        self._matches[route.match] = owner
        self._priority_of[owner] = priority

    def _remove_rules_for_own_group(self, tasks: ec2.SecurityGroup, port: int) -> None:
        """Let this load balancer reach its targets on ``port``, and nothing else.

        Call it after a service that carries :attr:`_targets_security_group` beside its own
        group ``tasks`` is attached to its target group. aws-cdk-lib has then added an ingress
        and an egress rule between the load balancer and each of the two groups; the targets
        group's exist once per port however many services share it, and this removes the
        ones for ``tasks`` (the load balancer may send only to the targets group; the tasks
        admit only the load balancer). Same traffic, no rule resources per service."""
        if self._own_group is None:
            self._own_group = (self.security_group.node, Names.unique_id(self.security_group))
        own_node, own_id = self._own_group
        # aws-cdk-lib adds the ingress rule to the tasks' group as "from <own id>:<port>", and
        # the egress rule to this load balancer's group as "to <tasks id>:<port>", or, when the
        # tasks are in another stack, to the tasks' group as "<own id>:<port> from" (the remote
        # rule goes with the peer: SecurityGroupBase.determineRuleScope). Each removal is a
        # round trip to the jsii runtime: remove exactly the two that exist.
        tasks.node.try_remove_child(f"from {own_id}:{port}")
        if stack_of(tasks) is not stack_of(self):
            tasks.node.try_remove_child(f"{own_id}:{port} from")
        else:
            own_node.try_remove_child(f"to {Names.unique_id(tasks)}:{port}")

    @property
    def _targets_security_group(self) -> ec2.SecurityGroup:
        """The group every task behind this load balancer carries (made on first use)."""
        if self._targets_group is None:
            self._targets_group = ec2.SecurityGroup(
                self,
                "TargetsSecurityGroup",
                vpc=self.cluster.vpc,
                description="Tasks behind this load balancer: in from it only, on their ports",
                allow_all_outbound=False,
            )
        return self._targets_group

    def _test_listener(self, port: int) -> elbv2.ApplicationListener:
        """A listener on ``port`` for testing green tasks before a blue/green switch; reachable
        from inside the VPC only."""
        if port == self.settings.listener_port:
            raise InvalidParameterError(
                "test_listener_port",
                port,
                f"a port other than the production listener's ({port})",
                nearest=f"test_listener_port={port + 8000 if port < 57535 else port - 1}",
            )
        if port not in self._test_listeners:
            listener = self._add_listener(f"TestListener{port}", port, open_to_clients=False)
            self.security_group.add_ingress_rule(
                ec2.Peer.ipv4(self._vpc_cidr()), ec2.Port.tcp(port), "Test listener, VPC only"
            )
            self._test_listeners[port] = listener
        return self._test_listeners[port]

    def _add_listener(
        self, id: str, port: int, *, open_to_clients: bool
    ) -> elbv2.ApplicationListener:
        settings = self.settings
        return self.load_balancer.add_listener(
            id,
            port=port,
            protocol=(
                elbv2.ApplicationProtocol.HTTPS
                if settings.https
                else elbv2.ApplicationProtocol.HTTP
            ),
            certificates=(
                [elbv2.ListenerCertificate.from_arn(self.certificate.certificate_arn)]
                if self.certificate is not None
                else None
            ),
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if settings.https else None,
            open=open_to_clients and settings.public and settings.allowed_cidrs is None,
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="Not found"
            ),
        )

    def _vpc_cidr(self) -> str:
        return self.cluster.vpc_cidr

    def _enable_access_logs(self, retention: timedelta) -> s3.Bucket:
        bucket = access_log_bucket(self, retention)
        stack = stack_of(self)
        if not Token.is_unresolved(stack.region):
            self.load_balancer.log_access_logs(bucket, ACCESS_LOG_PREFIX)
            return bucket
        # Environment-agnostic stack: CDK's log_access_logs needs the region to pick ELB's
        # log-delivery account, so resolve it in CloudFormation instead.
        self.load_balancer.set_attribute("access_logs.s3.enabled", "true")
        self.load_balancer.set_attribute("access_logs.s3.bucket", bucket.bucket_name)
        self.load_balancer.set_attribute("access_logs.s3.prefix", ACCESS_LOG_PREFIX)
        allow_elb_log_delivery(bucket, ACCESS_LOG_PREFIX)
        if bucket.policy is not None:
            self.load_balancer.node.add_dependency(bucket.policy)
        return bucket


@dataclass(frozen=True, kw_only=True)
class LoadBalancerAttachment:
    """What a service's load balancer consists of, for users who reach past the construct."""

    shared: SharedLoadBalancer
    target_group: elbv2.ApplicationTargetGroup
    listener_rule: elbv2.ApplicationListenerRule
    health: TargetHealth
    green_target_group: elbv2.ApplicationTargetGroup | None = None
    test_listener_rule: elbv2.ApplicationListenerRule | None = None


def _plan_alb(site: IngressSite, health: TargetHealth, *, requested_by: str) -> IngressPlan:
    target = site.task.target(site.target_container, site.target_port, requested_by=requested_by)
    container, port = target
    transports = {p.transport for p in site.task.specs[container].port_list if p.port == port}
    if transports == {Transport.UDP}:
        raise InvalidParameterError(
            "load_balancer",
            f"{requested_by}(...)",
            "a NetworkLoadBalancer(protocol=NlbProtocol.UDP) for a UDP port: an application "
            "load balancer speaks HTTP over TCP only",
            given=f"container {container!r} port {port} (transport UDP only)",
            nearest="load_balancer=NetworkLoadBalancer(protocol=NlbProtocol.UDP, "
            "health_check_port=<a TCP port>)",
        )
    if health.stickiness is not None and site.deployment.splits_traffic:
        raise InvalidParameterError(
            "stickiness",
            describe(held(health.stickiness)),
            "None with a canary or linear deployment: while traffic is split, ALB picks the "
            "target group per request, so a sticky client would bounce between old and new "
            "tasks (ECS allows it; this library refuses it)",
            given=f"deployment={type(site.deployment).__name__}(...)",
            nearest="deployment=BlueGreenDeployment() (all at once), or stickiness=None",
        )
    return IngressPlan(target=target, application_metrics=True, grace_period=True)


class _RouteBinding:
    """A route bound to one service: the tasks carry the load balancer's targets group, which
    holds the one rule per port between them (see
    :meth:`SharedLoadBalancer._remove_rules_for_own_group`)."""

    def __init__(self, route: Route, service: ServiceSide) -> None:
        self.route = route
        self.service = service
        self.security_groups: tuple[ec2.ISecurityGroup, ...] = (
            route.load_balancer._targets_security_group,
        )

    def attach(self, ecs_service: ecs.FargateService) -> Attached:
        route, side = self.route, self.service
        scope = scope_of(side)
        shared = route.load_balancer
        shared._claim(route, scope)
        assert side.target is not None
        container_name, port = side.target
        version = self._protocol_version()

        blue = self._target_group("TargetGroup", port, version)
        green = None
        if side.deployment.needs_alternate_target:
            green = self._target_group("GreenTargetGroup", port, version)
        rule = elbv2.ApplicationListenerRule(
            scope,
            "ListenerRule",
            listener=shared.listener,
            priority=route.priority,
            conditions=route.conditions(),
            **_forward(blue, green),
        )
        test_rule = None
        if green is None:
            # add_target rather than attach_to_application_target_group: the same attachment,
            # without a result struct read back through jsii.
            blue.add_target(
                ecs_service.load_balancer_target(container_name=container_name, container_port=port)
            )
        else:
            test_port = getattr(side.deployment, "test_listener_port", None)
            test_listener = None
            if test_port is not None:
                test_rule = elbv2.ApplicationListenerRule(
                    scope,
                    "TestListenerRule",
                    listener=shared._test_listener(test_port),
                    priority=route.priority,
                    conditions=route.conditions(),
                    **_forward(blue, green),
                )
                test_listener = ecs.ListenerRuleConfiguration.application_listener_rule(test_rule)
            target = ecs_service.load_balancer_target(
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
            blue.add_target(target)
            # The alternate target makes the service depend on the listener rules it Refs.
            service_resource = ecs_service.node.default_child
            assert isinstance(service_resource, CfnResource)
            ignore_lint_check(service_resource, "W3005", REDUNDANT_DEPENDS_ON)
        shared._remove_rules_for_own_group(side.security_group, port)
        attachment = LoadBalancerAttachment(
            shared=shared,
            target_group=blue,
            listener_rule=rule,
            health=route.health,
            green_target_group=green,
            test_listener_rule=test_rule,
        )
        groups = (blue,) if green is None else (blue, green)
        return Attached(target_groups=groups, url=shared.url, application=attachment)

    def _target_group(
        self, id: str, port: int, version: ProtocolVersion
    ) -> elbv2.ApplicationTargetGroup:
        return elbv2.ApplicationTargetGroup(
            scope_of(self.service),
            id,
            vpc=self.service.cluster.vpc,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            **self.route.health.target_group_props(version),
        )

    def _protocol_version(self) -> ProtocolVersion:
        """HTTP2 and gRPC reach targets only from an HTTPS listener (ELB's rule)."""
        side, shared = self.service, self.route.load_balancer
        assert side.target is not None
        container, port_number = side.target
        port = next(p for p in side.task.specs[container].port_list if p.port == port_number)
        app_protocol = port.app_protocol.name if port.app_protocol is not None else None
        version = self.route.health.resolved_version(app_protocol)
        if version is not ProtocolVersion.HTTP1 and not shared.settings.https:
            raise InvalidParameterError(
                "protocol_version",
                f"ProtocolVersion.{version.name}",
                "HTTP1 behind a plain-HTTP listener: an ALB sends HTTP/2 and gRPC to targets "
                "only from an HTTPS listener",
                given=f"load balancer {shared.node.path} with allow_plain_http=True"
                + (f", port app_protocol={app_protocol}" if app_protocol else ""),
                nearest="certificate=... (or domain=Domain(...)) on the load balancer, or "
                "protocol_version=ProtocolVersion.HTTP1",
            )
        return version

    def _load_balancer_role(self) -> iam.Role:
        """The role ECS uses to shift traffic between the target groups, trusted by
        ``ecs.amazonaws.com`` exactly as AWS's documented trust policy for this role
        (AmazonECSInfrastructureRolePolicyForLoadBalancers) says: AWS documents no condition
        key ECS sends when it assumes it, and a condition it does not send would fail every
        blue/green deployment on real AWS."""
        scope = scope_of(self.service)
        role = iam.Role(
            scope,
            "LoadBalancerRole",
            assumed_by=iam.ServicePrincipal("ecs.amazonaws.com"),
            description="ECS shifts load balancer traffic between blue and green",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(ECS_LOAD_BALANCER_POLICY)
            ],
        )
        acknowledge(role, ECS_LOAD_BALANCER_ROLE)
        return role


ECS_LOAD_BALANCER_POLICY = "service-role/AmazonECSInfrastructureRolePolicyForLoadBalancers"


def _forward(
    blue: elbv2.ApplicationTargetGroup, green: elbv2.ApplicationTargetGroup | None
) -> dict[str, Any]:
    """The listener rule's action: ``target_groups`` for one group (the same forward action
    as ``ListenerAction.forward``, without building it through jsii)."""
    if green is None:
        return {"target_groups": [blue]}
    # ECS moves the weights during a deployment; both groups must be on the rule (and so
    # associated with the load balancer) from the start.
    return {
        "action": elbv2.ListenerAction.weighted_forward(
            [
                elbv2.WeightedTargetGroup(target_group=blue, weight=100),
                elbv2.WeightedTargetGroup(target_group=green, weight=0),
            ]
        )
    }
