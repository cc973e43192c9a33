"""TaskSize against AWS's Fargate table, swept exhaustively (pure Python, no synthesis)."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargate_constructs import Architecture, InvalidParameterError, OperatingSystem, TaskSize
from fargate_constructs.pricing import price_table

# AWS's table ("Task CPU and memory", Amazon ECS developer guide), written out independently
# of fargate_constructs.sizing so the sweep checks the code against the documentation.
GIB = 1024
AWS_TABLE: dict[int, set[int]] = {
    256: {512, 1024, 2048},
    512: {gib * GIB for gib in range(1, 5)},
    1024: {gib * GIB for gib in range(2, 9)},
    2048: {gib * GIB for gib in range(4, 17)},
    4096: {gib * GIB for gib in range(8, 31)},
    8192: {gib * GIB for gib in range(16, 61, 4)},
    16384: {gib * GIB for gib in range(32, 121, 8)},
}
NOT_CPU_VALUES = [0, 128, 384, 768, 1536, 3072, 6144, 12288, 32768]
OS_FAMILIES = [OperatingSystem.LINUX, OperatingSystem.WINDOWS_SERVER_2022_CORE]


def aws_says_valid(cpu: int, memory: int, arch: Architecture, os_family: OperatingSystem) -> bool:
    if os_family.is_windows and (arch is Architecture.ARM64 or cpu < 1024):
        return False
    return memory in AWS_TABLE.get(cpu, set())


@pytest.mark.parametrize("arch", list(Architecture))
@pytest.mark.parametrize("os_family", OS_FAMILIES)
def test_every_cpu_and_memory_is_classified_as_aws_documents(
    arch: Architecture, os_family: OperatingSystem
) -> None:
    accepted = rejected = 0
    for cpu in [*AWS_TABLE, *NOT_CPU_VALUES]:
        for memory in range(512, 131072 + 1, 512):
            expected = aws_says_valid(cpu, memory, arch, os_family)
            try:
                TaskSize(cpu, memory, architecture=arch, operating_system=os_family)
            except InvalidParameterError:
                assert not expected, (cpu, memory, arch, os_family)
                rejected += 1
            else:
                assert expected, (cpu, memory, arch, os_family)
                accepted += 1
    valid_count = sum(len(memories) for memories in AWS_TABLE.values())
    if os_family.is_windows:
        expected_accepted = 0 if arch is Architecture.ARM64 else valid_count - 3 - 4
    else:
        expected_accepted = valid_count
    assert accepted == expected_accepted
    assert accepted + rejected == (len(AWS_TABLE) + len(NOT_CPU_VALUES)) * 256


def test_all_valid_lists_exactly_the_table() -> None:
    linux = {(s.cpu, s.memory_mib) for s in TaskSize.all_valid()}
    assert linux == {(cpu, m) for cpu, memories in AWS_TABLE.items() for m in memories}
    windows = TaskSize.all_valid(operating_system=OperatingSystem.WINDOWS_SERVER_2019_FULL)
    assert {s.cpu for s in windows} == {1024, 2048, 4096, 8192, 16384}
    assert (
        TaskSize.all_valid(
            architecture=Architecture.ARM64,
            operating_system=OperatingSystem.WINDOWS_SERVER_2022_CORE,
        )
        == ()
    )
    assert len(TaskSize.all_valid(architecture=Architecture.ARM64)) == len(linux)


def test_eight_and_sixteen_vcpu_are_included() -> None:
    assert TaskSize(8192, 61440).vcpu == 8
    assert TaskSize(16384, 122880, architecture=Architecture.ARM64).memory_gib == 120


@pytest.mark.parametrize("storage", [20, 21, 100, 200])
def test_ephemeral_storage_in_range_is_accepted(storage: int) -> None:
    assert TaskSize(256, 512, ephemeral_storage_gib=storage).ephemeral_storage_gib == storage


def test_plain_strings_are_accepted_and_become_enums() -> None:
    size = TaskSize(1024, 2048, architecture="ARM64", operating_system="LINUX")  # type: ignore[arg-type]
    assert size.architecture is Architecture.ARM64
    assert size.operating_system is OperatingSystem.LINUX


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            (512, 3000),
            {},
            "memory_mib=3000 is not valid for cpu=512; allowed: 1024, 2048, 3072, 4096; "
            "nearest valid: cpu=512, memory_mib=3072",
        ),
        (
            (256, 4096),
            {},
            "memory_mib=4096 is not valid for cpu=256; allowed: 512, 1024, 2048; "
            "nearest valid: cpu=512, memory_mib=4096",
        ),
        (
            (300, 512),
            {},
            "cpu=300 is not valid; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384 "
            "(CPU units; 1024 = 1 vCPU); nearest valid: cpu=256, memory_mib=512",
        ),
        (
            (8192, 18432),
            {},
            "memory_mib=18432 is not valid for cpu=8192; allowed: 16384, 20480, 24576, 28672, "
            "32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440; "
            "nearest valid: cpu=4096, memory_mib=18432",
        ),
        (
            (1024, 2048),
            {
                "architecture": Architecture.ARM64,
                "operating_system": OperatingSystem.WINDOWS_SERVER_2022_CORE,
            },
            "architecture='ARM64' is not valid for operating_system='WINDOWS_SERVER_2022_CORE'; "
            "allowed: X86_64",
        ),
        (
            (512, 1024),
            {"operating_system": OperatingSystem.WINDOWS_SERVER_2019_CORE},
            "cpu=512 is not valid for operating_system='WINDOWS_SERVER_2019_CORE'; "
            "allowed: 1024, 2048, 4096, 8192, 16384 (CPU units; 1024 = 1 vCPU); "
            "nearest valid: cpu=1024, memory_mib=2048",
        ),
        (
            (256, 512),
            {"ephemeral_storage_gib": 10},
            "ephemeral_storage_gib=10 is not valid; allowed: 20 (the default) or 21 to 200 GiB; "
            "nearest valid: ephemeral_storage_gib=20",
        ),
        (
            (256, 512),
            {"ephemeral_storage_gib": 201},
            "nearest valid: ephemeral_storage_gib=200",
        ),
        (
            (256, 512),
            {"architecture": "MIPS"},
            "architecture='MIPS' is not valid; allowed: X86_64, ARM64",
        ),
    ],
)
def test_invalid_sizes_are_explained(
    args: tuple[int, int], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        TaskSize(*args, **kwargs)  # type: ignore[arg-type]
    assert message in str(raised.value)


_NEAREST = re.compile(r"nearest valid: cpu=(\d+), memory_mib=(\d+)")


@given(
    cpu=st.sampled_from([*AWS_TABLE, *NOT_CPU_VALUES, 100, 20000]),
    memory=st.integers(1, 140000),
    os_family=st.sampled_from(OS_FAMILIES),
)
def test_the_nearest_valid_suggestion_is_itself_valid(
    cpu: int, memory: int, os_family: OperatingSystem
) -> None:
    if aws_says_valid(cpu, memory, Architecture.X86_64, os_family):
        return
    with pytest.raises(InvalidParameterError) as raised:
        TaskSize(cpu, memory, operating_system=os_family)
    found = _NEAREST.search(str(raised.value))
    assert found, str(raised.value)
    suggested_cpu, suggested_memory = int(found.group(1)), int(found.group(2))
    assert aws_says_valid(suggested_cpu, suggested_memory, Architecture.X86_64, os_family)


def _hourly(cpu: int, memory: int, arch: Architecture) -> float:
    # The reference prices, us-east-1 on-demand.
    vcpu_hour, gb_hour = {
        Architecture.X86_64: (0.04048, 0.004445),
        Architecture.ARM64: (0.03238, 0.00356),
    }[arch]
    return cpu / 1024 * vcpu_hour + memory / 1024 * gb_hour


@pytest.mark.parametrize("arch", list(Architecture))
@pytest.mark.parametrize("vcpu", [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 16])
@pytest.mark.parametrize("memory_gib", [0.25, 0.5, 1, 3, 7.5, 16, 30, 31, 64, 120])
def test_smallest_for_is_the_cheapest_size_that_fits(
    arch: Architecture, vcpu: float, memory_gib: float
) -> None:
    fits = [
        (cpu, m)
        for cpu, memories in AWS_TABLE.items()
        for m in memories
        if cpu / 1024 >= vcpu and m / 1024 >= memory_gib
    ]
    if not fits:
        with pytest.raises(InvalidParameterError, match="largest Fargate task"):
            TaskSize.smallest_for(vcpu=vcpu, memory_gib=memory_gib, architecture=arch)
        return
    chosen = TaskSize.smallest_for(vcpu=vcpu, memory_gib=memory_gib, architecture=arch)
    cheapest = min(_hourly(cpu, m, arch) for cpu, m in fits)
    assert _hourly(chosen.cpu, chosen.memory_mib, arch) == pytest.approx(cheapest)
    assert chosen.vcpu >= vcpu
    assert chosen.memory_gib >= memory_gib


def test_seed_example_one_vcpu_three_gib() -> None:
    # The seed's console walkthrough: "fargate, linux, 1vCPU, 3 GB".
    size = TaskSize.smallest_for(vcpu=1, memory_gib=3)
    assert (size.cpu, size.memory_mib) == (1024, 3072)
    # 1 x 0.04048 + 3 x 0.004445 = 0.053815 per hour; x 730 hours.
    assert size.monthly_price() == pytest.approx(0.053815 * 730)


def test_extra_storage_is_priced_above_twenty_gib() -> None:
    base = TaskSize(256, 512).hourly_price()
    assert TaskSize(256, 512, ephemeral_storage_gib=50).hourly_price() == pytest.approx(
        base + 30 * 0.000111
    )


def test_price_table_names_region_and_date() -> None:
    table = price_table()
    assert table.region == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d{2}", table.as_of)


def test_sizing_does_not_load_the_cdk() -> None:
    # sizing/pricing stay usable without Node.js; checked in a fresh interpreter.
    import subprocess

    code = "import sys, fargate_constructs.sizing; print('aws_cdk' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
