"""Reasoned acknowledgments of compliance findings, all in one place.

The library is checked with cdk-nag's AwsSolutions, NIST 800-53 R5, HIPAA Security and
PCI DSS 3.2.1 packs. A finding is fixed where it can be; what remains is a deliberate design
choice, acknowledged here on the narrowest construct with the reason a reviewer needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"
COMPLIANCE_PACKS = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")
"""Rule-id prefixes of the three compliance packs, which share most rule names."""


@dataclass(frozen=True)
class Exemption:
    """Rule ids acknowledged together, and why."""

    rule_ids: tuple[str, ...]
    reason: str

    def __post_init__(self) -> None:
        if not self.rule_ids or not self.reason.strip():
            raise ValueError("an exemption needs at least one rule id and a reason")


def in_compliance_packs(rule: str) -> tuple[str, ...]:
    """The ids of ``rule`` in each compliance pack, e.g. ``NIST.800.53.R5-<rule>``."""
    return tuple(f"{pack}-{rule}" for pack in COMPLIANCE_PACKS)


def acknowledge(scope: IConstruct, exemption: Exemption) -> None:
    """Acknowledge every rule of ``exemption`` on ``scope`` and the constructs below it."""
    Validations.of(scope).acknowledge(
        *(Acknowledgment(id=rule_id, reason=exemption.reason) for rule_id in exemption.rule_ids)
    )


PUBLIC_SUBNET_INTERNET_ROUTE = Exemption(
    rule_ids=in_compliance_packs("VPCNoUnrestrictedRouteToIGW"),
    reason="Public subnets hold only NAT gateways and internet-facing load balancers, which "
    "need a route to the internet gateway; tasks run in private subnets without public IPs.",
)

ALL_EXEMPTIONS: dict[str, Exemption] = {
    "PUBLIC_SUBNET_INTERNET_ROUTE": PUBLIC_SUBNET_INTERNET_ROUTE,
}
"""Every exemption the library applies, by name, so reviewers can read them in one place."""
