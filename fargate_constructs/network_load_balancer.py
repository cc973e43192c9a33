"""Network load balancers for services that speak TCP, TLS or UDP rather than HTTP.

The load balancer has a security group (on by default, and it cannot be added later): clients
reach it on the listener port from ``allowed_cidrs``; the tasks admit only its group, which AWS
documents as working whether or not client IP preservation is on (it is always on for UDP).
Health checks and draining are tuned like the ALB's so a rolling step takes about a minute.

Deployments: ECS supports rolling, blue/green, canary and linear deployments behind an NLB
(the last three add ten-minute waits at each traffic shift). This library implements rolling
deployments with an NLB; the others are refused at synth until it implements the listener
switch for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from aws_cdk import Aws, CfnOutput
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .access_logs import access_log_bucket
from .cluster import NetworkedCluster
from .compliance import (
    NLB_ACCESS_LOGS,
    PASS_THROUGH_LISTENER,
    PUBLIC_LISTENER_INGRESS,
    acknowledge,
)
from .containers import Port, Transport
from .domain import Domain, certificate_for, check_certificate
from .doors import checked
from .durations import DurationLike, to_duration
from .errors import InvalidParameterError
from .ingress import Attached, IngressBinding, IngressPlan, IngressSite, ServiceSide, scope_of
from .target_health import TargetHealth, health_from
from .validation import check_cidrs, check_int_range, expect_bool, expect_instance

NLB_LOG_PREFIX = "nlb"


class NlbProtocol(Enum):
    """Listener and target protocol of a network load balancer."""

    TCP = "TCP"
    TLS = "TLS"
    UDP = "UDP"
    TCP_UDP = "TCP_UDP"

    @property
    def transports(self) -> tuple[Transport, ...]:
        """The container port transports this protocol needs."""
        if self is NlbProtocol.UDP:
            return (Transport.UDP,)
        if self is NlbProtocol.TCP_UDP:
            return (Transport.TCP, Transport.UDP)
        return (Transport.TCP,)


class HealthCheckProtocol(Enum):
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"


@checked
@dataclass(frozen=True, kw_only=True)
class NetworkLoadBalancer:
    """A network load balancer of the service's own. Durations take ``timedelta`` or
    ``aws_cdk.Duration``.

    :param protocol: :class:`NlbProtocol` TCP (default), TLS (needs ``certificate`` or
        ``domain``; TLS ends at the load balancer and TCP goes on to the task), UDP or TCP_UDP.
    :param port: listener port (default: the target port).
    :param public: internet-facing in the public subnets (default) or internal.
    :param certificate: for TLS: an ``acm.ICertificate`` or its ARN.
    :param domain: a :class:`Domain`: alias records to the load balancer, and for TLS a
        DNS-validated certificate unless ``certificate`` is given.
    :param allowed_cidrs: IPv4/IPv6 networks allowed to reach the listener (default: anywhere
        for a public load balancer, the VPC for an internal one).
    :param health_check_protocol: TCP (default), HTTP or HTTPS.
    :param health_check_port: a TCP port of the target container to check (default: the
        traffic port; required for UDP, whose port cannot answer a TCP or HTTP check).
    :param health_check_path: for HTTP(S) checks (default ``/``).
    :param healthy_http_codes: for HTTP(S) checks (default ``200-399``).
    :param health_check_interval: 5 to 300 s (default 10 s).
    :param health_check_timeout: 2 to 120 s, below the interval (default 5 s).
    :param healthy_threshold: 2 to 10 (default 2). :param unhealthy_threshold: 2 to 10
        (default 3).
    :param deregistration_delay: 0 to 3600 s (default 30 s; ELB's 300 s slows every deploy).
    :param health: the target group's :class:`TargetHealth` (path, codes, interval, timeout,
        thresholds, deregistration delay; default ``TargetHealth()``). The 0.6 keywords
        (``health_check_path=`` ...) still work until 0.10.0, with a ``DeprecationWarning``.
    :param deletion_protection: (default True).
    :param access_logs: write TLS listener access logs to an S3 bucket (default True; NLBs log
        only TLS connections, so this applies to TLS only).
    """

    protocol: NlbProtocol = NlbProtocol.TCP
    port: int | None = None
    public: bool = True
    certificate: str | acm.ICertificate | None = None
    domain: Domain | None = None
    allowed_cidrs: tuple[str, ...] | None = None
    health_check_protocol: HealthCheckProtocol = HealthCheckProtocol.TCP
    health_check_port: int | None = None
    health_check_path: str | None = None
    healthy_http_codes: str | None = None
    health_check_interval: DurationLike | None = None
    health_check_timeout: DurationLike | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None
    deregistration_delay: DurationLike | None = None
    deletion_protection: bool = True
    access_logs: bool = True
    health: TargetHealth | None = None

    def __post_init__(self) -> None:
        health = health_from(
            "NetworkLoadBalancer",
            self.health,
            {name: getattr(self, name) for name in _NLB_LEGACY_KEYWORDS},
            stacklevel=4,
        )
        _check_network_health(health)
        object.__setattr__(self, "health", health)
        for name in _NLB_LEGACY_KEYWORDS:
            object.__setattr__(self, name, None)
        expect_instance("protocol", self.protocol, NlbProtocol, "an NlbProtocol")
        expect_instance(
            "health_check_protocol",
            self.health_check_protocol,
            HealthCheckProtocol,
            "HealthCheckProtocol.TCP, HTTP or HTTPS",
        )
        for name in ("public", "deletion_protection", "access_logs"):
            expect_bool(name, getattr(self, name))
        if self.port is not None:
            check_int_range("port", self.port, 1, 65535)
        if self.health_check_port is not None:
            check_int_range("health_check_port", self.health_check_port, 1, 65535)
        if self.domain is not None:
            expect_instance("domain", self.domain, Domain, "a Domain(name=..., zone=...)")
        object.__setattr__(self, "certificate", check_certificate("certificate", self.certificate))
        tls = self.protocol is NlbProtocol.TLS
        if tls and self.certificate is None and self.domain is None:
            raise InvalidParameterError(
                "certificate",
                None,
                "an ACM certificate (acm.ICertificate or ARN), or domain=Domain(...) to make "
                "one, for a TLS listener",
                given="protocol=NlbProtocol.TLS",
                nearest="protocol=NlbProtocol.TCP, or certificate='arn:aws:acm:...'",
            )
        if not tls and self.certificate is not None:
            raise InvalidParameterError(
                "certificate",
                "a certificate",
                "None unless protocol=NlbProtocol.TLS (only TLS listeners use one)",
                given=f"protocol=NlbProtocol.{self.protocol.name}",
                nearest="protocol=NlbProtocol.TLS",
            )
        if self.protocol is NlbProtocol.UDP and self.health_check_port is None:
            raise InvalidParameterError(
                "health_check_protocol",
                self.health_check_protocol.name,
                "a check on a TCP port of the container (health_check_port=...): the "
                "traffic port is UDP, where a TCP or HTTP health check finds nothing listening",
                given="protocol=NlbProtocol.UDP, health_check_port=None",
                nearest="health_check_port=8080 (a TCP port the container also listens on)",
            )
        if self.health_check_protocol is HealthCheckProtocol.TCP and health.path is not None:
            raise InvalidParameterError(
                "health_check_path",
                health.path,
                "None for a TCP health check (paths are for HTTP and HTTPS checks)",
                nearest="health_check_protocol=HealthCheckProtocol.HTTP",
            )
        if self.allowed_cidrs is not None:
            object.__setattr__(
                self, "allowed_cidrs", check_cidrs("allowed_cidrs", self.allowed_cidrs)
            )

    def target_health(self) -> TargetHealth:
        assert self.health is not None  # set in __post_init__
        return self.health

    def plan(self, site: IngressSite) -> IngressPlan:
        if site.deployment.needs_alternate_target:
            raise InvalidParameterError(
                "deployment",
                f"{type(site.deployment).__name__}(...)",
                "RollingDeployment(...) with a NetworkLoadBalancer: ECS can shift NLB traffic "
                "(with ten-minute waits per shift), but this library implements blue/green, "
                "canary and linear for application load balancers only",
                given="load_balancer=NetworkLoadBalancer(...)",
                nearest="deployment=RollingDeployment()",
            )
        container, port = site.task.target(
            site.target_container, site.target_port, requested_by="NetworkLoadBalancer"
        )
        self.check_target(container, site.task.specs[container].port_list, port)
        return IngressPlan(target=(container, port), grace_period=True)

    def bind(self, service: ServiceSide) -> IngressBinding:
        return _NetworkBinding(self, service)

    def check_target(self, container: str, ports: Sequence[Port], port: int) -> None:
        """The target container must listen on ``port`` with every transport the protocol
        needs, and on ``health_check_port`` over TCP."""
        for transport in self.protocol.transports:
            if not any(p.port == port and p.transport is transport for p in ports):
                raise InvalidParameterError(
                    "protocol",
                    f"NlbProtocol.{self.protocol.name}",
                    f"a protocol whose transports the target port has: container "
                    f"{container!r} has no {transport.name} port {port}",
                    nearest=f"Port({port}, transport=Transport.{transport.name}) on the container",
                )
        if self.health_check_port is not None and not any(
            p.port == self.health_check_port and p.transport is Transport.TCP for p in ports
        ):
            raise InvalidParameterError(
                "health_check_port",
                self.health_check_port,
                f"a TCP port of container {container!r} "
                f"({', '.join(str(p.port) for p in ports if p.transport is Transport.TCP)})",
            )


@checked
class ServiceNetworkLoadBalancer(Construct):
    """The network load balancer, listener and target group a :class:`FargateService` made
    from :class:`NetworkLoadBalancer` settings. Attributes: :attr:`load_balancer`,
    :attr:`listener`, :attr:`target_group`, :attr:`security_group`, :attr:`certificate`,
    :attr:`alias_records`, :attr:`access_log_bucket`."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: NetworkLoadBalancer,
        cluster: NetworkedCluster,
        service: ecs.FargateService,
        tasks: ec2.SecurityGroup,
        container_name: str,
        target_port: int,
    ) -> None:
        super().__init__(scope, id)
        self.settings = settings
        protocol = getattr(elbv2.Protocol, settings.protocol.value)
        listener_port = settings.port or target_port
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            description="Network load balancer: clients in on the listener port, out to tasks",
            allow_all_outbound=False,
        )
        self.load_balancer = elbv2.NetworkLoadBalancer(
            self,
            "LoadBalancer",
            vpc=cluster.vpc,
            internet_facing=settings.public,
            security_groups=[self.security_group],
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC if settings.public else cluster.task_subnet_type
            ),
            deletion_protection=settings.deletion_protection,
            cross_zone_enabled=True,
        )
        tls = settings.protocol is NlbProtocol.TLS
        self.certificate = certificate_for(
            self, settings.certificate, settings.domain if tls else None
        )
        # TLS ends at the load balancer; the target group speaks TCP to the task.
        target_protocol = elbv2.Protocol.TCP if settings.protocol is NlbProtocol.TLS else protocol
        self.target_group = elbv2.NetworkTargetGroup(
            self,
            "TargetGroup",
            vpc=cluster.vpc,
            port=target_port,
            protocol=target_protocol,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=to_duration(settings.target_health().deregistration_delay),
            health_check=self._health_check(),
        )
        self.listener = self.load_balancer.add_listener(
            "Listener",
            port=listener_port,
            protocol=protocol,
            certificates=(
                [elbv2.ListenerCertificate.from_arn(self.certificate.certificate_arn)]
                if self.certificate is not None
                else None
            ),
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if self.certificate is not None else None,
            default_target_groups=[self.target_group],
        )
        if self.certificate is None:
            acknowledge(self.listener, PASS_THROUGH_LISTENER)
        udp = settings.protocol is NlbProtocol.UDP
        service.load_balancer_target(
            container_name=container_name,
            container_port=target_port,
            protocol=ecs.Protocol.UDP if udp else ecs.Protocol.TCP,
        ).attach_to_network_target_group(self.target_group)
        self._open(cluster, tasks, listener_port, target_port)
        self.alias_records = (
            settings.domain.add_alias_records(self, self.load_balancer)
            if settings.domain is not None
            else []
        )
        self.access_log_bucket = None
        if settings.access_logs and settings.protocol is NlbProtocol.TLS:
            self.access_log_bucket = access_log_bucket(self, timedelta(days=365))
            self._log_to(self.access_log_bucket)
        else:
            acknowledge(self.load_balancer, NLB_ACCESS_LOGS)
        scheme = "tls" if settings.protocol is NlbProtocol.TLS else settings.protocol.value.lower()
        host = (
            settings.domain.name
            if settings.domain is not None
            else self.load_balancer.load_balancer_dns_name
        )
        self.url = f"{scheme}://{host}:{listener_port}"
        CfnOutput(self, "Url", value=self.url, description=f"Where {self.node.path} listens")

    def _log_to(self, bucket: s3.Bucket) -> None:
        """NLB access logs are delivered by ``delivery.logs.amazonaws.com`` in every region;
        CDK's ``log_access_logs`` also needs the region's ELB account, which an
        environment-agnostic stack cannot name."""
        self.load_balancer.set_attribute("access_logs.s3.enabled", "true")
        self.load_balancer.set_attribute("access_logs.s3.bucket", bucket.bucket_name)
        self.load_balancer.set_attribute("access_logs.s3.prefix", NLB_LOG_PREFIX)
        delivery = iam.ServicePrincipal("delivery.logs.amazonaws.com")
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[delivery],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{NLB_LOG_PREFIX}/AWSLogs/{Aws.ACCOUNT_ID}/*")],
                conditions={
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceAccount": Aws.ACCOUNT_ID,
                    }
                },
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[delivery],
                actions=["s3:GetBucketAcl"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        if bucket.policy is not None:
            self.load_balancer.node.add_dependency(bucket.policy)

    def _health_check(self) -> elbv2.HealthCheck:
        settings = self.settings
        health = settings.target_health()
        http = settings.health_check_protocol is not HealthCheckProtocol.TCP
        return elbv2.HealthCheck(
            protocol=getattr(elbv2.Protocol, settings.health_check_protocol.value),
            port=str(settings.health_check_port) if settings.health_check_port else None,
            path=(health.path or "/") if http else None,
            healthy_http_codes=health.healthy_http_codes if http else None,
            interval=to_duration(health.interval),
            timeout=to_duration(health.timeout),
            healthy_threshold_count=health.healthy_threshold,
            unhealthy_threshold_count=health.unhealthy_threshold,
        )

    def _open(
        self,
        cluster: NetworkedCluster,
        tasks: ec2.SecurityGroup,
        listener_port: int,
        target_port: int,
    ) -> None:
        settings = self.settings
        transports = settings.protocol.transports
        cidrs = settings.allowed_cidrs
        if cidrs is None:
            cidrs = ("0.0.0.0/0",) if settings.public else (cluster.vpc_cidr,)
        for cidr in cidrs:
            peer = ec2.Peer.ipv6(cidr) if ":" in cidr else ec2.Peer.ipv4(cidr)
            for transport in transports:
                self.security_group.add_ingress_rule(
                    peer, _port(transport, listener_port), f"Clients from {cidr}"
                )
        if any(cidr.endswith("/0") for cidr in cidrs):
            acknowledge(self.security_group, PUBLIC_LISTENER_INGRESS)
        check_ports = {(transport, target_port) for transport in transports}
        check_ports.add((Transport.TCP, settings.health_check_port or target_port))
        for transport, port in sorted(check_ports, key=lambda item: (item[1], item[0].name)):
            tasks.add_ingress_rule(
                ec2.Peer.security_group_id(self.security_group.security_group_id),
                _port(transport, port),
                "From the network load balancer",
            )
            # The tasks' group as a peer object makes this a separate resource; inline rules in
            # both groups naming each other would be a dependency cycle.
            self.security_group.add_egress_rule(
                tasks,
                _port(transport, port),
                f"To tasks on {port}",
            )


def _port(transport: Transport, port: int) -> ec2.Port:
    return ec2.Port.udp(port) if transport is Transport.UDP else ec2.Port.tcp(port)


class _NetworkBinding:
    """A network load balancer bound to one service: made once the ECS service exists."""

    security_groups: tuple[ec2.ISecurityGroup, ...] = ()

    def __init__(self, settings: NetworkLoadBalancer, service: ServiceSide) -> None:
        self.settings = settings
        self.service = service

    def attach(self, ecs_service: ecs.FargateService) -> Attached:
        side = self.service
        assert side.target is not None
        network = ServiceNetworkLoadBalancer(
            scope_of(side),
            "NetworkLoadBalancer",
            settings=self.settings,
            cluster=side.cluster,
            service=ecs_service,
            tasks=side.security_group,
            container_name=side.target[0],
            target_port=side.target[1],
        )
        return Attached(url=network.url, network=network)


_NLB_LEGACY_KEYWORDS = (
    "health_check_path",
    "healthy_http_codes",
    "health_check_interval",
    "health_check_timeout",
    "healthy_threshold",
    "unhealthy_threshold",
    "deregistration_delay",
)


def _check_network_health(health: TargetHealth) -> None:
    """What a network load balancer's target group cannot do: protocol versions, gRPC codes,
    cookies and slow start are application load balancer features."""
    for name, value, default in (
        ("protocol_version", health.protocol_version, None),
        ("healthy_grpc_codes", health.healthy_grpc_codes, "12"),
        ("stickiness", health.stickiness, None),
        ("slow_start", health.slow_start, None),
    ):
        if value != default:
            raise InvalidParameterError(
                f"health.{name}",
                value if isinstance(value, str) else type(value).__name__,
                f"{default!r} for a NetworkLoadBalancer (an application load balancer setting)",
                nearest=f"TargetHealth(...) without {name}=",
            )
