"""AWS CDK constructs for ECS Fargate: validated sizing, least-privilege roles, safe deployments.

The public API is re-exported here. Constructs load aws_cdk (and with it the jsii Node.js
runtime) only when first used, so the pure modules (sizing, pricing) and the command line stay
fast and work on a machine without Node.js.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import FargateConstructsError, InvalidParameterError
from .sizing import Architecture, OperatingSystem, TaskSize

if TYPE_CHECKING:
    from .alarms import AlarmThresholds, ServiceAlarms
    from .capacity import Capacity
    from .cluster import NetworkedCluster
    from .containers import AppProtocol, Container, Dependency, HealthCheck, Mount, Port, Transport
    from .deployment import (
        BlueGreenDeployment,
        CanaryDeployment,
        LinearDeployment,
        RollingDeployment,
    )
    from .load_balancer import LoadBalancer, Route, SharedLoadBalancer, TargetHealth
    from .roles import ManagedPolicyRole
    from .scaling import AutoScaling, ScheduledScaling, Step, StepScaling, TargetTracking
    from .service import FargateService
    from .sidecars import FireLens, Tracing
    from .task import FargateTaskWithRoles
    from .volumes import EfsVolume, SharedVolume

_LAZY = {
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
    "BlueGreenDeployment": ".deployment",
    "CanaryDeployment": ".deployment",
    "LinearDeployment": ".deployment",
    "RollingDeployment": ".deployment",
    "LoadBalancer": ".load_balancer",
    "Route": ".load_balancer",
    "SharedLoadBalancer": ".load_balancer",
    "TargetHealth": ".load_balancer",
    "FargateService": ".service",
    "AlarmThresholds": ".alarms",
    "ServiceAlarms": ".alarms",
    "AutoScaling": ".scaling",
    "ScheduledScaling": ".scaling",
    "Step": ".scaling",
    "StepScaling": ".scaling",
    "TargetTracking": ".scaling",
    "NetworkedCluster": ".cluster",
    "FargateTaskWithRoles": ".task",
    "ManagedPolicyRole": ".roles",
}

__all__ = [
    "AlarmThresholds",
    "AppProtocol",
    "Architecture",
    "AutoScaling",
    "BlueGreenDeployment",
    "CanaryDeployment",
    "Capacity",
    "Container",
    "Dependency",
    "EfsVolume",
    "FargateConstructsError",
    "FargateService",
    "FargateTaskWithRoles",
    "FireLens",
    "HealthCheck",
    "InvalidParameterError",
    "LinearDeployment",
    "LoadBalancer",
    "ManagedPolicyRole",
    "Mount",
    "NetworkedCluster",
    "OperatingSystem",
    "Port",
    "RollingDeployment",
    "Route",
    "ScheduledScaling",
    "ServiceAlarms",
    "SharedLoadBalancer",
    "SharedVolume",
    "Step",
    "StepScaling",
    "TargetHealth",
    "TargetTracking",
    "TaskSize",
    "Tracing",
    "Transport",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
