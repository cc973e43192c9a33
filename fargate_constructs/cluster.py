"""NetworkedCluster: a VPC whose private subnets are the slots Fargate tasks take, and a cluster."""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnResource, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from .checks import register_check
from .checks.reachability import ReachabilityCheck, TaskReach, endpoints_needed
from .checks.subnet_capacity import SubnetCapacityCheck, TaskDemand
from .compliance import (
    CUSTOM_RESOURCE_LAMBDA,
    PUBLIC_SUBNET_INTERNET_ROUTE,
    REDUNDANT_DEPENDS_ON,
    acknowledge,
    ignore_lint_check,
)
from .doors import checked
from .endpoints import GATEWAY_ENDPOINTS, KNOWN_ENDPOINTS, TASK_START_ENDPOINTS
from .errors import InvalidParameterError
from .log_groups import DEFAULT_LOG_RETENTION, create_log_group, create_log_key
from .roles import account_service_principal
from .scopes import remember_scope, stack_of
from .validation import check_ecs_name, check_service_dns_name, expect_str_tuple

DEFAULT_CIDR = "10.0.0.0/16"
# AWS accepts VPC and subnet prefixes from /16 to /28.
_LARGEST_PREFIX = 16
_SMALLEST_PREFIX = 28

# Construct ids of the endpoints made before 0.4 (a contract: renaming replaces them).
_ENDPOINT_IDS = {
    "ecr.api": "EcrApiEndpoint",
    "ecr.dkr": "EcrDockerEndpoint",
    "logs": "LogsEndpoint",
    "secretsmanager": "SecretsManagerEndpoint",
    "ssm": "SsmEndpoint",
    "s3": "S3Endpoint",
    "dynamodb": "DynamoDbEndpoint",
}
AUTO = "auto"


def subnet_prefix_for(cidr: str, max_azs: int) -> int:
    """Prefix length of each subnet when ``cidr`` is split evenly into a public and a private
    subnet per AZ (what ``ec2.Vpc`` does when no mask is given)."""
    network = _parse_cidr(cidr)
    prefix = network.prefixlen + _bits_for(2 * max_azs)
    if prefix > _SMALLEST_PREFIX:
        smallest_vpc = _SMALLEST_PREFIX - _bits_for(2 * max_azs)
        raise InvalidParameterError(
            "cidr",
            cidr,
            f"a block that fits {2 * max_azs} subnets of at least /{_SMALLEST_PREFIX} "
            f"(public and private in {max_azs} AZs), i.e. /{smallest_vpc} or larger",
            nearest=f"cidr='{network.supernet(new_prefix=smallest_vpc)}'",
        )
    return prefix


def _bits_for(count: int) -> int:
    """Bits of address space that split a block into at least ``count`` equal parts."""
    return (count - 1).bit_length()


def usable_ips_per_subnet(prefix: int) -> int:
    """Addresses a subnet of this prefix offers to tasks: AWS reserves 5 in every subnet."""
    return (1 << (32 - prefix)) - 5


def _parse_cidr(cidr: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as error:
        nearest = None
        with contextlib.suppress(ValueError):
            nearest = f"cidr='{_vpc_block(ipaddress.IPv4Network(cidr, strict=False))}'"
        raise InvalidParameterError(
            "cidr",
            cidr,
            f"an IPv4 network in CIDR notation with no host bits set ({error})",
            nearest=nearest,
        ) from None
    if not _LARGEST_PREFIX <= network.prefixlen <= _SMALLEST_PREFIX:
        raise InvalidParameterError(
            "cidr",
            cidr,
            f"a VPC block from /{_LARGEST_PREFIX} to /{_SMALLEST_PREFIX}",
            nearest=f"cidr='{_vpc_block(network)}'",
        )
    return network


def _vpc_block(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    """The block of a VPC's allowed size (/16 to /28) nearest to ``network``."""
    if network.prefixlen < _LARGEST_PREFIX:
        return ipaddress.IPv4Network(f"{network.network_address}/{_LARGEST_PREFIX}")
    if network.prefixlen > _SMALLEST_PREFIX:
        return network.supernet(new_prefix=_SMALLEST_PREFIX)
    return network


@checked
class NetworkedCluster(Construct):
    """A VPC with public subnets and private task subnets in each AZ, and an ECS cluster with the
    FARGATE and FARGATE_SPOT capacity providers.

    The private subnets are the "slots" Fargate tasks take: every task gets one private IP of
    its subnet (awsvpc). Tasks are placed in :attr:`task_subnets` and never get a public IP.

    :param max_azs: availability zones to spread subnets over (default 2). Stacks without an
        explicit ``env`` can only resolve 2 AZs.
    :param nat_gateways: 0, 1 (default) or up to ``max_azs``. With 0 the private subnets are
        isolated and the VPC endpoints tasks need to start are added (ECR, Logs, Secrets
        Manager, SSM, S3), so tasks still start without internet access.
    :param cidr: the VPC's IPv4 block (default ``10.0.0.0/16``), split evenly into one public
        and one private subnet per AZ.
    :param vpc: adopt an existing VPC instead of creating one. It must have private (with
        egress) or isolated subnets; ``max_azs``, ``nat_gateways``, ``cidr`` and ``flow_logs``
        then do not apply.
    :param vpc_endpoints: add the task-start VPC endpoints (ECR api and dkr, S3, Logs,
        Secrets Manager, SSM). Default: only when ``nat_gateways=0`` (where they are required).
    :param endpoints: more endpoints by service name (``["sqs", "kms", "ssmmessages",
        "dynamodb"]``; S3 and DynamoDB as free gateway endpoints, the others as interface
        endpoints at $0.01 per AZ-hour), or ``"auto"``: exactly the endpoints the cluster's
        tasks need (task start plus what their roles call), added as services are placed.
        Without a NAT route, the reachability check fails synth for a task calling an API
        that has no endpoint.
    :param container_insights: turn on Container Insights for the cluster (default True); for
        an adopted ``ecs_cluster``, whether it has it on (default False).
    :param flow_logs: send the VPC's flow logs (all traffic) to an encrypted log group
        (default True).
    :param log_retention: retention of the flow log group (default one year).
    :param cluster_name: physical name of the cluster (default: generated by CloudFormation).
    :param restrict_default_security_group: remove every rule of the VPC's default security
        group (default True), through aws-cdk-lib's Lambda-backed custom resource. Turn off
        only where that Lambda cannot run (an emulator without containers) or an
        organization policy already does it.
    :param ecs_cluster: adopt an existing ECS cluster (and its VPC) instead of creating one,
        e.g. the cluster an ``ecs_patterns`` app already runs (``service.cluster``) or
        ``ecs.Cluster.from_cluster_attributes(...)`` with its ``vpc``. Its running services are
        untouched. The library associates FARGATE and FARGATE_SPOT with it (an
        ``AWS::ECS::ClusterCapacityProviderAssociations``; if another stack already manages
        that cluster's capacity providers, the two would fight: keep one). ``max_azs``,
        ``nat_gateways``, ``cidr``, ``flow_logs`` and ``cluster_name`` then do not apply;
        ``container_insights`` says whether the adopted cluster records Container Insights
        (default for an adopted cluster: False, which is what the library can rely on).
        Service Connect needs a cluster made in this app (``ecs.Cluster``), whose default
        namespace the library can add.
    :param service_connect_namespace: create a Cloud Map namespace of this name (e.g.
        ``"prod.internal"``) for Service Connect, the cluster's default (default: none;
        services with ``service_connect=`` or ``connects_to=`` need one). An HTTP namespace:
        Service Connect resolves names through its proxy, so no Route 53 zone is made.
    """

    @classmethod
    def _door_nearest(cls, value: object) -> str | None:
        if type(value).__name__ == "Cluster":
            return (
                "NetworkedCluster(self, 'Network', ecs_cluster=existing_cluster) (it adopts the "
                "cluster and its VPC and adds the capacity providers)"
            )
        return "NetworkedCluster(self, 'Network')"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        max_azs: int = 2,
        nat_gateways: int = 1,
        cidr: str = DEFAULT_CIDR,
        vpc: ec2.IVpc | None = None,
        vpc_endpoints: bool | None = None,
        container_insights: bool | None = None,
        flow_logs: bool = True,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        cluster_name: str | None = None,
        restrict_default_security_group: bool = True,
        service_connect_namespace: str | None = None,
        endpoints: Sequence[str] | str = (),
        ecs_cluster: ecs.ICluster | None = None,
    ) -> None:
        # Validate everything before creating any resource.
        if ecs_cluster is not None:
            vpc = _check_adopted_cluster(ecs_cluster, vpc, cluster_name, service_connect_namespace)
        if cluster_name is not None:
            check_ecs_name("cluster_name", cluster_name)
        if service_connect_namespace is not None:
            check_service_dns_name(service_connect_namespace, "service_connect_namespace")
        if vpc is None:
            _check_max_azs(max_azs)
            _check_nat_gateways(nat_gateways, max_azs)
            _check_endpoints_with_nat(vpc_endpoints, nat_gateways)
            prefix = subnet_prefix_for(cidr, max_azs)
            auto = endpoints == AUTO
            add_endpoints = (
                nat_gateways == 0 and not auto if vpc_endpoints is None else vpc_endpoints
            )
        else:
            task_subnet_type = _adopted_task_subnet_type(vpc)
            auto = endpoints == AUTO
            add_endpoints = bool(vpc_endpoints)
        extra_endpoints = () if auto else _check_endpoint_names(endpoints)
        super().__init__(scope, id)
        remember_scope(self, scope)

        self.log_key: kms.IKey = create_log_key(self, "LogKey")
        """KMS key for this cluster's log groups; pass it to tasks to reuse it."""
        self.flow_log_group: logs.ILogGroup | None = None
        if vpc is None:
            task_subnet_type = (
                ec2.SubnetType.PRIVATE_WITH_EGRESS
                if nat_gateways > 0
                else ec2.SubnetType.PRIVATE_ISOLATED
            )
            self.vpc: ec2.IVpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(cidr),
                max_azs=max_azs,
                nat_gateways=nat_gateways,
                subnet_configuration=[
                    ec2.SubnetConfiguration(
                        name="Public",
                        subnet_type=ec2.SubnetType.PUBLIC,
                        cidr_mask=prefix,
                        # Only NAT gateways (Elastic IPs) and load balancers live here.
                        map_public_ip_on_launch=False,
                    ),
                    ec2.SubnetConfiguration(
                        name="Private", subnet_type=task_subnet_type, cidr_mask=prefix
                    ),
                ],
                restrict_default_security_group=restrict_default_security_group,
            )
            acknowledge(self.vpc, PUBLIC_SUBNET_INTERNET_ROUTE)
            if restrict_default_security_group:
                _quiet_default_security_group_provider(stack_of(self))
            if flow_logs:
                self.flow_log_group = self._add_flow_logs(log_retention)
        else:
            self.vpc = vpc

        self._vpc_cidr = cidr if vpc is None else None
        # An adopted cluster's setting is unknown here: by default, do not rely on it.
        self.container_insights = (
            (ecs_cluster is None) if container_insights is None else container_insights
        )
        self._reserved_ips: list[tuple[int, str]] = []
        self.task_subnets = ec2.SubnetSelection(subnet_type=task_subnet_type)
        """The subnets (slots) the cluster's tasks are placed in."""

        self.endpoints_security_group: ec2.SecurityGroup | None = None
        self.vpc_endpoints: dict[str, ec2.IVpcEndpoint] = {}
        """The VPC endpoints this cluster made, by service name (``"sqs"``, ``"s3"``)."""
        self.auto_endpoints = auto
        self._capacity_check = SubnetCapacityCheck(self)
        self._reachability_check = ReachabilityCheck(self)
        if add_endpoints:
            self.add_endpoints(*TASK_START_ENDPOINTS)
        self.add_endpoints(*extra_endpoints)

        self.cluster: ecs.ICluster
        if ecs_cluster is not None:
            self.cluster = ecs_cluster
        else:
            self.cluster = ecs.Cluster(
                self,
                "Cluster",
                vpc=self.vpc,
                cluster_name=cluster_name,
                container_insights_v2=(
                    ecs.ContainerInsights.ENABLED
                    if self.container_insights
                    else ecs.ContainerInsights.DISABLED
                ),
            )
        self.namespace: servicediscovery.INamespace | None = None
        """The Cloud Map namespace of Service Connect (with ``service_connect_namespace``)."""
        if service_connect_namespace is not None:
            assert isinstance(self.cluster, ecs.Cluster)
            self.namespace = self.cluster.add_default_cloud_map_namespace(
                name=service_connect_namespace,
                type=servicediscovery.NamespaceType.HTTP,
                use_for_service_connect=True,
            )
        self._service_connect_names: dict[str, str] = {}
        register_check(self, self._capacity_check)
        register_check(self, self._reachability_check)
        # Made here rather than by enable_fargate_capacity_providers (which adds it late, in an
        # aspect) so services can depend on it: a service that names FARGATE_SPOT before the
        # association exists fails to create.
        self.capacity_providers = ecs.CfnClusterCapacityProviderAssociations(
            self,
            "CapacityProviders",
            cluster=self.cluster.cluster_name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategy=[
                ecs.CfnClusterCapacityProviderAssociations.CapacityProviderStrategyProperty(
                    capacity_provider="FARGATE", weight=1
                )
            ],
        )

    def _reserve_ips_per_subnet(self, count: int, reason: str) -> None:
        """Record IPs something other than tasks takes in each task subnet (endpoints,
        internal load balancers), for the subnet capacity check."""
        self._reserved_ips.append((count, reason))

    def task_ip_capacity(self) -> tuple[int, str] | None:
        """IPs the task subnets offer to tasks, and how that was counted; None if unknown."""
        subnets = self.vpc.select_subnets(subnet_type=self.task_subnet_type).subnets
        try:
            blocks = [subnet.ipv4_cidr_block for subnet in subnets]
        except RuntimeError:
            return None
        if not subnets or any(Token.is_unresolved(block) for block in blocks):
            return None
        prefixes = [int(block.split("/")[1]) for block in blocks]
        reserved = sum(count for count, _ in self._reserved_ips)
        usable = sum(usable_ips_per_subnet(prefix) for prefix in prefixes) - reserved * len(blocks)
        sizes = ", ".join(f"/{prefix}" for prefix in prefixes)
        explained = f"{len(blocks)} subnets ({sizes}), 5 addresses reserved by AWS in each"
        for count, reason in self._reserved_ips:
            explained += f", {count} per subnet for {reason}"
        return max(usable, 0), explained

    @property
    def vpc_cidr(self) -> str:
        """The VPC's IPv4 block: the literal ``cidr`` for a VPC made here (which rule checkers
        can read), else the adopted VPC's (possibly a token)."""
        if self._vpc_cidr is not None:
            return self._vpc_cidr
        try:
            return self.vpc.vpc_cidr_block
        except RuntimeError as error:
            raise InvalidParameterError(
                "vpc",
                self.vpc.node.path,
                "a VPC whose CIDR block is known (Vpc.from_lookup, or vpc_cidr_block given to "
                "Vpc.from_vpc_attributes) when security group rules must name it",
            ) from error

    @property
    def task_subnet_type(self) -> ec2.SubnetType:
        """PRIVATE_WITH_EGRESS behind NAT, or PRIVATE_ISOLATED with VPC endpoints."""
        subnet_type = self.task_subnets.subnet_type
        assert subnet_type is not None
        return subnet_type

    def _add_flow_logs(self, retention: logs.RetentionDays) -> logs.LogGroup:
        log_group = create_log_group(self, "FlowLogGroup", key=self.log_key, retention=retention)
        role = iam.Role(
            self,
            "FlowLogRole",
            # Only flow logs of this account and region (aws:SourceAccount, aws:SourceArn), as
            # AWS's flow-log role documentation shows against the confused deputy.
            assumed_by=account_service_principal(
                self,
                "vpc-flow-logs.amazonaws.com",
                source_service="ec2",
                source_resource="vpc-flow-log",
                source_resource_name="*",
            ),
            description="Lets VPC Flow Logs write to the VPC's flow log group",
        )
        # A customer-managed policy instead of CDK's inline grants (the compliance packs reject
        # inline policies); without_policy_updates() stops FlowLog from adding its own.
        iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[log_group.log_group_arn],
                ),
            ],
        )
        ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                log_group, role.without_policy_updates()
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        return log_group

    @property
    def has_nat_route(self) -> bool:
        """Whether the task subnets reach the internet (through NAT)."""
        return self.task_subnet_type is not ec2.SubnetType.PRIVATE_ISOLATED

    def add_endpoints(self, *names: str) -> None:
        """Add VPC endpoints by service name (those already made are skipped): ``s3`` and
        ``dynamodb`` as gateway endpoints on the task subnets' route tables, the others as
        interface endpoints in the task subnets, reachable over HTTPS from the VPC only."""
        for name in _check_endpoint_names(names):
            if name in self.vpc_endpoints:
                continue
            construct_id = _ENDPOINT_IDS.get(name) or _endpoint_id(name)
            if name in GATEWAY_ENDPOINTS:
                service = (
                    ec2.GatewayVpcEndpointAwsService.S3
                    if name == "s3"
                    else ec2.GatewayVpcEndpointAwsService.DYNAMODB
                )
                self.vpc_endpoints[name] = ec2.GatewayVpcEndpoint(
                    self, construct_id, vpc=self.vpc, service=service, subnets=[self.task_subnets]
                )
                continue
            self.vpc_endpoints[name] = ec2.InterfaceVpcEndpoint(
                self,
                construct_id,
                vpc=self.vpc,
                service=ec2.InterfaceVpcEndpointAwsService(name),
                subnets=self.task_subnets,
                private_dns_enabled=True,
                security_groups=[self._endpoints_group()],
                open=False,
            )
            self._reserve_ips_per_subnet(1, f"the {name} interface endpoint")

    def _register(
        self,
        by: Construct,
        task: TaskReach,
        *,
        demand: TaskDemand | None = None,
        dns_name: str | None = None,
    ) -> None:
        """How a workload joins the cluster (services and ``grant_run`` call this): ``task``
        runs here, placed by ``by``; ``demand`` takes task IPs (a service), ``dns_name`` is
        its Service Connect name. In ``endpoints="auto"`` mode, the endpoints the task needs
        so far are added."""
        if dns_name is not None:
            self._service_connect_names[dns_name] = by.node.path
        if demand is not None:
            self._capacity_check.add(demand)
        self._reachability_check.add(task, by)
        if self.auto_endpoints and not self.has_nat_route:
            self.add_endpoints(*endpoints_needed(task))

    def _register_demand(self, demand: TaskDemand) -> None:
        """Count ``demand``'s IPs against the subnets (an EKS cluster's Fargate pods)."""
        self._capacity_check.add(demand)

    def _service_connect_owner(self, dns_name: str) -> str | None:
        """The path of the service that serves ``dns_name`` in the namespace, if one does."""
        return self._service_connect_names.get(dns_name)

    def _endpoints_group(self) -> ec2.SecurityGroup:
        if self.endpoints_security_group is None:
            self.endpoints_security_group = ec2.SecurityGroup(
                self,
                "EndpointsSecurityGroup",
                vpc=self.vpc,
                description="HTTPS from inside the VPC to the task-start VPC endpoints",
                allow_all_outbound=False,
            )
            self.endpoints_security_group.add_ingress_rule(
                ec2.Peer.ipv4(self.vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC to AWS APIs"
            )
        return self.endpoints_security_group


def _endpoint_id(name: str) -> str:
    return "".join(part.title() for part in re.split(r"[^a-z0-9]+", name)) + "Endpoint"


def _check_endpoint_names(names: Any) -> tuple[str, ...]:
    if isinstance(names, str):
        raise InvalidParameterError(
            "endpoints",
            names,
            "'auto' or a list of endpoint service names",
            nearest=f"endpoints=[{names!r}]" if names in KNOWN_ENDPOINTS else "endpoints='auto'",
        )
    checked = expect_str_tuple("endpoints", names)
    for name in checked:
        if name not in KNOWN_ENDPOINTS:
            close = difflib.get_close_matches(name.lower(), sorted(KNOWN_ENDPOINTS), n=1)
            raise InvalidParameterError(
                "endpoints",
                name,
                f"endpoint service names: {', '.join(sorted(KNOWN_ENDPOINTS))}",
                nearest=repr(close[0]) if close else None,
            )
    return checked


def _quiet_default_security_group_provider(stack: Stack) -> None:
    """aws-cdk-lib's provider that empties the default security group (one per stack)."""
    provider = stack.node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
    handler = provider.node.try_find_child("Handler") if provider is not None else None
    if isinstance(handler, CfnResource):
        ignore_lint_check(handler, "W3005", REDUNDANT_DEPENDS_ON)
        acknowledge(handler, CUSTOM_RESOURCE_LAMBDA)


def _check_max_azs(max_azs: int) -> None:
    if max_azs < 1:
        raise InvalidParameterError(
            "max_azs", max_azs, "an integer of 1 or more", nearest="max_azs=1"
        )


def _check_nat_gateways(nat_gateways: int, max_azs: int) -> None:
    if not 0 <= nat_gateways <= max_azs:
        nearest = min(max(nat_gateways, 0), max_azs)
        raise InvalidParameterError(
            "nat_gateways",
            nat_gateways,
            f"0 (isolated subnets with VPC endpoints) up to max_azs={max_azs} "
            "(one NAT gateway per AZ)",
            nearest=f"nat_gateways={nearest}",
        )


def _check_endpoints_with_nat(vpc_endpoints: bool | None, nat_gateways: int) -> None:
    if nat_gateways == 0 and vpc_endpoints is False:
        raise InvalidParameterError(
            "vpc_endpoints",
            vpc_endpoints,
            "True or None (the default) when nat_gateways=0",
            nearest="vpc_endpoints=None",
            hint="Tasks in isolated subnets cannot reach ECR or CloudWatch Logs without the "
            "endpoints, so they would never start",
        )


def _check_adopted_cluster(
    ecs_cluster: ecs.ICluster,
    vpc: ec2.IVpc | None,
    cluster_name: str | None,
    service_connect_namespace: str | None,
) -> ec2.IVpc:
    """The adopted cluster's VPC, after the settings that cannot go with adoption."""
    path = ecs_cluster.node.path
    if cluster_name is not None:
        raise InvalidParameterError(
            "cluster_name",
            cluster_name,
            "None with ecs_cluster= (the adopted cluster keeps its name)",
            given=f"ecs_cluster={path}",
            nearest="cluster_name=None",
        )
    if vpc is not None and vpc.node.path != ecs_cluster.vpc.node.path:
        raise InvalidParameterError(
            "vpc",
            vpc.node.path,
            f"None or the adopted cluster's own VPC ({ecs_cluster.vpc.node.path}): tasks run "
            "in the cluster's VPC",
            given=f"ecs_cluster={path}",
            nearest="vpc=None",
        )
    if service_connect_namespace is not None and not isinstance(ecs_cluster, ecs.Cluster):
        raise InvalidParameterError(
            "service_connect_namespace",
            service_connect_namespace,
            "None for an imported cluster: the library adds a Service Connect namespace only "
            "to a cluster made in this app (ecs.Cluster)",
            given=f"ecs_cluster={path} (imported)",
            nearest="service_connect_namespace=None",
        )
    return ecs_cluster.vpc


def _adopted_task_subnet_type(vpc: ec2.IVpc) -> ec2.SubnetType:
    if vpc.private_subnets:
        return ec2.SubnetType.PRIVATE_WITH_EGRESS
    if vpc.isolated_subnets:
        return ec2.SubnetType.PRIVATE_ISOLATED
    raise InvalidParameterError(
        "vpc",
        vpc.node.path,
        "a VPC with private (with egress) or isolated subnets for the tasks",
        hint="The adopted VPC has only public subnets; Fargate tasks of this library never "
        "run in public subnets or get public IPs",
    )
