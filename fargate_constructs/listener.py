"""How an application load balancer faces its clients (:class:`ListenerSettings`) and what its
listener rules may match (:func:`check_rule_conditions`): value rules ELB would otherwise
enforce only at deploy time."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from aws_cdk import aws_certificatemanager as acm

from .domain import Domain, check_certificate
from .durations import DurationLike, check_seconds, describe, held, normalize_durations
from .errors import InvalidParameterError
from .validation import check_cidrs, check_int_range, expect_bool, expect_instance

HTTPS_PORT = 443
HTTP_PORT = 80


def cidr_tuple(cidrs: Sequence[str] | None) -> tuple[str, ...] | None:
    return check_cidrs("allowed_cidrs", cidrs) if cidrs is not None else None


@dataclass(frozen=True, kw_only=True)
class ListenerSettings:
    """How an ALB faces its clients.

    :param public: internet-facing in the public subnets (default) or internal in the private
        subnets.
    :param certificate: ACM certificate for the HTTPS listener, an ``acm.ICertificate`` or its
        ARN; required unless ``domain`` (which makes one) or ``allow_plain_http``.
    :param certificate_arn: the same as an ARN (kept from 0.1; prefer ``certificate``).
    :param port: listener port (default 443, or 80 with plain HTTP).
    :param allow_plain_http: serve plain HTTP without a certificate. For demos only; the
        compliance findings this causes are acknowledged as this explicit opt-in.
    :param access_logs: write access logs to an S3 bucket (SSE-S3, SSL only, versioned).
    :param access_log_retention: how long access logs are kept (default 365 days).
    :param deletion_protection: (default True) turn off for stacks you expect to destroy.
    :param web_acl_arn: a WAFv2 web ACL to associate with the load balancer.
    :param domain: a :class:`Domain`: a DNS-validated certificate (unless ``certificate`` is
        given) and alias records in its hosted zone.
    :param allowed_cidrs: IPv4/IPv6 networks allowed to reach the listeners (default: anywhere
        for a public load balancer, the VPC for an internal one).
    :param idle_timeout: close client connections idle this long, 1 to 4000 s (default 60 s).
    """

    public: bool = True
    certificate: str | acm.ICertificate | None = None
    certificate_arn: str | None = None
    port: int | None = None
    allow_plain_http: bool = False
    access_logs: bool = True
    access_log_retention: DurationLike = timedelta(days=365)
    deletion_protection: bool = True
    web_acl_arn: str | None = None
    domain: Domain | None = None
    allowed_cidrs: tuple[str, ...] | None = None
    idle_timeout: DurationLike | None = None

    def __post_init__(self) -> None:
        normalize_durations(self, "access_log_retention", "idle_timeout")
        for name in ("public", "allow_plain_http", "access_logs", "deletion_protection"):
            expect_bool(name, getattr(self, name))
        if self.certificate is not None and self.certificate_arn is not None:
            raise InvalidParameterError(
                "certificate_arn",
                self.certificate_arn,
                "None when certificate= is given (they are the same setting)",
                nearest="certificate_arn=None",
            )
        certificate = check_certificate(
            "certificate" if self.certificate is not None else "certificate_arn",
            self.certificate if self.certificate is not None else self.certificate_arn,
        )
        object.__setattr__(self, "certificate", certificate)
        object.__setattr__(self, "certificate_arn", None)
        if self.domain is not None:
            expect_instance("domain", self.domain, Domain, "a Domain(name=..., zone=...)")
            if self.allow_plain_http:
                raise InvalidParameterError(
                    "allow_plain_http",
                    True,
                    "False with a domain: the domain gets a DNS-validated certificate",
                    given=f"domain=Domain({self.domain.name!r}, ...)",
                    nearest="allow_plain_http=False",
                )
        if not self.https and not self.allow_plain_http:
            raise InvalidParameterError(
                "certificate",
                None,
                "an ACM certificate (acm.ICertificate or ARN) for the HTTPS listener, a "
                "domain=Domain(...) to make one, or allow_plain_http=True (demos only)",
                nearest="certificate='arn:aws:acm:<region>:<account>:certificate/<id>'",
            )
        if self.port is not None:
            check_int_range("port", self.port, 1, 65535)
        if held(self.access_log_retention) < timedelta(days=1):
            raise InvalidParameterError(
                "access_log_retention",
                describe(held(self.access_log_retention)),
                "at least one day",
                nearest="access_log_retention=Duration.days(1)",
            )
        if self.allowed_cidrs is not None:
            object.__setattr__(
                self, "allowed_cidrs", check_cidrs("allowed_cidrs", self.allowed_cidrs)
            )
            if not self.allowed_cidrs:
                raise InvalidParameterError(
                    "allowed_cidrs",
                    [],
                    "at least one network (None for the default)",
                    nearest="allowed_cidrs=None",
                )
        if self.idle_timeout is not None:
            check_seconds("idle_timeout", held(self.idle_timeout), 1, 4000)

    @property
    def https(self) -> bool:
        return self.certificate is not None or self.domain is not None

    def as_kwargs(self) -> dict[str, Any]:
        """These settings as :class:`SharedLoadBalancer` keyword arguments."""
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @property
    def listener_port(self) -> int:
        if self.port is not None:
            return self.port
        return HTTPS_PORT if self.https else HTTP_PORT


MAX_CONDITION_VALUES = 5
"""ELB's limit on the values of all conditions of one listener rule together."""
_HOST_HEADER = re.compile(
    r"[A-Za-z0-9*?]([A-Za-z0-9*?-]*[A-Za-z0-9*?])?(\.[A-Za-z0-9*?]([A-Za-z0-9*?-]*[A-Za-z0-9*?])?)*"
)
_PATH_PATTERN = re.compile(r"/[A-Za-z0-9_\-.$/~\"'@:+&*?]*")


def check_rule_conditions(host_headers: Sequence[str], path_patterns: Sequence[str]) -> None:
    """What ELB refuses at deploy time in a listener rule's host and path conditions."""
    if not host_headers and not path_patterns:
        raise InvalidParameterError(
            "host_headers, path_patterns",
            ((), ()),
            "at least one host header or path pattern to match",
            nearest="path_patterns=['/*']",
        )
    for host in host_headers:
        if len(host) > 128 or not _HOST_HEADER.fullmatch(host):
            parsed = urllib.parse.urlsplit(host if "//" in host else f"//{host}").hostname
            raise InvalidParameterError(
                "host_headers",
                host,
                "host names of letters, digits, '-' and '.', with '*' or '?' as wildcards, up "
                "to 128 characters (no scheme, port or path)",
                nearest=f"host_headers=[{parsed!r}]" if parsed and parsed != host else None,
            )
    for path in path_patterns:
        if len(path) > 128 or not _PATH_PATTERN.fullmatch(path):
            fixed = path if path.startswith("/") else f"/{path}"
            raise InvalidParameterError(
                "path_patterns",
                path,
                "paths starting with '/', of letters, digits and _-.$/~\"'@:+&, with '*' or '?' "
                "as wildcards, up to 128 characters",
                nearest=f"path_patterns=[{fixed!r}]" if _PATH_PATTERN.fullmatch(fixed) else None,
            )
    count = len(host_headers) + len(path_patterns)
    if count > MAX_CONDITION_VALUES:
        raise InvalidParameterError(
            "host_headers, path_patterns",
            f"{len(host_headers)} host headers and {len(path_patterns)} path patterns",
            f"at most {MAX_CONDITION_VALUES} values in one rule's conditions together "
            "(ELB's limit)",
            nearest="two routes (each with its own priority) that share the values, or a "
            "wildcard ('*.example.com', '/api/*') that covers several",
        )
