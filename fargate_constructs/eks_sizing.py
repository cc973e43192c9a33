"""What Fargate on EKS bills a pod for, from its containers' requests.

EKS takes, for vCPU and for memory each, the larger of the biggest init container's request
and the sum of the long-running containers' requests; adds 256 MiB for the kubelet, kube-proxy
and containerd; and rounds up to the smallest Fargate vCPU/memory combination that holds it
(the same table as ECS tasks: ``sizing.MEMORY_BY_CPU``). So 1 vCPU and 8 GiB of requests bill
as 2 vCPU and 9 GiB. Requests must equal limits where both are given (Fargate sizes a pod from
its requests; a larger limit is never available to it).

Pure Python: no aws_cdk import (``fargate-constructs sizes --eks`` uses it without Node.js).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .doors import checked
from .errors import InvalidParameterError
from .pricing import price_table
from .sizing import MEMORY_BY_CPU, CpuAndMemory

KUBERNETES_OVERHEAD_MIB = 256
"""Memory EKS adds to every Fargate pod for the kubelet, kube-proxy and containerd."""
EKS_ARCHITECTURE = "X86_64"
"""Fargate on EKS runs x86_64 pods only."""


@checked
@dataclass(frozen=True, kw_only=True)
class ContainerRequest:
    """One container's Kubernetes resource requests (and limits, if set).

    :param name: the container's name (for messages).
    :param vcpu: ``resources.requests.cpu`` in vCPU (``500m`` is 0.5).
    :param memory_mib: ``resources.requests.memory`` in MiB (``1Gi`` is 1024).
    :param init: an init container (runs before the others, alone).
    :param limit_vcpu: ``resources.limits.cpu``, if set: must equal the request.
    :param limit_memory_mib: ``resources.limits.memory``, if set: must equal the request.
    """

    name: str = "app"
    vcpu: float
    memory_mib: int
    init: bool = False
    limit_vcpu: float | None = None
    limit_memory_mib: int | None = None

    def __post_init__(self) -> None:
        if not self.vcpu > 0:
            raise InvalidParameterError(
                "vcpu", self.vcpu, "a positive number of vCPU (0.25 for 250m)", nearest="vcpu=0.25"
            )
        if not self.memory_mib > 0:
            raise InvalidParameterError(
                "memory_mib", self.memory_mib, "a positive number of MiB", nearest="memory_mib=512"
            )
        for limit, request, field in (
            (self.limit_vcpu, self.vcpu, "limit_vcpu"),
            (self.limit_memory_mib, self.memory_mib, "limit_memory_mib"),
        ):
            if limit is not None and limit != request:
                raise InvalidParameterError(
                    field,
                    limit,
                    f"equal to the request ({request:g}) or unset: Fargate sizes the pod from "
                    "its requests, and a container can never use more",
                    given=f"container {self.name!r}",
                    nearest=f"{field}={request:g}",
                )


@checked
@dataclass(frozen=True, kw_only=True)
class PodSize(CpuAndMemory):
    """The Fargate size EKS bills a pod for, and what it wastes."""

    requested_vcpu: float
    requested_memory_mib: int
    """What the pod's containers request (init containers or the sum, whichever is larger)."""
    cpu: int
    """Billed CPU units (1024 per vCPU)."""
    memory_mib: int
    """Billed memory."""

    @property
    def wasted_vcpu(self) -> float:
        return self.vcpu - self.requested_vcpu

    @property
    def wasted_memory_mib(self) -> int:
        """Billed memory no container requested (the 256 MiB overhead included)."""
        return self.memory_mib - self.requested_memory_mib

    def hourly_price(self) -> float:
        return price_table().fargate_rate(EKS_ARCHITECTURE).hourly(self.vcpu, self.memory_gib)

    def monthly_price(self) -> float:
        return self.hourly_price() * price_table().hours_per_month

    def wasted_share(self) -> float:
        """Share of the pod's price that pays for capacity no container requested."""
        rate = price_table().fargate_rate(EKS_ARCHITECTURE)
        requested = rate.hourly(self.requested_vcpu, self.requested_memory_mib / 1024)
        return 1 - requested / self.hourly_price()

    def __str__(self) -> str:
        return f"{self.vcpu:g} vCPU / {self.memory_gib:g} GiB"


@checked
def pod_size(containers: Sequence[ContainerRequest]) -> PodSize:
    """The Fargate size EKS bills for a pod of ``containers`` (see the module)."""
    if not containers:
        raise InvalidParameterError(
            "containers", [], "at least one container", nearest="[ContainerRequest(vcpu=0.25, ...)]"
        )
    running = [c for c in containers if not c.init]
    init = [c for c in containers if c.init]
    vcpu = max(sum(c.vcpu for c in running), max((c.vcpu for c in init), default=0.0))
    memory = max(sum(c.memory_mib for c in running), max((c.memory_mib for c in init), default=0))
    needed_cpu = math.ceil(vcpu * 1024 - 1e-9)
    needed_memory = memory + KUBERNETES_OVERHEAD_MIB
    for cpu in sorted(MEMORY_BY_CPU):
        if cpu < needed_cpu:
            continue
        fitting = [m for m in MEMORY_BY_CPU[cpu] if m >= needed_memory]
        if fitting:
            return PodSize(
                requested_vcpu=vcpu, requested_memory_mib=memory, cpu=cpu, memory_mib=min(fitting)
            )
    largest = max(MEMORY_BY_CPU)
    largest_memory = max(MEMORY_BY_CPU[largest])
    raise InvalidParameterError(
        "containers",
        f"{vcpu:g} vCPU / {memory} MiB requested",
        f"at most {largest // 1024} vCPU and {largest_memory - KUBERNETES_OVERHEAD_MIB} MiB of "
        f"requests ({largest_memory // 1024} GiB, the largest Fargate pod, less the "
        f"{KUBERNETES_OVERHEAD_MIB} MiB EKS adds)",
        nearest=(
            f"requests of at most vcpu={min(vcpu, largest / 1024):g}, "
            f"memory_mib={min(memory, largest_memory - KUBERNETES_OVERHEAD_MIB)}"
        ),
    )
