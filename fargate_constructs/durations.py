"""Durations as CDK users write them: ``aws_cdk.Duration`` or ``datetime.timedelta``.

Value objects hold ``timedelta``; :func:`as_timedelta` converts a ``Duration`` at the door, and
:func:`describe` prints a duration the way a person wrote it (``30 s``, ``5 min``), never as
``timedelta(days=-1, seconds=86395)``.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import InvalidParameterError

if TYPE_CHECKING:
    from aws_cdk import Duration

DurationLike: TypeAlias = "timedelta | Duration"
"""What a duration parameter accepts: a ``datetime.timedelta`` or an ``aws_cdk.Duration``."""


def as_timedelta(parameter: str, value: Any, *, unit: str = "seconds") -> timedelta:
    """``value`` as a ``timedelta``; an ``aws_cdk.Duration`` is converted, anything else is an
    :class:`InvalidParameterError` naming ``parameter`` (a bare number is suggested back as a
    ``Duration`` of ``unit``, the unit the parameter is counted in)."""
    if isinstance(value, timedelta):
        return value
    if type(value).__name__ == "Duration" and hasattr(value, "to_seconds"):
        from aws_cdk import Token

        if Token.is_unresolved(value.to_string()):
            raise InvalidParameterError(
                parameter, value.to_string(), "a duration known at synth time, not a token"
            )
        # Milliseconds, not integral: Duration.millis(500) has no whole number of seconds, and
        # the range checks should say so rather than the jsii runtime.
        return timedelta(milliseconds=float(value.to_milliseconds(integral=False)))
    number = isinstance(value, int | float) and not isinstance(value, bool)
    raise InvalidParameterError(
        parameter,
        value,
        "a datetime.timedelta or an aws_cdk.Duration",
        nearest=f"{parameter}=Duration.{unit}({value if number else 30})",
    )


def describe(value: timedelta) -> str:
    """``value`` in the largest whole unit: ``-5 s``, ``90 s``, ``10 min``, ``2 h``, ``1 d``."""
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def check_seconds(parameter: str, value: timedelta, low: int, high: int) -> None:
    """``value`` must be whole seconds from ``low`` to ``high``."""
    _check_whole(parameter, value, low, high, unit="seconds", size=1)


def check_minutes(parameter: str, value: timedelta, low: int, high: int, *, note: str = "") -> int:
    """``value`` must be whole minutes from ``low`` to ``high`` (``note`` follows the range
    in the message); returns the minutes."""
    return _check_whole(parameter, value, low, high, unit="minutes", size=60, note=note)


def _check_whole(
    parameter: str, value: timedelta, low: int, high: int, *, unit: str, size: int, note: str = ""
) -> int:
    count = value.total_seconds() / size
    if not low <= count <= high or count % 1:
        nearest = min(max(round(count), low), high)
        raise InvalidParameterError(
            parameter,
            describe(value),
            f"whole {unit} from {low} to {high}{note}",
            nearest=f"{parameter}=Duration.{unit}({nearest})",
        )
    return int(count)


def normalize_durations(value_object: object, *names: str) -> None:
    """Convert the named fields of a frozen dataclass to ``timedelta`` in place (``None``
    stays), so the rest of the library reads one type."""
    for name in names:
        given = getattr(value_object, name)
        if given is not None:
            object.__setattr__(value_object, name, as_timedelta(name, given))


def held(value: DurationLike) -> timedelta:
    """A field :func:`normalize_durations` has converted, typed as what it now holds."""
    if not isinstance(value, timedelta):
        raise TypeError(f"duration not normalized: {value!r}")  # a bug in this library
    return value


def optional_held(value: DurationLike | None) -> timedelta | None:
    return None if value is None else held(value)


def to_duration(value: DurationLike | None) -> Duration | None:
    """A held duration as the ``aws_cdk.Duration`` a construct takes (converted at the edge)."""
    if value is None:
        return None
    return _seconds(held(value).total_seconds())


@functools.lru_cache(maxsize=256)
def _seconds(seconds: float) -> Duration:
    # Durations are immutable values: one jsii object per length serves every construct.
    from aws_cdk import Duration

    return Duration.seconds(seconds)
