"""The ingress seam: how a way in to a service's tasks plugs into :class:`FargateService`.

Every kind of ingress (a load balancer of the service's own, a route on a shared one, a
network load balancer, none; later ECS Gateway or VPC Lattice) implements :class:`Ingress`, and
the service calls it in three steps, never asking which kind it holds:

1. :meth:`Ingress.plan` before anything is made: check itself against the task, the
   deployment and the target, and say what the service must know up front (the target
   container and port, whether application load balancer metrics exist for the rollback alarm
   and request-count scaling, whether a health-check grace period applies).
2. :meth:`Ingress.bind` once the service's security group exists: make what must exist
   before the ECS service (a load balancer of its own) and name the extra security groups the
   tasks carry.
3. :meth:`IngressBinding.attach` once the ECS service exists: target groups, listener rules,
   the network load balancer; returns what it made as :class:`Attached`.

A new kind touches its own module, its tests and ``__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from .errors import InvalidParameterError

if TYPE_CHECKING:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_elasticloadbalancingv2 as elbv2
    from constructs import Construct, Node

    from .cluster import NetworkedCluster
    from .deployment import Deployment
    from .task import FargateTaskWithRoles


@dataclass(frozen=True, kw_only=True)
class IngressSite:
    """What an ingress is checked against, before the service exists."""

    scope: Construct
    cluster: NetworkedCluster
    task: FargateTaskWithRoles
    deployment: Deployment
    target_container: str | None = None
    target_port: int | None = None


@dataclass(frozen=True, kw_only=True)
class IngressPlan:
    """What the service must know before it makes anything.

    :param target: the container and port traffic goes to (None without an ingress).
    :param application_metrics: the ingress has ALB target groups, whose 5xx and unhealthy
        counts the rollback alarm watches and whose request count scaling may track.
    :param grace_period: ECS should ignore failing load balancer health checks of new tasks
        for ``health_check_grace_period``.
    """

    target: tuple[str, int] | None = None
    application_metrics: bool = False
    grace_period: bool = False


@dataclass(frozen=True, kw_only=True)
class Attached:
    """What an ingress made when it attached to the service.

    :param target_groups: ALB target groups (the service's alarms and request-count scaling
        watch them).
    :param url: where clients reach the service.
    :param application: an application load balancer's parts (a ``LoadBalancerAttachment``),
        exposed as ``FargateService.attachment``.
    :param network: a ``ServiceNetworkLoadBalancer``, exposed as
        ``FargateService.network_load_balancer``.
    """

    target_groups: tuple[elbv2.ApplicationTargetGroup, ...] = ()
    url: str | None = None
    # Typed by the kinds that fill them in: the seam does not know its implementations.
    application: Any = None
    network: Any = None


class ServiceSide(Protocol):
    """What an ingress sees of the service it binds to (a :class:`FargateService`)."""

    @property
    def node(self) -> Node: ...

    cluster: NetworkedCluster
    task: FargateTaskWithRoles
    deployment: Deployment
    security_group: ec2.SecurityGroup
    target: tuple[str, int] | None


class IngressBinding(Protocol):
    """An ingress bound to one service."""

    @property
    def security_groups(self) -> tuple[ec2.ISecurityGroup, ...]:
        """Security groups the service's tasks carry besides their own."""
        ...

    def attach(self, service: ecs.FargateService) -> Attached:
        """Connect the ECS service to this ingress."""
        ...


class Ingress(Protocol):
    """A way in to a service's tasks: ``FargateService(..., load_balancer=<an Ingress>)``."""

    def plan(self, site: IngressSite) -> IngressPlan:
        """Check against ``site`` (raise :class:`InvalidParameterError`) and say what the
        service must know before it makes anything."""
        ...

    def bind(self, service: ServiceSide) -> IngressBinding:
        """Make what must exist before the ECS service; called once per service."""
        ...


def _id_of(construct: Any) -> str:
    node = getattr(construct, "node", None)
    name = str(node.id) if node is not None else "shared"
    return name[:1].lower() + name[1:]


class NoIngress:
    """No way in from outside: a backend reached over Service Connect, or a worker."""

    def plan(self, site: IngressSite) -> IngressPlan:
        if site.deployment.needs_alternate_target:
            raise InvalidParameterError(
                "deployment",
                f"{type(site.deployment).__name__}(...)",
                "RollingDeployment(...) without a load balancer: blue/green, canary and linear "
                "deployments shift load balancer traffic between two target groups",
                given="load_balancer=None",
                nearest="deployment=RollingDeployment(), or load_balancer=LoadBalancer(...)",
            )
        if site.target_container is not None or site.target_port is not None:
            parameter = "target_container" if site.target_container is not None else "target_port"
            raise InvalidParameterError(
                parameter,
                site.target_container if site.target_container is not None else site.target_port,
                "None for a service without a load balancer",
                given="load_balancer=None",
            )
        return IngressPlan()

    def bind(self, service: ServiceSide) -> IngressBinding:
        return _Unbound()


class _Unbound:
    security_groups: tuple[ec2.ISecurityGroup, ...] = ()

    def attach(self, service: ecs.FargateService) -> Attached:
        return Attached()


def _ingress_words() -> str:
    return "a LoadBalancer(...), a SharedLoadBalancer's .route(...), a NetworkLoadBalancer(...)"


def _ingress_nearest(value: Any) -> str | None:
    """The right call for the values users pass by mistake."""
    kind = type(value)
    if hasattr(kind, "route") and hasattr(value, "listener"):
        return (
            f"{_id_of(value)}.route(priority=10, host_headers=['app.example.com']) "
            "(a shared load balancer serves each service through a route of its own)"
        )
    if isinstance(value, type) and hasattr(value, "plan") and hasattr(value, "bind"):
        return f"{value.__name__}(...) (an instance, not the class)"
    if isinstance(value, type) and hasattr(value, "route"):
        return f"{value.__name__}(self, 'Alb', cluster=...).route(priority=10, ...)"
    if isinstance(value, str):
        if "n" in value.lower() and "lb" in value.lower():
            return "NetworkLoadBalancer()"
        return "LoadBalancer(certificate=...)"
    if kind.__module__.endswith("aws_elasticloadbalancingv2"):
        return (
            "LoadBalancer(...) or SharedLoadBalancer(...).route(...): adopting an existing "
            f"elbv2.{kind.__name__} is not supported, since its listeners, certificates "
            "and security groups are not known to the library, which then could not "
            "keep its guarantees (HTTPS only, access logs, ingress only on the listener)"
        )
    return None


# How the doors describe the seam to a user who passed something else (not protocol members).
Ingress._door_words = staticmethod(_ingress_words)  # type: ignore[attr-defined]
Ingress._door_nearest = staticmethod(_ingress_nearest)  # type: ignore[attr-defined]


def scope_of(service: ServiceSide) -> Construct:
    """The service as the scope of what an ingress makes (a ServiceSide is a FargateService
    construct; the protocol names only what ingresses read)."""
    return cast("Construct", service)
