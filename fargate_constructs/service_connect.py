"""Service Connect: services of one cluster call each other by name through the cluster's Cloud
Map namespace (``NetworkedCluster(service_connect_namespace=...)``).

A server names one of its task's ports (a port mapping name, so no second mapping is needed)
and a DNS name; a client declares which servers it calls. Each such edge opens exactly the
server's container port to exactly the client's security group (the client's proxy connects
to the server task's address on that port), and makes the client's service wait for the
server's: ECS hands a client task the endpoints that exist when it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aws_cdk import Names
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from constructs import Construct, IConstruct, Node

from .containers import Port, Transport
from .doors import checked
from .durations import DurationLike, check_seconds, normalize_durations, optional_held, to_duration
from .errors import InvalidParameterError
from .validation import check_int_range, check_service_dns_name, expect_str

if TYPE_CHECKING:
    from aws_cdk import aws_servicediscovery as servicediscovery

SERVICE_CONNECT_LOG_PREFIX = "service-connect"


@checked
@dataclass(frozen=True, kw_only=True)
class ServiceConnect:
    """Make a service a Service Connect server: services of the same cluster that call it
    (``connects_to=[this]``) reach it at ``http://<dns_name>:<alias_port>``.

    :param dns_name: the name clients use (default: the service's construct id in lower case);
        also its Cloud Map service name, so it must be unique in the namespace.
    :param port_name: the task port to serve, by its port mapping name (default: the main
        container's first port; ports are named ``<container>-<port>`` unless named).
    :param alias_port: the port clients use (default: the container port).
    :param per_request_timeout: for HTTP, HTTP2 and gRPC ports (default ECS's 15 s).
    :param idle_timeout: how long a connection may stay idle (default ECS's: 5 min for HTTP,
        1 h for TCP).
    """

    dns_name: str | None = None
    port_name: str | None = None
    alias_port: int | None = None
    per_request_timeout: DurationLike | None = None
    idle_timeout: DurationLike | None = None

    def __post_init__(self) -> None:
        normalize_durations(self, "per_request_timeout", "idle_timeout")
        if self.dns_name is not None:
            check_service_dns_name(self.dns_name)
        if self.port_name is not None:
            expect_str("port_name", self.port_name)
        if self.alias_port is not None:
            check_int_range("alias_port", self.alias_port, 1, 65535)
        for name in ("per_request_timeout", "idle_timeout"):
            value = optional_held(getattr(self, name))
            if value is not None:
                check_seconds(name, value, 0, 2_147_483)


def default_dns_name(construct_id: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", construct_id.lower()).strip("-")[:63]
    return cleaned or "service"


@checked
@dataclass(frozen=True, kw_only=True)
class ServerEndpoint:
    """Where a server listens: resolved from :class:`ServiceConnect` and the task's ports."""

    dns_name: str
    port_name: str
    container_port: int
    alias_port: int

    @property
    def address(self) -> str:
        return f"{self.dns_name}:{self.alias_port}"


class ServiceConnectCluster(Protocol):
    """A cluster as Service Connect sees it: its namespace and the names served in it."""

    @property
    def node(self) -> Node: ...

    @property
    def namespace(self) -> servicediscovery.INamespace | None: ...

    def _service_connect_owner(self, dns_name: str) -> str | None: ...


def check_service_connect(
    cluster: ServiceConnectCluster,
    ports: dict[str, tuple[str, Port]],
    settings: ServiceConnect | None,
    *,
    servers: int,
    service_id: str,
) -> ServerEndpoint | None:
    """Every Service Connect rule for one service, before it is made: a namespace on the
    cluster when it serves (``settings``) or calls (``servers`` > 0), a named TCP port to
    serve, and a DNS name no other server of the namespace uses. Returns its endpoint."""
    if (settings is not None or servers) and cluster.namespace is None:
        raise InvalidParameterError(
            "service_connect" if settings is not None else "connects_to",
            "ServiceConnect(...)" if settings is not None else f"{servers} services",
            "a cluster with a Service Connect namespace",
            given=f"cluster={cluster.node.path} without service_connect_namespace",
            nearest="NetworkedCluster(..., service_connect_namespace='internal')",
        )
    if settings is None:
        return None
    endpoint = resolve_endpoint(settings, service_id, ports)
    owner = cluster._service_connect_owner(endpoint.dns_name)
    if owner is not None:
        raise InvalidParameterError(
            "dns_name",
            endpoint.dns_name,
            f"a DNS name no other server uses in the namespace (taken by {owner})",
            nearest=f"dns_name={endpoint.dns_name + '-2'!r}",
        )
    return endpoint


def resolve_endpoint(
    settings: ServiceConnect, service_id: str, ports: dict[str, tuple[str, Port]]
) -> ServerEndpoint:
    """``ports`` maps port names to (container, port) of the task; the main container's first
    port comes first."""
    if not ports:
        raise InvalidParameterError(
            "service_connect",
            "ServiceConnect(...)",
            "a task with a named port to serve",
            given="a task without ports",
            nearest="FargateTaskWithRoles(..., container_port=8080)",
        )
    name = settings.port_name or next(iter(ports))
    if name not in ports:
        raise InvalidParameterError(
            "port_name",
            name,
            f"a port name of the task ({', '.join(sorted(ports))})",
            nearest=f"port_name={next(iter(ports))!r}",
        )
    container, port = ports[name]
    if port.transport is Transport.UDP:
        raise InvalidParameterError(
            "port_name",
            name,
            "a TCP port: Service Connect proxies TCP, HTTP, HTTP2 and gRPC only",
            given=f"container {container!r} port {port.port}/udp",
        )
    return ServerEndpoint(
        dns_name=settings.dns_name or default_dns_name(service_id),
        port_name=name,
        container_port=port.port,
        alias_port=settings.alias_port or port.port,
    )


def configure(
    service: ecs.FargateService,
    *,
    namespace_arn: str,
    log_driver: ecs.LogDriver,
    settings: ServiceConnect | None,
    endpoint: ServerEndpoint | None,
) -> None:
    """Turn Service Connect on for ``service``: as a server of ``endpoint`` or a client only."""
    services = None
    if settings is not None and endpoint is not None:
        services = [
            ecs.ServiceConnectService(
                port_mapping_name=endpoint.port_name,
                # Cloud Map service names must be unique in the namespace; port names repeat
                # across services (every web task has "app-8080"), DNS names may not.
                discovery_name=endpoint.dns_name,
                dns_name=endpoint.dns_name,
                port=endpoint.alias_port,
                per_request_timeout=to_duration(settings.per_request_timeout),
                idle_timeout=to_duration(settings.idle_timeout),
            )
        ]
    service.enable_service_connect(
        namespace=namespace_arn, services=services, log_driver=log_driver
    )


def open_edge(
    client: Construct,
    server: IConstruct,
    *,
    client_group: ec2.ISecurityGroup,
    server_group: ec2.ISecurityGroup,
    port: int,
) -> ec2.CfnSecurityGroupIngress:
    """Let ``client``'s tasks (``client_group``) reach ``server``'s (``server_group``) on
    ``port``, and nothing else. The rule lives with the client, so a client stack depends on
    its server's stack and never the other way round."""
    return ec2.CfnSecurityGroupIngress(
        client,
        f"ServiceConnectTo{Names.unique_id(server)}",
        group_id=server_group.security_group_id,
        source_security_group_id=client_group.security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"Service Connect from {client.node.path}",
    )
