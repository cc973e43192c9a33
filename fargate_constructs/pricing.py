"""Prices the library reasons with, read from ``prices.json`` (one region, one date).

Pure Python: no aws_cdk import, so the command line can use it on a machine with only cdk.out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class FargateRate:
    """On-demand Fargate price of one architecture, per hour."""

    vcpu_hour: float
    gb_hour: float

    def hourly(self, vcpu: float, memory_gib: float) -> float:
        return vcpu * self.vcpu_hour + memory_gib * self.gb_hour


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    hours_per_month: int
    fargate: dict[str, FargateRate]
    raw: dict[str, Any]

    def fargate_rate(self, architecture: str) -> FargateRate:
        return self.fargate[str(architecture)]


@cache
def price_table() -> PriceTable:
    """The packaged price table (``fargate_constructs/prices.json``)."""
    data: dict[str, Any] = json.loads(
        resources.files(__package__).joinpath("prices.json").read_text(encoding="utf-8")
    )
    return PriceTable(
        region=data["region"],
        as_of=data["as_of"],
        hours_per_month=int(data["hours_per_month"]),
        fargate={
            arch: FargateRate(rate["vcpu_hour"], rate["gb_hour"])
            for arch, rate in data["fargate_on_demand"].items()
        },
        raw=data,
    )
