"""AWS CDK constructs for ECS Fargate: validated sizing, least-privilege roles, safe deployments.

The public API is re-exported here. Constructs load aws_cdk (and with it the jsii Node.js
runtime) only when first used, so the pure modules (sizing, pricing) and the command line stay
fast and work on a machine without Node.js.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version
from typing import TYPE_CHECKING, Any

from .errors import ChecksFailedError, FargateConstructsError, InvalidParameterError
from .sizing import Architecture, OperatingSystem, TaskSize

try:
    # The version is written once, in pyproject.toml; this reads what was installed.
    __version__ = _installed_version("fargate-constructs")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from .addons import CopilotAddon
    from .alarms import AlarmThresholds, ServiceAlarms
    from .capacity import Capacity
    from .checks import check, synth
    from .cluster import NetworkedCluster
    from .containers import AppProtocol, Container, Dependency, HealthCheck, Mount, Port, Transport
    from .dashboard import ServiceDashboard
    from .deployment import (
        BlueGreenDeployment,
        CanaryDeployment,
        LinearDeployment,
        RollingDeployment,
    )
    from .deployment_controls import (
        CircuitBreaker,
        EarlySuccess,
        LambdaHook,
        LifecycleStage,
        PauseHook,
        RevisionCleanup,
        TimeoutAction,
    )
    from .domain import Domain
    from .eks import EksFargateCluster, FargateProfile, PodSelector
    from .eks_sizing import ContainerRequest, PodSize, pod_size
    from .express import ExpressMetric, ExpressScaling, ExpressService
    from .gateway import DesyncMitigation, EcsGateway, GatewayAccess, GatewayConnector
    from .load_balancer import LoadBalancer, Route, SharedLoadBalancer
    from .log_groups import limit_grants_to_aws_services
    from .network_load_balancer import (
        HealthCheckProtocol,
        NetworkLoadBalancer,
        NlbProtocol,
        ServiceNetworkLoadBalancer,
    )
    from .queue_worker import PublishedTopic, QueueWorker, Subscription
    from .roles import ManagedPolicyRole, account_service_principal
    from .scaling import (
        AutoScaling,
        BacklogTracking,
        ScheduledScaling,
        Step,
        StepScaling,
        TargetTracking,
    )
    from .scheduled_task import ScheduledTask
    from .service import FargateService
    from .service_connect import ServerEndpoint, ServiceConnect
    from .sidecars import FireLens, Tracing
    from .target_health import ProtocolVersion, TargetHealth
    from .task import FargateTaskWithRoles
    from .template_patches import TemplatePatches
    from .volumes import EfsVolume, SharedVolume
    from .waf import ManagedWebAcl

_LAZY = {
    "DesyncMitigation": ".gateway",
    "EcsGateway": ".gateway",
    "GatewayAccess": ".gateway",
    "GatewayConnector": ".gateway",
    "ExpressMetric": ".express",
    "ExpressScaling": ".express",
    "ExpressService": ".express",
    "CopilotAddon": ".addons",
    "TemplatePatches": ".template_patches",
    "AppProtocol": ".containers",
    "Container": ".containers",
    "Dependency": ".containers",
    "HealthCheck": ".containers",
    "Mount": ".containers",
    "Port": ".containers",
    "Transport": ".containers",
    "FireLens": ".sidecars",
    "Tracing": ".sidecars",
    "EfsVolume": ".volumes",
    "SharedVolume": ".volumes",
    "Capacity": ".capacity",
    "check": ".checks",
    "synth": ".checks",
    "CircuitBreaker": ".deployment_controls",
    "EarlySuccess": ".deployment_controls",
    "LambdaHook": ".deployment_controls",
    "LifecycleStage": ".deployment_controls",
    "PauseHook": ".deployment_controls",
    "RevisionCleanup": ".deployment_controls",
    "TimeoutAction": ".deployment_controls",
    "BlueGreenDeployment": ".deployment",
    "CanaryDeployment": ".deployment",
    "LinearDeployment": ".deployment",
    "RollingDeployment": ".deployment",
    "LoadBalancer": ".load_balancer",
    "ProtocolVersion": ".target_health",
    "Domain": ".domain",
    "HealthCheckProtocol": ".network_load_balancer",
    "NetworkLoadBalancer": ".network_load_balancer",
    "NlbProtocol": ".network_load_balancer",
    "ServiceNetworkLoadBalancer": ".network_load_balancer",
    "ServerEndpoint": ".service_connect",
    "ServiceConnect": ".service_connect",
    "Route": ".load_balancer",
    "SharedLoadBalancer": ".load_balancer",
    "TargetHealth": ".target_health",
    "EksFargateCluster": ".eks",
    "FargateProfile": ".eks",
    "PodSelector": ".eks",
    "ContainerRequest": ".eks_sizing",
    "PodSize": ".eks_sizing",
    "pod_size": ".eks_sizing",
    "FargateService": ".service",
    "ServiceDashboard": ".dashboard",
    "AlarmThresholds": ".alarms",
    "ServiceAlarms": ".alarms",
    "AutoScaling": ".scaling",
    "BacklogTracking": ".scaling",
    "PublishedTopic": ".queue_worker",
    "QueueWorker": ".queue_worker",
    "Subscription": ".queue_worker",
    "ScheduledTask": ".scheduled_task",
    "ScheduledScaling": ".scaling",
    "Step": ".scaling",
    "StepScaling": ".scaling",
    "TargetTracking": ".scaling",
    "NetworkedCluster": ".cluster",
    "FargateTaskWithRoles": ".task",
    "ManagedPolicyRole": ".roles",
    "ManagedWebAcl": ".waf",
    "account_service_principal": ".roles",
    "limit_grants_to_aws_services": ".log_groups",
}

__all__ = [
    "AlarmThresholds",
    "AppProtocol",
    "Architecture",
    "AutoScaling",
    "BacklogTracking",
    "BlueGreenDeployment",
    "CanaryDeployment",
    "Capacity",
    "ChecksFailedError",
    "CircuitBreaker",
    "Container",
    "ContainerRequest",
    "CopilotAddon",
    "Dependency",
    "DesyncMitigation",
    "Domain",
    "EarlySuccess",
    "EcsGateway",
    "EfsVolume",
    "EksFargateCluster",
    "ExpressMetric",
    "ExpressScaling",
    "ExpressService",
    "FargateConstructsError",
    "FargateProfile",
    "FargateService",
    "FargateTaskWithRoles",
    "FireLens",
    "GatewayAccess",
    "GatewayConnector",
    "HealthCheck",
    "HealthCheckProtocol",
    "InvalidParameterError",
    "LambdaHook",
    "LifecycleStage",
    "LinearDeployment",
    "LoadBalancer",
    "ManagedPolicyRole",
    "ManagedWebAcl",
    "Mount",
    "NetworkLoadBalancer",
    "NetworkedCluster",
    "NlbProtocol",
    "OperatingSystem",
    "PauseHook",
    "PodSelector",
    "PodSize",
    "Port",
    "ProtocolVersion",
    "PublishedTopic",
    "QueueWorker",
    "RevisionCleanup",
    "RollingDeployment",
    "Route",
    "ScheduledScaling",
    "ScheduledTask",
    "ServerEndpoint",
    "ServiceAlarms",
    "ServiceConnect",
    "ServiceDashboard",
    "ServiceNetworkLoadBalancer",
    "SharedLoadBalancer",
    "SharedVolume",
    "Step",
    "StepScaling",
    "Subscription",
    "TargetHealth",
    "TargetTracking",
    "TaskSize",
    "TemplatePatches",
    "TimeoutAction",
    "Tracing",
    "Transport",
    "account_service_principal",
    "check",
    "limit_grants_to_aws_services",
    "pod_size",
    "synth",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
