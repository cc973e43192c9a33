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
    from .cluster import NetworkedCluster
    from .roles import ManagedPolicyRole
    from .task import FargateTaskWithRoles

_LAZY = {
    "NetworkedCluster": ".cluster",
    "FargateTaskWithRoles": ".task",
    "ManagedPolicyRole": ".roles",
}

__all__ = [
    "Architecture",
    "FargateConstructsError",
    "FargateTaskWithRoles",
    "InvalidParameterError",
    "ManagedPolicyRole",
    "NetworkedCluster",
    "OperatingSystem",
    "TaskSize",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
