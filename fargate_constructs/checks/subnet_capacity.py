"""Subnets are slots: every Fargate task takes one IP of its subnet (awsvpc). At synth time,
compare the most tasks a cluster's services can run at once (at the peak of a deployment) with
the IPs its task subnets offer, so the shortfall shows up before a deploy stalls half-way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import jsii
from aws_cdk import Annotations
from constructs import IConstruct, IValidation

from . import skipped

if TYPE_CHECKING:
    pass


WARN_AT = 0.8


class TaskDemand(Protocol):
    """A service as the check sees it."""

    @property
    def peak_tasks(self) -> int: ...

    @property
    def peak_explained(self) -> str: ...


class TaskSlots(IConstruct, Protocol):
    """A cluster as the check sees it: its services' demand and its subnets' task IPs."""

    def task_ip_capacity(self) -> tuple[int, str] | None: ...


@jsii.implements(IValidation)
class SubnetCapacityCheck:
    """Fails synthesis when a cluster's services may need more task IPs than its private
    subnets have, and warns from 80% on. Skipped when the subnets' sizes are unknown (an
    adopted VPC imported without CIDR blocks)."""

    def __init__(self, cluster: TaskSlots) -> None:
        self._cluster = cluster
        self._services: list[TaskDemand] = []

    def add(self, service: TaskDemand) -> None:
        """Count ``service``'s peak tasks against the cluster's subnets."""
        self._services.append(service)

    def _demand(self) -> tuple[int, int, str] | None:
        cluster = self._cluster
        capacity = cluster.task_ip_capacity()
        if capacity is None or not self._services:
            return None
        usable, explained = capacity
        return sum(service.peak_tasks for service in self._services), usable, explained

    def failures(self) -> list[str]:
        measured = self._demand()
        if measured is None:
            return []
        demand, usable, explained = measured
        if demand <= usable:
            return []
        cluster = self._cluster
        detail = "; ".join(service.peak_explained for service in self._services)
        return [
            f"subnet capacity: the services of {cluster.node.path} may run {demand} tasks at "
            f"once ({detail}), but its task subnets offer {usable} IPs ({explained}). Use a "
            "larger cidr (e.g. a /16), more AZs, or fewer tasks (max_capacity, "
            "max_healthy_percent)."
        ]

    def validate(self) -> list[str]:
        failures = [] if skipped(self) else self.failures()
        measured = self._demand()
        if failures or measured is None:
            return failures
        demand, usable, explained = measured
        cluster = self._cluster
        if demand > WARN_AT * usable:
            Annotations.of(cluster).add_warning_v2(
                "fargate-constructs:subnetCapacity",
                f"subnet capacity: the services of {cluster.node.path} may run {demand} tasks at "
                f"once, {demand * 100 // usable}% of the {usable} IPs its task subnets offer "
                f"({explained}); a larger cidr leaves room to grow.",
            )
        return []
