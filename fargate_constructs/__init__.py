"""AWS CDK constructs for ECS Fargate: validated sizing, least-privilege roles, safe deployments."""

from .cluster import NetworkedCluster
from .errors import FargateConstructsError, InvalidParameterError

__all__ = [
    "FargateConstructsError",
    "InvalidParameterError",
    "NetworkedCluster",
]
