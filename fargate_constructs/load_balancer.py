"""Application load balancers for services: a dedicated one (:class:`LoadBalancer`) or one
shared by several services through host/path rules (:class:`SharedLoadBalancer`).

Defaults are tuned so a rolling step waits about a minute, not CDK's five-plus: deregistration
delay 30 s (CDK: 300 s), health checks every 10 s with 2 healthy / 3 unhealthy thresholds.
HTTPS with an ACM certificate, port 80 only redirects; plain HTTP needs ``allow_plain_http``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from aws_cdk import Aws, CfnCondition, CfnMapping, Duration, Fn, Names, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from .cluster import NetworkedCluster
from .compliance import (
    ACCESS_LOG_BUCKET,
    INTERNAL_LOAD_BALANCER_WAF,
    PLAIN_HTTP_OPT_IN,
    PUBLIC_LISTENER_INGRESS,
    REDIRECT_ONLY_LISTENER,
    acknowledge,
)
from .durations import check_seconds
from .errors import InvalidParameterError
from .validation import check_int_range

HTTPS_PORT = 443
HTTP_PORT = 80
ACCESS_LOG_PREFIX = "alb"
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


@dataclass(frozen=True)
class TargetHealth:
    """Target group health check and draining, shared by dedicated and shared load balancers.

    :param path: health check path (default ``/``).
    :param healthy_http_codes: codes that count as healthy (default ``200-399``).
    :param interval: between checks, 5 to 300 s (default 10 s; CDK/ELB default 30 s).
    :param timeout: per check, 2 to 120 s and below ``interval`` (default 5 s).
    :param healthy_threshold: consecutive passes to become healthy, 2 to 10 (default 2).
    :param unhealthy_threshold: consecutive failures to become unhealthy, 2 to 10 (default 3).
    :param deregistration_delay: draining time of a stopping task, 0 to 3600 s (default 30 s;
        ELB's 300 s makes every rolling step wait five minutes).
    """

    path: str = "/"
    healthy_http_codes: str = "200-399"
    interval: timedelta = timedelta(seconds=10)
    timeout: timedelta = timedelta(seconds=5)
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    deregistration_delay: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise InvalidParameterError(
                "health_check_path",
                self.path,
                "a path starting with '/'",
                nearest=f"'/{self.path}'",
            )
        check_seconds("health_check_interval", self.interval, 5, 300)
        check_seconds("health_check_timeout", self.timeout, 2, 120)
        if self.timeout >= self.interval:
            raise InvalidParameterError(
                "health_check_timeout",
                self.timeout,
                "less than the health check interval",
                given=f"health_check_interval={self.interval}",
                nearest=f"health_check_timeout=timedelta(seconds={int(self.interval.seconds) - 1})",
            )
        for name in ("healthy_threshold", "unhealthy_threshold"):
            check_int_range(name, getattr(self, name), 2, 10)
        check_seconds("deregistration_delay", self.deregistration_delay, 0, 3600)

    def time_to_healthy(self) -> timedelta:
        """Least time from registration to healthy: interval x healthy threshold."""
        return self.interval * self.healthy_threshold

    def target_group_props(self) -> dict[str, object]:
        return {
            "deregistration_delay": Duration.seconds(_seconds(self.deregistration_delay)),
            "health_check": elbv2.HealthCheck(
                path=self.path,
                healthy_http_codes=self.healthy_http_codes,
                interval=Duration.seconds(_seconds(self.interval)),
                timeout=Duration.seconds(_seconds(self.timeout)),
                healthy_threshold_count=self.healthy_threshold,
                unhealthy_threshold_count=self.unhealthy_threshold,
            ),
        }


@dataclass(frozen=True)
class ListenerSettings:
    """How an ALB faces its clients.

    :param public: internet-facing in the public subnets (default) or internal in the private
        subnets.
    :param certificate_arn: ACM certificate for the HTTPS listener; required unless
        ``allow_plain_http``.
    :param port: listener port (default 443, or 80 with plain HTTP).
    :param allow_plain_http: serve plain HTTP without a certificate. For demos only; the
        compliance findings this causes are acknowledged as this explicit opt-in.
    :param access_logs: write access logs to an S3 bucket (SSE-S3, SSL only, versioned).
    :param access_log_retention: how long access logs are kept (default 365 days).
    :param deletion_protection: (default True) turn off for stacks you expect to destroy.
    :param web_acl_arn: a WAFv2 web ACL to associate with the load balancer.
    """

    public: bool = True
    certificate_arn: str | None = None
    port: int | None = None
    allow_plain_http: bool = False
    access_logs: bool = True
    access_log_retention: timedelta = timedelta(days=365)
    deletion_protection: bool = True
    web_acl_arn: str | None = None

    def __post_init__(self) -> None:
        if self.certificate_arn is None and not self.allow_plain_http:
            raise InvalidParameterError(
                "certificate_arn",
                None,
                "an ACM certificate ARN for the HTTPS listener, or allow_plain_http=True "
                "(demos only)",
                nearest="certificate_arn='arn:aws:acm:<region>:<account>:certificate/<id>'",
            )
        arn = self.certificate_arn
        if arn is not None and not Token.is_unresolved(arn) and ":acm:" not in arn:
            raise InvalidParameterError(
                "certificate_arn",
                arn,
                "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
            )
        if self.port is not None and not 1 <= self.port <= 65535:
            raise InvalidParameterError(
                "port", self.port, "1 to 65535", nearest=f"port={self.listener_port}"
            )
        if self.access_log_retention < timedelta(days=1):
            raise InvalidParameterError(
                "access_log_retention",
                self.access_log_retention,
                "at least one day",
                nearest="access_log_retention=timedelta(days=1)",
            )

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None

    def as_kwargs(self) -> dict[str, Any]:
        """These settings as :class:`SharedLoadBalancer` keyword arguments."""
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @property
    def listener_port(self) -> int:
        if self.port is not None:
            return self.port
        return HTTPS_PORT if self.https else HTTP_PORT


@dataclass(frozen=True)
class LoadBalancer:
    """A load balancer of the service's own. Listener settings as in :class:`ListenerSettings`,
    target settings as in :class:`TargetHealth` (``health_check_path`` is its ``path``)."""

    public: bool = True
    certificate_arn: str | None = None
    port: int | None = None
    allow_plain_http: bool = False
    health_check_path: str = "/"
    healthy_http_codes: str = "200-399"
    health_check_interval: timedelta = timedelta(seconds=10)
    health_check_timeout: timedelta = timedelta(seconds=5)
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    deregistration_delay: timedelta = timedelta(seconds=30)
    access_logs: bool = True
    deletion_protection: bool = True
    web_acl_arn: str | None = None

    def __post_init__(self) -> None:
        self.listener_settings()
        self.target_health()

    def listener_settings(self) -> ListenerSettings:
        return ListenerSettings(
            public=self.public,
            certificate_arn=self.certificate_arn,
            port=self.port,
            allow_plain_http=self.allow_plain_http,
            access_logs=self.access_logs,
            deletion_protection=self.deletion_protection,
            web_acl_arn=self.web_acl_arn,
        )

    def target_health(self) -> TargetHealth:
        return TargetHealth(
            path=self.health_check_path,
            healthy_http_codes=self.healthy_http_codes,
            interval=self.health_check_interval,
            timeout=self.health_check_timeout,
            healthy_threshold=self.healthy_threshold,
            unhealthy_threshold=self.unhealthy_threshold,
            deregistration_delay=self.deregistration_delay,
        )


@dataclass(frozen=True)
class Route:
    """A service's place on a :class:`SharedLoadBalancer`: a listener rule that matches
    ``host_headers`` and/or ``path_patterns`` at ``priority``. Made by
    :meth:`SharedLoadBalancer.route`."""

    load_balancer: SharedLoadBalancer
    priority: int
    host_headers: tuple[str, ...] = ()
    path_patterns: tuple[str, ...] = ()
    health: TargetHealth = TargetHealth()

    def conditions(self) -> list[elbv2.ListenerCondition]:
        conditions = []
        if self.host_headers:
            conditions.append(elbv2.ListenerCondition.host_headers(list(self.host_headers)))
        if self.path_patterns:
            conditions.append(elbv2.ListenerCondition.path_patterns(list(self.path_patterns)))
        return conditions


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
        certificate_arn: str | None = None,
        port: int | None = None,
        allow_plain_http: bool = False,
        access_logs: bool = True,
        access_log_retention: timedelta = timedelta(days=365),
        deletion_protection: bool = True,
        web_acl_arn: str | None = None,
    ) -> None:
        settings = ListenerSettings(
            public=public,
            certificate_arn=certificate_arn,
            port=port,
            allow_plain_http=allow_plain_http,
            access_logs=access_logs,
            access_log_retention=access_log_retention,
            deletion_protection=deletion_protection,
            web_acl_arn=web_acl_arn,
        )
        super().__init__(scope, id)
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
        )
        self.listener = self._add_listener("Listener", settings.listener_port, open_to_clients=True)
        if settings.https and settings.listener_port == HTTPS_PORT:
            redirect = self.load_balancer.add_redirect(
                source_port=HTTP_PORT, target_port=HTTPS_PORT, open=public
            )
            acknowledge(redirect, REDIRECT_ONLY_LISTENER)
        if public:
            acknowledge(self.security_group, PUBLIC_LISTENER_INGRESS)
        else:
            self.security_group.add_ingress_rule(
                ec2.Peer.ipv4(self._vpc_cidr()),
                ec2.Port.tcp(settings.listener_port),
                "Clients inside the VPC",
            )
            acknowledge(self.load_balancer, INTERNAL_LOAD_BALANCER_WAF)
        if not settings.https:
            acknowledge(self, PLAIN_HTTP_OPT_IN)
        self.access_log_bucket: s3.Bucket | None = None
        if access_logs:
            self.access_log_bucket = self._enable_access_logs(settings.access_log_retention)
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(
                self,
                "WebAcl",
                resource_arn=self.load_balancer.load_balancer_arn,
                web_acl_arn=web_acl_arn,
            )
        self._priorities: dict[int, str] = {}
        self._test_listeners: dict[int, elbv2.ApplicationListener] = {}

    def route(
        self,
        *,
        priority: int,
        host_headers: Sequence[str] = (),
        path_patterns: Sequence[str] = (),
        health_check_path: str = "/",
        healthy_http_codes: str = "200-399",
        health_check_interval: timedelta = timedelta(seconds=10),
        health_check_timeout: timedelta = timedelta(seconds=5),
        healthy_threshold: int = 2,
        unhealthy_threshold: int = 3,
        deregistration_delay: timedelta = timedelta(seconds=30),
    ) -> Route:
        """A place for one service on this load balancer. ``priority`` (1 to 50000) orders the
        rules; give at least one of ``host_headers`` and ``path_patterns``."""
        check_int_range("priority", priority, 1, 50000)
        if not host_headers and not path_patterns:
            raise InvalidParameterError(
                "host_headers, path_patterns",
                ((), ()),
                "at least one host header or path pattern to match",
                nearest="path_patterns=['/*']",
            )
        return Route(
            load_balancer=self,
            priority=priority,
            host_headers=tuple(host_headers),
            path_patterns=tuple(path_patterns),
            health=TargetHealth(
                path=health_check_path,
                healthy_http_codes=healthy_http_codes,
                interval=health_check_interval,
                timeout=health_check_timeout,
                healthy_threshold=healthy_threshold,
                unhealthy_threshold=unhealthy_threshold,
                deregistration_delay=deregistration_delay,
            ),
        )

    def claim_priority(self, priority: int, owner: str) -> None:
        """Listener rule priorities must be unique on a listener; fail at synth, not deploy."""
        if priority in self._priorities:
            free = next(p for p in range(priority + 1, 50001) if p not in self._priorities)
            raise InvalidParameterError(
                "priority",
                priority,
                f"a priority not yet used on {self.node.path} "
                f"(taken by {self._priorities[priority]})",
                nearest=f"priority={free}",
            )
        self._priorities[priority] = owner

    def allow_to_tasks(self, tasks: ec2.SecurityGroup, port: int) -> None:
        """Let this load balancer reach tasks on ``port`` (and only them, only on it).

        Call it after the service is attached to its target group. aws-cdk-lib then has added
        an ingress and an egress rule resource per service; they are replaced by an inline rule
        on the task side naming this load balancer's group, and an inline egress rule to the
        VPC block (shared by all services on that port). Same traffic allowed, two CloudFormation
        resources fewer per service, and no dependency cycle between the two groups."""
        for group, rule_type, rule_id in (
            (
                tasks,
                ec2.CfnSecurityGroupIngress,
                f"from {Names.unique_id(self.security_group)}:{port}",
            ),
            (
                self.security_group,
                ec2.CfnSecurityGroupEgress,
                f"to {Names.unique_id(tasks)}:{port}",
            ),
        ):
            generated = group.node.try_find_child(rule_id)
            if isinstance(generated, rule_type):
                group.node.try_remove_child(rule_id)
        tasks.add_ingress_rule(
            ec2.Peer.security_group_id(self.security_group.security_group_id),
            ec2.Port.tcp(port),
            "From the load balancer",
        )
        self.security_group.add_egress_rule(
            ec2.Peer.ipv4(self._vpc_cidr()), ec2.Port.tcp(port), f"To tasks on {port}"
        )

    def test_listener(self, port: int) -> elbv2.ApplicationListener:
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
                [elbv2.ListenerCertificate.from_arn(settings.certificate_arn)]
                if settings.certificate_arn is not None
                else None
            ),
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if settings.https else None,
            open=open_to_clients and settings.public,
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="Not found"
            ),
        )

    def _vpc_cidr(self) -> str:
        return self.cluster.vpc_cidr

    def _enable_access_logs(self, retention: timedelta) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            # ALB access logs support only SSE-S3.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(max(1, retention.days)),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        acknowledge(bucket, ACCESS_LOG_BUCKET)
        stack = Stack.of(self)
        if not Token.is_unresolved(stack.region):
            self.load_balancer.log_access_logs(bucket, ACCESS_LOG_PREFIX)
            return bucket
        # Environment-agnostic stack: CDK's log_access_logs needs the region to pick ELB's
        # log-delivery account, so resolve it in CloudFormation instead.
        self.load_balancer.set_attribute("access_logs.s3.enabled", "true")
        self.load_balancer.set_attribute("access_logs.s3.bucket", bucket.bucket_name)
        self.load_balancer.set_attribute("access_logs.s3.prefix", ACCESS_LOG_PREFIX)
        log_objects = bucket.arn_for_objects(f"{ACCESS_LOG_PREFIX}/AWSLogs/{Aws.ACCOUNT_ID}/*")
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ArnPrincipal(_elb_log_account_root(stack))],
                actions=["s3:PutObject"],
                resources=[log_objects],
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(ELB_LOG_DELIVERY)],
                actions=["s3:PutObject"],
                resources=[log_objects],
            )
        )
        if bucket.policy is not None:
            self.load_balancer.node.add_dependency(bucket.policy)
        return bucket


_ELB_ACCOUNTS_ID = "FargateConstructsElbLogAccounts"
_ELB_LEGACY_REGION_ID = "FargateConstructsElbLegacyLogRegion"


def _elb_log_account_root(stack: Stack) -> str:
    """ARN of ELB's log-delivery account in the deploy region (regions opened before August
    2022), else this account's root, which changes nothing; newer regions use the
    log-delivery service principal. One mapping and condition per stack."""
    mapping = stack.node.try_find_child(_ELB_ACCOUNTS_ID)
    if mapping is None:
        mapping = CfnMapping(
            stack,
            _ELB_ACCOUNTS_ID,
            mapping={
                region.name: {"Account": region.elbv2_account or "none"}
                for region in RegionInfo.regions
            },
        )
        CfnCondition(
            stack,
            _ELB_LEGACY_REGION_ID,
            expression=Fn.condition_not(
                Fn.condition_equals(mapping.find_in_map(Aws.REGION, "Account"), "none")
            ),
        )
    assert isinstance(mapping, CfnMapping)
    account = mapping.find_in_map(Aws.REGION, "Account")
    return Fn.condition_if(
        _ELB_LEGACY_REGION_ID,
        f"arn:{Aws.PARTITION}:iam::{account}:root",
        f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:root",
    ).to_string()
