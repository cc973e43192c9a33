"""Fargate task sizes: every CPU/memory/architecture/OS/storage combination Fargate accepts.

Pure Python (no aws_cdk import). The table is AWS's ("Task CPU and memory" in the Amazon ECS
developer guide); 8 and 16 vCPU need platform version 1.4.0 or later, which is the default.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass
from enum import StrEnum
from typing import TypeVar

from .doors import checked
from .errors import InvalidParameterError
from .pricing import price_table
from .validation import expect_int


class Architecture(StrEnum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"


class OperatingSystem(StrEnum):
    LINUX = "LINUX"
    WINDOWS_SERVER_2019_CORE = "WINDOWS_SERVER_2019_CORE"
    WINDOWS_SERVER_2019_FULL = "WINDOWS_SERVER_2019_FULL"
    WINDOWS_SERVER_2022_CORE = "WINDOWS_SERVER_2022_CORE"
    WINDOWS_SERVER_2022_FULL = "WINDOWS_SERVER_2022_FULL"
    WINDOWS_SERVER_2025_CORE = "WINDOWS_SERVER_2025_CORE"
    WINDOWS_SERVER_2025_FULL = "WINDOWS_SERVER_2025_FULL"

    @property
    def is_windows(self) -> bool:
        return self is not OperatingSystem.LINUX


@dataclass(frozen=True)
class _MemoryRange:
    low: int
    high: int
    step: int

    def values(self) -> range:
        return range(self.low, self.high + 1, self.step)


_GIB = 1024
# CPU units -> memory (MiB) Fargate allows with it.
MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(_MemoryRange(1 * _GIB, 4 * _GIB, _GIB).values()),
    1024: tuple(_MemoryRange(2 * _GIB, 8 * _GIB, _GIB).values()),
    2048: tuple(_MemoryRange(4 * _GIB, 16 * _GIB, _GIB).values()),
    4096: tuple(_MemoryRange(8 * _GIB, 30 * _GIB, _GIB).values()),
    8192: tuple(_MemoryRange(16 * _GIB, 60 * _GIB, 4 * _GIB).values()),
    16384: tuple(_MemoryRange(32 * _GIB, 120 * _GIB, 8 * _GIB).values()),
}
WINDOWS_MIN_CPU = 1024
DEFAULT_EPHEMERAL_STORAGE_GIB = 20
MAX_EPHEMERAL_STORAGE_GIB = 200


def cpu_values(operating_system: OperatingSystem = OperatingSystem.LINUX) -> tuple[int, ...]:
    """CPU units Fargate offers for ``operating_system``."""
    minimum = WINDOWS_MIN_CPU if OperatingSystem(operating_system).is_windows else 0
    return tuple(cpu for cpu in MEMORY_BY_CPU if cpu >= minimum)


def _fmt(values: tuple[int, ...]) -> str:
    return ", ".join(str(value) for value in values)


def _nearest(values: tuple[int, ...], target: float) -> int:
    """The value closest to ``target``; on a tie the larger, which never under-provisions."""
    return min(values, key=lambda value: (abs(value - target), -value))


def _log_distance(a: int, b: int) -> float:
    return abs(math.log2(a) - math.log2(b))


def _nearest_combination(
    cpu: int, memory_mib: int, operating_system: OperatingSystem
) -> tuple[int, int]:
    """Nearest valid (cpu, memory): keep the memory if some CPU allows it (picking the CPU
    closest to the one asked for), else keep the nearest CPU and take its nearest memory."""
    cpus = cpu_values(operating_system)
    with_memory = [c for c in cpus if memory_mib in MEMORY_BY_CPU[c]]
    if with_memory:
        best = min(with_memory, key=lambda c: (_log_distance(c, max(cpu, 1)), -c))
        return best, memory_mib
    near_cpu = cpu if cpu in cpus else min(cpus, key=lambda c: (_log_distance(c, max(cpu, 1)), -c))
    return near_cpu, _nearest(MEMORY_BY_CPU[near_cpu], memory_mib)


class CpuAndMemory:
    """``cpu`` units and ``memory_mib`` read as vCPU and GiB (a task's or a pod's size)."""

    cpu: int
    memory_mib: int

    @property
    def vcpu(self) -> float:
        return self.cpu / 1024

    @property
    def memory_gib(self) -> float:
        return self.memory_mib / 1024


@checked
@dataclass(frozen=True)
class TaskSize(CpuAndMemory):
    """A Fargate task size that Fargate accepts; anything else raises on construction.

    :param cpu: CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
    :param memory_mib: memory in MiB, within the range and step Fargate allows for ``cpu``.
    :param architecture: ``X86_64`` (default) or ``ARM64`` (Graviton, Linux only).
    :param operating_system: ``LINUX`` (default) or a Windows Server variant (1 vCPU and up,
        X86_64 only).
    :param ephemeral_storage_gib: task storage: 20 (default, free) or 21 to 200 GiB.
    """

    cpu: int
    memory_mib: int
    _: KW_ONLY
    architecture: Architecture = Architecture.X86_64
    operating_system: OperatingSystem = OperatingSystem.LINUX
    ephemeral_storage_gib: int = DEFAULT_EPHEMERAL_STORAGE_GIB

    def __post_init__(self) -> None:
        expect_int("cpu", self.cpu, what="CPU units as an int (1024 = 1 vCPU)")
        expect_int("memory_mib", self.memory_mib, what="memory in MiB as an int (1024 = 1 GiB)")
        expect_int("ephemeral_storage_gib", self.ephemeral_storage_gib, what="GiB as an int")
        # Accept plain strings ("ARM64") as well as the enums, and keep the enums.
        object.__setattr__(
            self, "architecture", _enum(Architecture, "architecture", self.architecture)
        )
        object.__setattr__(
            self,
            "operating_system",
            _enum(OperatingSystem, "operating_system", self.operating_system),
        )
        self._check_platform()
        self._check_units()
        self._check_cpu_and_memory()
        self._check_storage()

    def _check_units(self) -> None:
        """A memory of 1 to 120 was almost surely meant in GiB, a cpu of 1 to 16 in vCPU."""
        os_family = self.operating_system
        for parameter, value, cpu, memory, unit in (
            ("memory_mib", self.memory_mib, self.cpu, self.memory_mib * 1024, "MiB"),
            ("cpu", self.cpu, self.cpu * 1024, self.memory_mib, "CPU units (1024 = 1 vCPU)"),
        ):
            if 0 < value <= (120 if parameter == "memory_mib" else 16):
                cpu, memory = _nearest_combination(cpu, memory, os_family)
                meant = "GiB" if parameter == "memory_mib" else "vCPU"
                raise InvalidParameterError(
                    parameter,
                    value,
                    f"a value in {unit}",
                    nearest=f"cpu={cpu}, memory_mib={memory}",
                    hint=f"The unit is {unit}: {value} {meant} is {value * 1024}.",
                )

    def _check_platform(self) -> None:
        if self.operating_system.is_windows and self.architecture is not Architecture.X86_64:
            raise InvalidParameterError(
                "architecture",
                self.architecture.value,
                "X86_64 (Fargate runs Windows containers on X86_64 only; ARM64 is Linux only)",
                given=f"operating_system={self.operating_system.value!r}",
                nearest="architecture='X86_64'",
            )

    def _check_cpu_and_memory(self) -> None:
        os_family = self.operating_system
        cpus = cpu_values(os_family)
        given_os = f"operating_system={os_family.value!r}" if os_family.is_windows else None
        if self.cpu not in cpus:
            cpu, memory = _nearest_combination(self.cpu, self.memory_mib, os_family)
            raise InvalidParameterError(
                "cpu",
                self.cpu,
                _fmt(cpus) + " (CPU units; 1024 = 1 vCPU)",
                given=given_os,
                nearest=f"cpu={cpu}, memory_mib={memory}",
            )
        allowed = MEMORY_BY_CPU[self.cpu]
        if self.memory_mib not in allowed:
            cpu, memory = _nearest_combination(self.cpu, self.memory_mib, os_family)
            raise InvalidParameterError(
                "memory_mib",
                self.memory_mib,
                _fmt(allowed),
                given=f"cpu={self.cpu}",
                nearest=f"cpu={cpu}, memory_mib={memory}",
            )

    def _check_storage(self) -> None:
        if (
            not DEFAULT_EPHEMERAL_STORAGE_GIB
            <= self.ephemeral_storage_gib
            <= MAX_EPHEMERAL_STORAGE_GIB
        ):
            nearest = min(
                max(self.ephemeral_storage_gib, DEFAULT_EPHEMERAL_STORAGE_GIB),
                MAX_EPHEMERAL_STORAGE_GIB,
            )
            raise InvalidParameterError(
                "ephemeral_storage_gib",
                self.ephemeral_storage_gib,
                f"{DEFAULT_EPHEMERAL_STORAGE_GIB} (the default) or "
                f"{DEFAULT_EPHEMERAL_STORAGE_GIB + 1} to {MAX_EPHEMERAL_STORAGE_GIB} GiB",
                nearest=f"ephemeral_storage_gib={nearest}",
            )

    @property
    def has_default_storage(self) -> bool:
        return self.ephemeral_storage_gib == DEFAULT_EPHEMERAL_STORAGE_GIB

    def hourly_price(self) -> float:
        """On-demand price per hour of one running task (Linux rates, packaged price table)."""
        table = price_table()
        extra_storage = self.ephemeral_storage_gib - DEFAULT_EPHEMERAL_STORAGE_GIB
        storage_rate = float(table.raw["ephemeral_storage_gb_hour_above_20"])
        return (
            table.fargate_rate(self.architecture).hourly(self.vcpu, self.memory_gib)
            + extra_storage * storage_rate
        )

    def monthly_price(self) -> float:
        return self.hourly_price() * price_table().hours_per_month

    def __str__(self) -> str:
        text = f"{self.vcpu:g} vCPU / {self.memory_gib:g} GiB {self.architecture.value}"
        if self.operating_system.is_windows:
            text += f" {self.operating_system.value}"
        if not self.has_default_storage:
            text += f" / {self.ephemeral_storage_gib} GiB storage"
        return text

    @classmethod
    def all_valid(
        cls,
        *,
        architecture: Architecture = Architecture.X86_64,
        operating_system: OperatingSystem = OperatingSystem.LINUX,
    ) -> tuple[TaskSize, ...]:
        """Every valid CPU/memory size for this platform (default storage), smallest first."""
        return tuple(_all_sizes(Architecture(architecture), OperatingSystem(operating_system)))

    @classmethod
    def smallest_for(
        cls,
        *,
        vcpu: float,
        memory_gib: float,
        architecture: Architecture = Architecture.X86_64,
    ) -> TaskSize:
        """The cheapest Linux size with at least ``vcpu`` vCPUs and ``memory_gib`` GiB."""
        if vcpu <= 0 or memory_gib <= 0:
            parameter, value = ("vcpu", vcpu) if vcpu <= 0 else ("memory_gib", memory_gib)
            raise InvalidParameterError(parameter, value, "a positive number")
        fitting = [
            size
            for size in _all_sizes(Architecture(architecture), OperatingSystem.LINUX)
            if size.vcpu >= vcpu and size.memory_gib >= memory_gib
        ]
        if not fitting:
            largest = max(MEMORY_BY_CPU)
            raise InvalidParameterError(
                "vcpu, memory_gib",
                (vcpu, memory_gib),
                f"up to {largest // 1024} vCPU and {max(MEMORY_BY_CPU[largest]) // 1024} GiB "
                "(the largest Fargate task)",
                nearest=f"cpu={largest}, memory_mib={max(MEMORY_BY_CPU[largest])}",
            )
        return min(fitting, key=lambda size: (size.hourly_price(), size.cpu, size.memory_mib))


def _all_sizes(architecture: Architecture, operating_system: OperatingSystem) -> Iterator[TaskSize]:
    if operating_system.is_windows and architecture is not Architecture.X86_64:
        return
    for cpu in cpu_values(operating_system):
        for memory in MEMORY_BY_CPU[cpu]:
            yield TaskSize(
                cpu, memory, architecture=architecture, operating_system=operating_system
            )


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], parameter: str, value: object) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidParameterError(parameter, value, allowed) from None


def nearest_size(cpu: int, memory_mib: int, operating_system: OperatingSystem) -> tuple[int, int]:
    """The valid ``(cpu, memory_mib)`` nearest to the given pair (the pair itself if valid)."""
    if cpu in cpu_values(operating_system) and memory_mib in MEMORY_BY_CPU[cpu]:
        return cpu, memory_mib
    return _nearest_combination(cpu, memory_mib, operating_system)
