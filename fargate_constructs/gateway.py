"""ECS Gateway (``AWS::ECS::Gateway``): a shared HTTPS ingress whose load balancers ECS makes
and runs, associated with a cluster; a service joins through one gateway connector, an ingress
kind of :class:`FargateService` (``load_balancer=gateway.connector(...)``)."""

from __future__ import annotations

import enum
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_cdk import CfnOutput, CfnResource, Names
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .access_logs import access_log_bucket, allow_elb_log_delivery
from .cluster import NetworkedCluster
from .compliance import (
    ECS_GATEWAY_ROLE,
    PUBLIC_LISTENER_INGRESS,
    SCHEMA_NEWER_THAN_AWS_CDK,
    acknowledge,
)
from .doors import checked
from .durations import DurationLike, held
from .errors import InvalidParameterError
from .ingress import Attached, IngressBinding, IngressPlan, IngressSite, ServiceSide
from .listener import cidr_tuple
from .target_health import TargetHealth, gateway_health_check
from .validation import check_int_range, expect_bool

GATEWAY_POLICY = "AmazonECSInfrastructureRoleForGatewayHostSharedALB"
GATEWAYS_PER_CLUSTER = 5
ACCESS_LOG_PREFIX = "gateway"
GATEWAY_NAME = re.compile(r"[A-Za-z0-9-]{1,255}")

_BY_CLUSTER: weakref.WeakKeyDictionary[Any, list[EcsGateway]] = weakref.WeakKeyDictionary()


class GatewayAccess(enum.Enum):
    """Which gateways of the cluster a connector joins: internet-facing or internal ones."""

    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


class DesyncMitigation(enum.Enum):
    """The ALB's HTTP desync mitigation mode."""

    MONITOR = "monitor"
    DEFENSIVE = "defensive"
    STRICTEST = "strictest"


@checked
class EcsGateway(Construct):
    """An ECS Gateway (host-shared ALB) for a cluster: ECS makes, scales (up to
    ``max_alb_count`` ALBs) and updates the load balancers; this construct makes what they are
    given: the infrastructure role, the inbound security group, the access-log bucket, the WAF
    association, and the cluster association.

    :param cluster: the :class:`NetworkedCluster` whose services join (at most 5 gateways per
        cluster, ECS's limit).
    :param public: internet-facing in the public subnets (default) or internal in the private
        subnets. **Create-only** (with the subnets, port and protocol): changing it replaces
        the gateway.
    :param port: the listener port (default 443). ECS Gateway serves HTTPS on a hostname it
        generates; it documents no custom domain or certificate of your own.
    :param allowed_cidrs: networks allowed to reach the listener (default: anywhere for a
        public gateway, the VPC for an internal one).
    :param web_acl_arn: a WAFv2 web ACL for the ALBs (a public gateway without one is
        reported by the compliance packs' rules for load balancers).
    :param access_logs: ALB access logs to an S3 bucket of this construct (default True).
    :param access_log_retention: how long access logs are kept (default 365 days).
    :param max_alb_count: at most this many ALBs (ECS's default 10).
    :param desync_mitigation: the ALBs' HTTP desync mode (default ``DEFENSIVE``).
    :param test_traffic_header: ``(name, values)``: requests with this header reach a
        deployment's test traffic.
    :param deletion_protection: (default True, ECS's).
    :param gateway_name: letters, digits and hyphens (default: from the construct path).
        **Create-only**.

    The service's HTTPS hostname is not a CloudFormation attribute: ECS returns it from
    ``ListGatewayRoutes``/``DescribeGatewayRoute`` (see the docs, "ECS Gateway"). ``arn`` is
    the gateway's ARN (the ``GatewayArn`` output).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        public: bool = True,
        port: int = 443,
        allowed_cidrs: Sequence[str] | None = None,
        web_acl_arn: str | None = None,
        access_logs: bool = True,
        access_log_retention: DurationLike = timedelta(days=365),
        max_alb_count: int | None = None,
        desync_mitigation: DesyncMitigation = DesyncMitigation.DEFENSIVE,
        test_traffic_header: tuple[str, Sequence[str]] | None = None,
        deletion_protection: bool = True,
        gateway_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        expect_bool("public", public)
        expect_bool("access_logs", access_logs)
        expect_bool("deletion_protection", deletion_protection)
        check_int_range("port", port, 1, 65535)
        if max_alb_count is not None:
            check_int_range("max_alb_count", max_alb_count, 1, 10)
        cidrs = cidr_tuple(allowed_cidrs)
        siblings = _BY_CLUSTER.setdefault(cluster, [])
        if len(siblings) >= GATEWAYS_PER_CLUSTER:
            raise InvalidParameterError(
                "cluster",
                cluster.node.path,
                f"a cluster with fewer than {GATEWAYS_PER_CLUSTER} gateways (ECS's limit; it "
                "has " + ", ".join(g.node.path for g in siblings) + ")",
                nearest="route more services through one gateway, or another cluster",
            )
        self.cluster = cluster
        self.public = public
        self.port = port
        self.access = GatewayAccess.PUBLIC if public else GatewayAccess.PRIVATE
        subnets = _subnets(cluster, public)
        name = gateway_name if gateway_name is not None else _default_name(self)
        if not GATEWAY_NAME.fullmatch(name):
            raise InvalidParameterError(
                "gateway_name",
                name,
                "1 to 255 letters, digits and hyphens",
                nearest=repr(re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:255] or "gateway"),
            )
        # ECS's trust policy for infrastructure roles has no condition keys (AWS documents none).
        self.infrastructure_role = iam.Role(
            self,
            "InfrastructureRole",
            assumed_by=iam.ServicePrincipal("ecs.amazonaws.com"),
            description="ECS Gateway makes and runs the gateway's load balancers",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(GATEWAY_POLICY)],
        )
        acknowledge(self.infrastructure_role, ECS_GATEWAY_ROLE)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            description="ECS Gateway load balancers: clients in on the listener port, out to "
            "tasks only",
            allow_all_outbound=False,
        )
        if public and cidrs is None:
            self.security_group.add_ingress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(port), "Clients, HTTPS"
            )
            acknowledge(self.security_group, PUBLIC_LISTENER_INGRESS)
        else:
            for cidr in cidrs or (cluster.vpc_cidr,):
                peer = ec2.Peer.ipv6(cidr) if ":" in cidr else ec2.Peer.ipv4(cidr)
                self.security_group.add_ingress_rule(
                    peer, ec2.Port.tcp(port), f"Clients from {cidr}"
                )
        self.access_log_bucket: s3.Bucket | None = None
        configuration: dict[str, Any] = {
            "Scheme": "internet-facing" if public else "internal",
            "Port": port,
            "Protocol": "HTTPS",
            "NetworkConfiguration": {
                "Subnets": [subnet.subnet_id for subnet in subnets],
                "InboundSecurityGroup": self.security_group.security_group_id,
            },
            "HttpDesync": desync_mitigation.value,
        }
        if access_logs:
            bucket = access_log_bucket(self, held(access_log_retention))
            allow_elb_log_delivery(bucket, ACCESS_LOG_PREFIX)
            self.access_log_bucket = bucket
            configuration["AccessLogs"] = {
                "Destination": {"S3": {"Bucket": bucket.bucket_name, "Prefix": ACCESS_LOG_PREFIX}}
            }
        if web_acl_arn is not None:
            configuration["WebACLArn"] = web_acl_arn
        if max_alb_count is not None:
            configuration["MaxAlbCount"] = max_alb_count
        if test_traffic_header is not None:
            header, values = test_traffic_header
            configuration["TestTrafficRules"] = {"Header": {"Name": header, "Values": list(values)}}
        # The raw resource until aws-cdk-lib's CfnGateway (2.276) is on the package index; its
        # id "Resource" gives the logical ID the L1 made at the same path will have.
        self.gateway = CfnResource(
            self,
            "Resource",
            type="AWS::ECS::Gateway",
            properties={
                "GatewayName": name,
                "InfrastructureRoleArn": self.infrastructure_role.role_arn,
                "Configuration": {"HostSharedAlb": configuration},
                "DeletionProtection": deletion_protection,
            },
        )
        if self.access_log_bucket is not None and self.access_log_bucket.policy is not None:
            self.gateway.node.add_dependency(self.access_log_bucket.policy)
        self.arn: str = self.gateway.get_att("Arn").to_string()
        self.association = CfnResource(
            self,
            "ClusterAssociation",
            type="AWS::ECS::GatewayClusterAssociations",
            properties={"Gateway": self.arn, "Cluster": cluster.cluster.cluster_name},
        )
        acknowledge(self, SCHEMA_NEWER_THAN_AWS_CDK)
        self.subnet_azs = _azs(subnets)
        siblings.append(self)
        CfnOutput(
            self,
            "GatewayArn",
            value=self.arn,
            description="ECS Gateway: the services' HTTPS hostnames are returned by "
            "ListGatewayRoutes for this gateway",
        )

    @checked
    def connector(
        self,
        *,
        port_name: str,
        health: TargetHealth | None = None,
        access: Sequence[GatewayAccess] | None = None,
    ) -> GatewayConnector:
        """A service's way in through this cluster's gateways:
        ``FargateService(..., load_balancer=gateway.connector(port_name="api-8080"))``.

        :param port_name: a named port of the task (``Port(8080, name="api")``; unnamed ports
            are ``<container>-<port>``).
        :param health: the gateway's health check of the tasks (default ``TargetHealth()``).
        :param access: which of the cluster's gateways the service joins (default: this
            gateway's kind, public or private); each kind needs a gateway of the cluster.
        """
        kinds = tuple(access) if access is not None else (self.access,)
        if not kinds or len(set(kinds)) != len(kinds):
            raise InvalidParameterError(
                "access",
                [k.name for k in kinds],
                "one or both of GatewayAccess.PUBLIC and GatewayAccess.PRIVATE, once each",
                nearest=f"access=[GatewayAccess.{self.access.name}]",
            )
        return GatewayConnector(
            gateway=self,
            port_name=port_name,
            health=health if health is not None else TargetHealth(),
            access=kinds,
        )


@checked
@dataclass(frozen=True, kw_only=True)
class GatewayConnector:
    """A service joining its cluster's ECS gateways (the service's one ``GatewayConnectors``
    entry; ECS allows one per service). Made by :meth:`EcsGateway.connector`."""

    gateway: EcsGateway
    port_name: str
    health: TargetHealth
    access: tuple[GatewayAccess, ...]

    def plan(self, site: IngressSite) -> IngressPlan:
        gateway = self.gateway
        if site.cluster.cluster is not gateway.cluster.cluster:
            raise InvalidParameterError(
                "cluster",
                site.cluster.node.path,
                f"the cluster {gateway.node.path} is associated with "
                f"({gateway.cluster.node.path}): a connector joins its own cluster's gateways",
                nearest=f"cluster={gateway.cluster.node.id}",
            )
        offered = sorted({g.access.name for g in _BY_CLUSTER.get(gateway.cluster, [])})
        for kind in self.access:
            if kind.name not in offered:
                raise InvalidParameterError(
                    "access",
                    [k.name for k in self.access],
                    f"kinds of gateway the cluster has ({', '.join(offered)})",
                    nearest="access=[" + ", ".join(f"GatewayAccess.{k}" for k in offered) + "]",
                )
        if site.deployment.needs_alternate_target:
            raise InvalidParameterError(
                "deployment",
                f"{type(site.deployment).__name__}(...)",
                "RollingDeployment(...) behind an ECS Gateway (this library drives blue/green "
                "shifts on load balancers it owns; the gateway's are ECS's)",
                given="load_balancer=gateway.connector(...)",
                nearest="deployment=RollingDeployment()",
            )
        ports = site.task.named_ports()
        if self.port_name not in ports:
            raise InvalidParameterError(
                "port_name",
                self.port_name,
                "a named port of the task (" + (", ".join(sorted(ports)) or "none") + ")",
                nearest=f"port_name={sorted(ports)[0]!r}" if ports else None,
            )
        container, port = ports[self.port_name]
        if site.target_container is not None and site.target_container != container:
            raise InvalidParameterError(
                "target_container",
                site.target_container,
                f"None or {container!r}: the gateway connector's port {self.port_name!r} is "
                "that container's",
                nearest="target_container=None",
            )
        tasks = _azs(
            site.cluster.vpc.select_subnets(subnet_type=site.cluster.task_subnet_type).subnets
        )
        missing = sorted(tasks - gateway.subnet_azs)
        if missing:
            raise InvalidParameterError(
                "load_balancer",
                f"{gateway.node.path}.connector(...)",
                "a gateway with subnets in every Availability Zone the tasks run in "
                f"(the gateway lacks {', '.join(missing)})",
            )
        return IngressPlan(target=(container, port.port))

    def bind(self, service: ServiceSide) -> IngressBinding:
        return _GatewayBinding(self, service)


class _GatewayBinding:
    def __init__(self, connector: GatewayConnector, service: ServiceSide) -> None:
        self.connector = connector
        self.service = service
        self.security_groups: tuple[ec2.ISecurityGroup, ...] = ()

    def attach(self, service: ecs.FargateService) -> Attached:
        connector = self.connector
        assert self.service.target is not None
        _, port = self.service.target
        # The gateway's load balancers reach the tasks on their port, and nothing else.
        self.service.security_group.add_ingress_rule(
            connector.gateway.security_group, ec2.Port.tcp(port), "ECS Gateway load balancers"
        )
        connector.gateway.security_group.add_egress_rule(
            self.service.security_group, ec2.Port.tcp(port), "To the tasks of a connected service"
        )
        health = gateway_health_check(connector.health, port)
        cfn = service.node.default_child
        assert isinstance(cfn, CfnResource)
        cfn.add_property_override(
            "GatewayConnectors",
            [
                {
                    "PortName": connector.port_name,
                    "HealthCheck": health,
                    "Filters": {"AccessTypes": [kind.value for kind in connector.access]},
                }
            ],
        )
        acknowledge(cfn, SCHEMA_NEWER_THAN_AWS_CDK)
        service.node.add_dependency(connector.gateway.association)
        return Attached(url=None)


def _subnets(cluster: NetworkedCluster, public: bool) -> list[ec2.ISubnet]:
    subnets = (
        cluster.vpc.public_subnets
        if public
        else cluster.vpc.select_subnets(subnet_type=cluster.task_subnet_type).subnets
    )
    if len(subnets) < 2:
        raise InvalidParameterError(
            "cluster",
            cluster.node.path,
            f"a network with {'public' if public else 'private'} subnets in at least two "
            "Availability Zones (ECS Gateway's load balancers need two)",
            nearest="NetworkedCluster(..., max_azs=2)",
        )
    return subnets


def _azs(subnets: Sequence[ec2.ISubnet]) -> set[str]:
    return {str(subnet.availability_zone) for subnet in subnets}


def _default_name(gateway: EcsGateway) -> str:
    name = Names.unique_resource_name(gateway, max_length=60, separator="-")
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-") or "gateway"
