"""Type checks at the door: a wrong type is an :class:`InvalidParameterError` naming the
parameter, never a ``TypeError`` from deep inside the library or jsii."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

from .errors import InvalidParameterError


def expect_int(parameter: str, value: Any, *, what: str = "a whole number") -> int:
    """``value`` if it is an ``int`` (not a ``bool``); a numeric string such as ``"1024"`` (read
    from an environment variable) is refused with the unquoted number as the nearest choice."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    nearest = None
    if isinstance(value, str) and value.strip().isdigit():
        nearest = f"{parameter}={int(value)} (a number, not a string: int(...) it first)"
    elif isinstance(value, float) and value.is_integer():
        nearest = f"{parameter}={int(value)}"
    raise InvalidParameterError(parameter, value, what, nearest=nearest)


def expect_optional_int(parameter: str, value: Any, *, what: str = "a whole number") -> int | None:
    return None if value is None else expect_int(parameter, value, what=what)


def expect_str(parameter: str, value: Any, *, what: str = "a string") -> str:
    if isinstance(value, str):
        return value
    raise InvalidParameterError(parameter, value, what)


def expect_bool(parameter: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise InvalidParameterError(parameter, value, "True or False")


def expect_instance(parameter: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, kind):
        return value
    raise InvalidParameterError(parameter, _shown(value), what)


def _shown(value: Any) -> Any:
    """A plain value as itself (``'auto'``, ``15``), an object by its type's name."""
    return value if value is None or isinstance(value, str | int | float) else type(value).__name__


def expect_str_tuple(parameter: str, value: Any) -> tuple[str, ...]:
    """A sequence of strings (not one string, whose characters would be taken one by one)."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidParameterError(
            parameter,
            value,
            "a list or tuple of strings",
            nearest=f"{parameter}=[{value!r}]" if isinstance(value, str) else None,
        )
    for item in value:
        expect_str(parameter, item, what="a list or tuple of strings")
    return tuple(value)


def expect_str_mapping(parameter: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidParameterError(parameter, value, "a mapping of names to values")
    for key in value:
        expect_str(parameter, key, what="string keys (variable names)")
    return dict(value)


def expect_interface(parameter: str, value: Any, attribute: str, what: str) -> Any:
    """jsii interfaces (``efs.IFileSystem``, ``secretsmanager.ISecret``) are typing Protocols
    that ``isinstance`` cannot check; an object is taken as one when it has ``attribute``."""
    if value is not None and not isinstance(value, str | int | float) and hasattr(value, attribute):
        return value
    raise InvalidParameterError(parameter, _shown(value), what)


def check_int_range(parameter: str, value: Any, low: int, high: int, *, name: str = "") -> int:
    """``value`` must be an int from ``low`` to ``high``; the nearest valid one is suggested
    under ``name`` (default: ``parameter``)."""
    number = expect_int(parameter, value, what=f"a whole number from {low} to {high}")
    if not low <= number <= high:
        raise InvalidParameterError(
            parameter,
            number,
            f"{low} to {high}",
            nearest=f"{name or parameter}={min(max(number, low), high)}",
        )
    return number


def check_cidrs(parameter: str, value: Any) -> tuple[str, ...]:
    """IPv4 and IPv6 networks in CIDR notation with no host bits set."""
    import ipaddress

    cidrs = expect_str_tuple(parameter, value)
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError as error:
            nearest = None
            with contextlib.suppress(ValueError):
                nearest = f"{ipaddress.ip_network(cidr.strip(), strict=False)}"
            raise InvalidParameterError(
                parameter,
                cidr,
                f"IPv4 or IPv6 networks in CIDR notation, e.g. '203.0.113.0/24' ({error})",
                nearest=repr(nearest) if nearest else None,
            ) from None
    return cidrs


ECS_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
"""Names ECS accepts for clusters, services, task definition families and containers."""


def check_ecs_name(parameter: str, value: Any, *, fallback: str | None = None) -> str:
    """1 to 255 letters, digits, ``_`` and ``-`` (a token from another construct passes);
    ``fallback`` is suggested when nothing of the name is usable."""
    name = expect_str(parameter, value, what="a name (a string)")
    if "${Token[" in name or ECS_NAME.fullmatch(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-")[:255] or fallback or ""
    raise InvalidParameterError(
        parameter,
        name,
        "1 to 255 letters, digits, '_' and '-'",
        nearest=f"{parameter}={cleaned!r}" if ECS_NAME.fullmatch(cleaned) else None,
    )


def check_time_zone(parameter: str, value: Any) -> str:
    """An IANA time zone name, as ``zoneinfo`` (and AWS) know them."""
    import difflib
    import zoneinfo

    zone = expect_str(parameter, value, what="an IANA time zone name (a string)")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(zone, sorted(zoneinfo.available_timezones()), n=1)
        raise InvalidParameterError(
            parameter,
            zone,
            "an IANA time zone name such as 'Europe/Berlin' or 'America/New_York'",
            nearest=f"{parameter}={close[0]!r}" if close else f"{parameter}='UTC'",
        ) from None
    return zone


_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
MAX_NAME_LENGTH = 253


def check_dns_name(
    parameter: str, given: Any, *, wildcard: bool = False, min_labels: int = 2
) -> str:
    """A DNS name of at least ``min_labels`` dot-separated labels (lowercase letters, digits and
    inner hyphens, 253 characters at most); ``*.`` in front only where ``wildcard``. Domains
    are fully qualified (2 labels or more); Service Connect names may be one label."""
    name: str = expect_str(parameter, given)
    if _is_dns_name(name, wildcard=wildcard, min_labels=min_labels):
        return name
    cleaned = ".".join(
        re.sub(r"[^a-z0-9-]+", "-", label.strip().lower()).strip("-")[:63]
        for label in name.strip().strip(".").split(".")
        if label.strip()
    )
    valid = _is_dns_name(cleaned, wildcard=False, min_labels=min_labels)
    raise InvalidParameterError(
        parameter,
        name,
        ("a fully qualified DNS name" if min_labels > 1 else "a DNS name")
        + ": dot-separated labels of 1 to 63 lowercase letters, digits and inner hyphens, "
        "253 characters at most" + (", optionally starting with '*.'" if wildcard else ""),
        nearest=f"{parameter}={cleaned!r}" if valid else None,
    )


def _is_dns_name(name: str, *, wildcard: bool, min_labels: int) -> bool:
    labels = name.split(".")
    body = labels[1:] if wildcard and labels[0] == "*" else labels
    return (
        len(name) <= MAX_NAME_LENGTH
        and len(body) >= min_labels
        and all(_LABEL.fullmatch(label) for label in body)
    )


def check_service_dns_name(given: Any, parameter: str = "dns_name") -> str:
    """A Service Connect DNS name or namespace: one label or more."""
    return check_dns_name(parameter, given, min_labels=1)
