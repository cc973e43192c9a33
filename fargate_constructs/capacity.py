"""Where a service's tasks run: the FARGATE and FARGATE_SPOT capacity providers."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ecs as ecs

from .doors import checked
from .errors import InvalidParameterError
from .sizing import TaskSize

FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
MAX_BASE = 100_000


@checked
@dataclass(frozen=True, kw_only=True)
class Capacity:
    """A capacity provider strategy over FARGATE (on-demand) and FARGATE_SPOT.

    The first ``on_demand_base`` tasks always run on demand; the rest are split by weight.
    ``Capacity(on_demand_base=1, on_demand_weight=1, spot_weight=3)`` runs one task on demand
    and three of every four further tasks on Spot (up to ~70% cheaper, may be interrupted with
    a two-minute warning).

    :param on_demand_base: tasks that always run on FARGATE (0 to 100000, default 0).
    :param on_demand_weight: relative share of FARGATE beyond the base (default 1).
    :param spot_weight: relative share of FARGATE_SPOT beyond the base (default 0).
    """

    on_demand_base: int = 0
    on_demand_weight: int = 1
    spot_weight: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.on_demand_base <= MAX_BASE:
            raise InvalidParameterError(
                "on_demand_base",
                self.on_demand_base,
                f"0 to {MAX_BASE}",
                nearest=f"on_demand_base={min(max(self.on_demand_base, 0), MAX_BASE)}",
            )
        for name in ("on_demand_weight", "spot_weight"):
            value = getattr(self, name)
            if not 0 <= value <= 1000:
                raise InvalidParameterError(
                    name, value, "0 to 1000", nearest=f"{name}={min(max(value, 0), 1000)}"
                )
        if self.on_demand_weight == 0 and self.spot_weight == 0:
            raise InvalidParameterError(
                "spot_weight",
                0,
                "a weight above 0 for at least one provider (with both at 0 no task beyond "
                "the base could be placed)",
                given="on_demand_weight=0",
                nearest="on_demand_weight=1",
            )

    @classmethod
    def _door_nearest(cls, value: object) -> str | None:
        if isinstance(value, str) and "spot" in value.lower():
            return "Capacity.spot()"
        if isinstance(value, str):
            return "Capacity.on_demand()"
        return None

    @classmethod
    def on_demand(cls) -> Capacity:
        return cls()

    @classmethod
    def spot(cls, *, on_demand_base: int = 0) -> Capacity:
        """Every task beyond ``on_demand_base`` on FARGATE_SPOT."""
        return cls(on_demand_base=on_demand_base, on_demand_weight=0, spot_weight=1)

    @property
    def uses_spot(self) -> bool:
        return self.spot_weight > 0

    @property
    def spot_share(self) -> float:
        """Share of tasks beyond the base that run on Spot."""
        return self.spot_weight / (self.spot_weight + self.on_demand_weight)

    def check_task(self, size: TaskSize) -> None:
        """Fargate Spot does not run Windows tasks."""
        if self.uses_spot and size.operating_system.is_windows:
            raise InvalidParameterError(
                "capacity",
                self,
                "FARGATE only (spot_weight=0) for Windows tasks: Fargate Spot runs Linux "
                "tasks only",
                given=f"operating_system={size.operating_system.value!r}",
                nearest="capacity=Capacity.on_demand()",
            )

    def providers(self) -> list[tuple[str, int | None, int]]:
        """``(capacity provider, base or None, weight)`` for each provider used."""
        result: list[tuple[str, int | None, int]] = []
        if self.on_demand_weight or self.on_demand_base:
            result.append((FARGATE, self.on_demand_base or None, self.on_demand_weight))
        if self.spot_weight:
            result.append((FARGATE_SPOT, None, self.spot_weight))
        return result

    def strategies(self) -> list[ecs.CapacityProviderStrategy]:
        return [
            ecs.CapacityProviderStrategy(capacity_provider=provider, base=base, weight=weight)
            for provider, base, weight in self.providers()
        ]
