"""What Fargate on EKS bills a pod for: AWS's examples, and a sweep of the request space."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fargate_constructs import ContainerRequest, InvalidParameterError, pod_size
from fargate_constructs.eks_sizing import KUBERNETES_OVERHEAD_MIB
from fargate_constructs.sizing import MEMORY_BY_CPU

from .harness import assert_explained

COMBINATIONS = sorted(
    (cpu, memory) for cpu, memories in MEMORY_BY_CPU.items() for memory in memories
)


@pytest.mark.parametrize(
    ("vcpu", "memory_mib", "billed"),
    [
        (1, 8 * 1024, (2048, 9 * 1024)),  # AWS's example: 1 vCPU + 8 GB bills as 2 vCPU / 9 GB
        (1, 2 * 1024, (1024, 3 * 1024)),  # 2 GB + 256 MB -> 3 GB
        (0.25, 256, (256, 512)),
        (0.25, 512, (256, 1024)),
        (0.5, 4 * 1024 - KUBERNETES_OVERHEAD_MIB, (512, 4 * 1024)),
        (16, 120 * 1024 - KUBERNETES_OVERHEAD_MIB, (16384, 120 * 1024)),
    ],
)
def test_awss_examples(vcpu: float, memory_mib: int, billed: tuple[int, int]) -> None:
    size = pod_size([ContainerRequest(vcpu=vcpu, memory_mib=memory_mib)])
    assert (size.cpu, size.memory_mib) == billed


def test_the_larger_of_init_and_the_sum_of_the_others() -> None:
    app = ContainerRequest(name="app", vcpu=0.25, memory_mib=512)
    sidecar = ContainerRequest(name="proxy", vcpu=0.25, memory_mib=256)
    migrate = ContainerRequest(name="migrate", vcpu=1, memory_mib=1024, init=True)
    size = pod_size([app, sidecar, migrate])
    # vCPU: max(1, 0.5) = 1; memory: max(1024, 768) + 256 = 1280 -> 2 GB at 1 vCPU
    assert (size.requested_vcpu, size.requested_memory_mib) == (1, 1024)
    assert (size.cpu, size.memory_mib) == (1024, 2048)
    assert size.wasted_memory_mib == 1024
    assert 0 < size.wasted_share() < 1


@settings(max_examples=300, deadline=None)
@given(
    vcpu=st.integers(min_value=1, max_value=16384).map(lambda millis: millis / 1024),
    memory_mib=st.integers(min_value=1, max_value=120 * 1024 - KUBERNETES_OVERHEAD_MIB),
)
def test_billed_size_is_the_smallest_valid_one_that_holds_the_pod(
    vcpu: float, memory_mib: int
) -> None:
    size = pod_size([ContainerRequest(vcpu=vcpu, memory_mib=memory_mib)])
    needed = memory_mib + KUBERNETES_OVERHEAD_MIB
    assert (size.cpu, size.memory_mib) in COMBINATIONS
    assert size.vcpu >= vcpu
    assert size.memory_mib >= needed
    smaller = [
        (cpu, memory)
        for cpu, memory in COMBINATIONS
        if cpu / 1024 >= vcpu and memory >= needed and (cpu, memory) < (size.cpu, size.memory_mib)
    ]
    assert smaller == []


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda: pod_size([ContainerRequest(vcpu=17, memory_mib=1024)]),
            [
                "17 vCPU / 1024 MiB requested",
                "at most 16 vCPU",
                "nearest valid: requests of at most vcpu=16",
            ],
        ),
        (
            lambda: pod_size([ContainerRequest(vcpu=4, memory_mib=120 * 1024)]),
            ["122880 MiB requested", "122624 MiB of requests", "memory_mib=122624"],
        ),
        (
            lambda: ContainerRequest(name="web", vcpu=1, memory_mib=1024, limit_vcpu=2),
            [
                "limit_vcpu=2",
                "equal to the request (1)",
                "container 'web'",
                "nearest valid: limit_vcpu=1",
            ],
        ),
        (lambda: ContainerRequest(vcpu=0, memory_mib=512), ["vcpu=0", "positive"]),
        (lambda: pod_size([]), ["containers=[]", "at least one container"]),
    ],
)
def test_bad_requests_are_explained(build: Any, fragments: list[str]) -> None:
    assert_explained(build, fragments)


def test_a_wrong_type_is_an_invalid_parameter_error() -> None:
    with pytest.raises(InvalidParameterError):
        ContainerRequest(vcpu="1", memory_mib=512)  # type: ignore[arg-type]
