"""Custom domains for load balancers: a DNS-validated ACM certificate in a Route 53 hosted zone
and alias records pointing the names at the load balancer.

Only an ``A`` alias is written for an IPv4 load balancer (what :class:`NetworkedCluster` makes
today); an ``AAAA`` alias to it would answer with no addresses. A dual-stack load balancer
gets both.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass
from typing import Any

import jsii
from aws_cdk import Token
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from constructs import Construct

from .doors import checked
from .errors import InvalidParameterError
from .validation import check_dns_name, expect_interface, expect_str_tuple

CERTIFICATE_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov|-iso[a-z-]*)?:acm:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:"
    r"certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
CERTIFICATE_ARN_SHAPE = "arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>"


def check_certificate_arn(parameter: str, arn: str) -> str:
    if CERTIFICATE_ARN.fullmatch(arn) or Token.is_unresolved(arn):
        return arn
    stripped = arn.strip()
    raise InvalidParameterError(
        parameter,
        arn,
        f"an ACM certificate ARN ({CERTIFICATE_ARN_SHAPE})",
        nearest=f"{parameter}={stripped!r}" if CERTIFICATE_ARN.fullmatch(stripped) else None,
    )


def check_certificate(parameter: str, certificate: Any) -> str | acm.ICertificate | None:
    """An ``acm.ICertificate`` or the ARN of one (CDK users pass either)."""
    if certificate is None or isinstance(certificate, str):
        return None if certificate is None else check_certificate_arn(parameter, certificate)
    found: acm.ICertificate = expect_interface(
        parameter,
        certificate,
        "certificate_arn",
        f"an aws_certificatemanager.ICertificate or a certificate ARN ({CERTIFICATE_ARN_SHAPE})",
    )
    return found


def certificate_for(
    scope: Construct, certificate: str | acm.ICertificate | None, domain: Domain | None
) -> acm.ICertificate | None:
    """The listener certificate: the one given (an ARN is imported as ``Certificate``), else a
    DNS-validated one for ``domain``, else none."""
    if isinstance(certificate, str):
        return acm.Certificate.from_certificate_arn(scope, "Certificate", certificate)
    if certificate is not None:
        return certificate
    return domain.certificate(scope, "Certificate") if domain is not None else None


@checked
@dataclass(frozen=True)
class Domain:
    """Serve a load balancer under ``name`` (and ``extra_names``) from a Route 53 hosted zone.

    Without a certificate of your own, an ACM certificate for all the names is made and
    validated through DNS records in ``zone``; ``A`` alias records point the names at the load
    balancer. Each name must be inside the zone.

    :param name: e.g. ``"shop.example.com"``.
    :param zone: the ``route53.IHostedZone`` holding ``name`` (its name must be known:
        ``HostedZone.from_hosted_zone_attributes`` or ``from_lookup``, not ``from_hosted_zone_id``).
    :param extra_names: further names served by the same load balancer and certificate
        (``"*.shop.example.com"`` allowed for the certificate; it gets a wildcard record).
    """

    name: str
    zone: route53.IHostedZone
    _: KW_ONLY
    extra_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_dns_name("domain.name", self.name)
        expect_interface("domain.zone", self.zone, "hosted_zone_id", "a route53.IHostedZone")
        extra = expect_str_tuple("domain.extra_names", self.extra_names)
        object.__setattr__(self, "extra_names", extra)
        for extra_name in extra:
            check_dns_name("domain.extra_names", extra_name, wildcard=True)
        zone_name = self.zone_name
        named = (("domain.name", self.name), *(("domain.extra_names", n) for n in extra))
        for parameter, name in named:
            if not Token.is_unresolved(zone_name) and not _inside(name, zone_name):
                raise InvalidParameterError(
                    parameter,
                    name,
                    f"a name inside the hosted zone {zone_name!r}",
                    nearest=repr(f"{name.split('.')[0]}.{zone_name}"),
                )
        if len(set(self.names)) != len(self.names):
            raise InvalidParameterError(
                "domain.extra_names", extra, "names other than domain.name, each once"
            )

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.extra_names)

    @property
    def zone_name(self) -> str:
        try:
            return self.zone.zone_name.rstrip(".")
        except jsii.errors.JSIIError:
            raise InvalidParameterError(
                "domain.zone",
                self.zone.hosted_zone_id,
                "a hosted zone whose name is known at synth time "
                "(HostedZone.from_hosted_zone_attributes(...) or HostedZone.from_lookup(...))",
                nearest="zone=route53.HostedZone.from_hosted_zone_attributes(scope, 'Zone', "
                "hosted_zone_id=..., zone_name='example.com')",
            ) from None

    def certificate(self, scope: Construct, id: str) -> acm.Certificate:
        return acm.Certificate(
            scope,
            id,
            domain_name=self.name,
            subject_alternative_names=list(self.extra_names) or None,
            validation=acm.CertificateValidation.from_dns(self.zone),
        )

    def add_alias_records(
        self, scope: Construct, load_balancer: elbv2.ILoadBalancerV2
    ) -> list[route53.RecordSet]:
        """An ``A`` alias per name (and ``AAAA`` for a dual-stack load balancer)."""
        target = route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(load_balancer))
        dual_stack = getattr(load_balancer, "ip_address_type", None) in (
            elbv2.IpAddressType.DUAL_STACK,
            elbv2.IpAddressType.DUAL_STACK_WITHOUT_PUBLIC_IPV4,
        )
        records: list[route53.RecordSet] = []
        for name in self.names:
            records.append(
                route53.ARecord(
                    scope, f"Alias {name}", zone=self.zone, record_name=f"{name}.", target=target
                )
            )
            if dual_stack:
                records.append(
                    route53.AaaaRecord(
                        scope,
                        f"Alias6 {name}",
                        zone=self.zone,
                        record_name=f"{name}.",
                        target=target,
                    )
                )
        return records


def _inside(name: str, zone_name: str) -> bool:
    name = name.removeprefix("*.")
    return name == zone_name or name.endswith("." + zone_name)
