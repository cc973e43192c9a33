"""A target group's health check, draining and routing settings: one vocabulary
(:class:`TargetHealth`) for every load balancer kind, with ELB's limits."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from .doors import checked
from .durations import (
    DurationLike,
    check_seconds,
    describe,
    held,
    normalize_durations,
    to_duration,
)
from .errors import InvalidParameterError
from .validation import check_int_range, expect_str

GRPC_HEALTH_CHECK_PATH = "/AWS.ALB/healthcheck"
"""ELB's default gRPC health check: a method no server implements, answered with status 12
(UNIMPLEMENTED) by any running gRPC server, hence the default healthy code 12."""
MAX_STICKINESS = timedelta(days=7)
_HTTP_CODES = re.compile(r"\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*")
_GRPC_CODES = re.compile(r"\d{1,2}(-\d{1,2})?(,\d{1,2}(-\d{1,2})?)*")


class ProtocolVersion(Enum):
    """How an ALB talks to its targets. HTTP2 and GRPC need an HTTPS listener."""

    HTTP1 = "HTTP1"
    HTTP2 = "HTTP2"
    GRPC = "GRPC"


@checked
@dataclass(frozen=True, kw_only=True)
class TargetHealth:
    """A target group's health check, draining and routing settings, shared by dedicated and
    shared load balancers. Durations take ``timedelta`` or ``aws_cdk.Duration``.

    :param path: health check path (default ``/``, or ELB's ``/AWS.ALB/healthcheck`` for gRPC).
    :param healthy_http_codes: codes that count as healthy (default ``200-399``).
    :param interval: between checks, 5 to 300 s (default 10 s; CDK/ELB default 30 s).
    :param timeout: per check, 2 to 120 s and below ``interval`` (default 5 s).
    :param healthy_threshold: consecutive passes to become healthy, 2 to 10 (default 2).
    :param unhealthy_threshold: consecutive failures to become unhealthy, 2 to 10 (default 3).
    :param deregistration_delay: draining time of a stopping task, 0 to 3600 s (default 30 s;
        ELB's 300 s makes every rolling step wait five minutes).
    :param protocol_version: HTTP1, HTTP2 or GRPC to the targets (default: GRPC or HTTP2 when
        the target port's ``app_protocol`` says so, else HTTP1).
    :param healthy_grpc_codes: gRPC status codes that count as healthy, 0 to 99 (default
        ``12``, what any gRPC server answers to ELB's default health check).
    :param stickiness: keep a client on one task with a load-balancer cookie for this long,
        1 s to 7 days (default: off).
    :param slow_start: ramp a new task's share of requests up over 30 to 900 s (default: off).
    """

    path: str | None = None
    healthy_http_codes: str = "200-399"
    interval: DurationLike = timedelta(seconds=10)
    timeout: DurationLike = timedelta(seconds=5)
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    deregistration_delay: DurationLike = timedelta(seconds=30)
    protocol_version: ProtocolVersion | None = None
    healthy_grpc_codes: str = "12"
    stickiness: DurationLike | None = None
    slow_start: DurationLike | None = None

    def __post_init__(self) -> None:
        normalize_durations(
            self, "interval", "timeout", "deregistration_delay", "stickiness", "slow_start"
        )
        if self.path is not None:
            check_health_check_path(self.path)
        _check_codes("healthy_http_codes", self.healthy_http_codes, _HTTP_CODES, 200, 499)
        _check_codes("healthy_grpc_codes", self.healthy_grpc_codes, _GRPC_CODES, 0, 99)
        check_health_timing(
            held(self.interval),
            held(self.timeout),
            self.healthy_threshold,
            self.unhealthy_threshold,
            held(self.deregistration_delay),
        )
        if self.protocol_version is not None and not isinstance(
            self.protocol_version, ProtocolVersion
        ):
            raise InvalidParameterError(
                "protocol_version",
                self.protocol_version,
                "ProtocolVersion.HTTP1, ProtocolVersion.HTTP2 or ProtocolVersion.GRPC",
            )
        if self.stickiness is not None:
            check_seconds(
                "stickiness", held(self.stickiness), 1, int(MAX_STICKINESS.total_seconds())
            )
        if self.slow_start is not None:
            check_seconds("slow_start", held(self.slow_start), 30, 900)

    def time_to_healthy(self) -> timedelta:
        """Least time from registration to healthy: interval x healthy threshold."""
        return held(self.interval) * self.healthy_threshold

    def resolved_version(self, app_protocol: str | None) -> ProtocolVersion:
        """The protocol version to targets: as given, else from the port's app protocol."""
        if self.protocol_version is not None:
            return self.protocol_version
        if app_protocol in ("GRPC", "HTTP2"):
            return ProtocolVersion(app_protocol)
        return ProtocolVersion.HTTP1

    def target_group_props(
        self, version: ProtocolVersion = ProtocolVersion.HTTP1
    ) -> dict[str, Any]:
        grpc = version is ProtocolVersion.GRPC
        default_path = GRPC_HEALTH_CHECK_PATH if grpc else "/"
        return {
            "deregistration_delay": to_duration(self.deregistration_delay),
            # Left out for HTTP1 (ELB's default): adding the property replaces a target group.
            "protocol_version": (
                None
                if version is ProtocolVersion.HTTP1
                else getattr(elbv2.ApplicationProtocolVersion, version.value)
            ),
            "stickiness_cookie_duration": to_duration(self.stickiness),
            "slow_start": to_duration(self.slow_start),
            "health_check": elbv2.HealthCheck(
                path=self.path or default_path,
                healthy_http_codes=None if grpc else self.healthy_http_codes,
                healthy_grpc_codes=self.healthy_grpc_codes if grpc else None,
                interval=to_duration(self.interval),
                timeout=to_duration(self.timeout),
                healthy_threshold_count=self.healthy_threshold,
                unhealthy_threshold_count=self.unhealthy_threshold,
            ),
        }


def check_health_check_path(path: Any) -> str:
    """ELB's rule for a health check path (target groups, ECS Express Mode, ECS Gateway): a
    '/' and at most 1,023 more printable ASCII characters, no spaces."""
    text = expect_str("health_check_path", path)
    if not re.fullmatch(r"/[\x21-\x7e]{0,1023}", text):
        cleaned = "/" + text.strip().lstrip("/").replace(" ", "")
        raise InvalidParameterError(
            "health_check_path",
            path,
            "a path starting with '/' of at most 1024 printable characters (no spaces)",
            nearest=repr(cleaned[:1024]),
        )
    return text


def gateway_health_check(health: TargetHealth, port: int) -> dict[str, Any]:
    """``health`` as an ECS Gateway connector's health check (``GatewayConnector.HealthCheck``)
    of the tasks' ``port``. The gateway routes HTTP/1.1 (gRPC settings do not apply; stickiness,
    slow start and deregistration delay are the gateway's)."""
    return {
        "HealthCheckPath": health.path or "/",
        "HealthCheckPort": port,
        "HealthCheckProtocol": "HTTP",
        "HealthCheckIntervalSeconds": int(held(health.interval).total_seconds()),
        "HealthCheckTimeoutSeconds": int(held(health.timeout).total_seconds()),
        "HealthyThresholdCount": health.healthy_threshold,
        "UnhealthyThresholdCount": health.unhealthy_threshold,
        "Matcher": {"HttpCode": health.healthy_http_codes},
    }


def check_health_timing(
    interval: timedelta,
    timeout: timedelta,
    healthy_threshold: int,
    unhealthy_threshold: int,
    deregistration_delay: timedelta,
) -> None:
    """ELB's limits on a target group's health checks and draining (ALB and NLB alike)."""
    check_seconds("health_check_timeout", timeout, 2, 120)
    seconds = interval.total_seconds()
    if not 5 <= seconds <= 300 or seconds % 1:
        # The suggested interval must also stay above the timeout.
        nearest = min(max(round(seconds), 5, int(timeout.total_seconds()) + 1), 300)
        raise InvalidParameterError(
            "health_check_interval",
            describe(interval),
            "whole seconds from 5 to 300",
            nearest=f"health_check_interval=Duration.seconds({nearest})",
        )
    if timeout >= interval:
        raise InvalidParameterError(
            "health_check_timeout",
            describe(timeout),
            "less than the health check interval",
            given=f"health_check_interval={describe(interval)}",
            nearest=f"health_check_timeout=Duration.seconds({int(interval.seconds) - 1})",
        )
    check_int_range("healthy_threshold", healthy_threshold, 2, 10)
    check_int_range("unhealthy_threshold", unhealthy_threshold, 2, 10)
    check_seconds("deregistration_delay", deregistration_delay, 0, 3600)


def _check_codes(parameter: str, codes: Any, pattern: re.Pattern[str], low: int, high: int) -> None:
    codes = expect_str(parameter, codes)
    numbers = [int(n) for n in re.findall(r"\d+", codes)]
    if not pattern.fullmatch(codes) or not all(low <= n <= high for n in numbers):
        raise InvalidParameterError(
            parameter,
            codes,
            f"codes from {low} to {high}, as a list ('200,302') or a range ('200-399')",
            nearest=f"{parameter}='{'200-399' if low == 200 else '12'}'",
        )


LEGACY_KEYWORDS = {
    "health_check_path": "path",
    "healthy_http_codes": "healthy_http_codes",
    "health_check_interval": "interval",
    "health_check_timeout": "timeout",
    "healthy_threshold": "healthy_threshold",
    "unhealthy_threshold": "unhealthy_threshold",
    "deregistration_delay": "deregistration_delay",
    "protocol_version": "protocol_version",
    "healthy_grpc_codes": "healthy_grpc_codes",
    "stickiness": "stickiness",
    "slow_start": "slow_start",
}
"""The 0.6 keywords of LoadBalancer, NetworkLoadBalancer and SharedLoadBalancer.route, each
with its TargetHealth field. Deprecated in 0.7.0, removed in 0.10.0."""


def health_from(
    owner: str, health: TargetHealth | None, legacy: Mapping[str, Any], *, stacklevel: int
) -> TargetHealth:
    """``health``, or a :class:`TargetHealth` made from the deprecated keywords in ``legacy``
    that were given (not None), with a :class:`DeprecationWarning` naming the new spelling."""
    given = {name: value for name, value in legacy.items() if value is not None}
    if not given:
        return health if health is not None else TargetHealth()
    spelled = ", ".join(f"{LEGACY_KEYWORDS[name]}={_shown(value)}" for name, value in given.items())
    if health is not None:
        name = next(iter(given))
        value = given[name]
        raise InvalidParameterError(
            name,
            value if isinstance(value, str | int | float) else _shown(value),
            "None when health= is given (the same setting, spelled twice)",
            given="health=TargetHealth(...)",
            nearest=f"health=TargetHealth({spelled}) alone",
        )
    warnings.warn(
        f"{owner}({', '.join(f'{name}=...' for name in given)}) is deprecated and will be "
        f"removed in 0.10.0; write {owner}(health=TargetHealth({spelled}))",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )
    return TargetHealth(**{LEGACY_KEYWORDS[name]: value for name, value in given.items()})


def _shown(value: Any) -> str:
    if type(value).__name__ == "Duration" and hasattr(value, "to_seconds"):
        value = timedelta(seconds=float(value.to_seconds(integral=False)))
    if isinstance(value, timedelta):
        return f"Duration.seconds({value.total_seconds():g})"
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, str | int | float):
        return repr(value)
    return "..."
