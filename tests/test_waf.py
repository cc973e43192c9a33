"""ManagedWebAcl's default rule groups are pinned: dropping one (e.g. known bad inputs, which
blocks Log4Shell-style payloads) must be a reviewed change, not a silent one."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk.assertions import Template

from fargate_constructs import ManagedWebAcl, NetworkedCluster

from .harness import make_app


def test_default_rule_groups_in_priority_order() -> None:
    app = make_app()
    stack = Stack(app, "Waf")
    net = NetworkedCluster(stack, "Net")
    ManagedWebAcl(stack, "WebAcl", log_key=net.log_key)
    (acl,) = Template.from_stack(stack).find_resources("AWS::WAFv2::WebACL").values()
    rules = acl["Properties"]["Rules"]
    assert [
        (
            rule["Priority"],
            rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"],
            rule["Statement"]["ManagedRuleGroupStatement"]["Name"],
        )
        for rule in rules
    ] == [
        (1, "AWS", "AWSManagedRulesCommonRuleSet"),
        (2, "AWS", "AWSManagedRulesAmazonIpReputationList"),
        (3, "AWS", "AWSManagedRulesKnownBadInputsRuleSet"),
    ]
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    assert all(rule["OverrideAction"] == {"None": {}} for rule in rules)
