"""ManagedWebAcl: a regional WAF web ACL of AWS managed rule groups, logged to an encrypted log
group, for a public load balancer (``web_acl_arn=acl.arn``)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Names, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from .doors import checked
from .log_groups import DEFAULT_LOG_RETENTION
from .validation import expect_str_tuple

DEFAULT_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
)


@checked
class ManagedWebAcl(Construct):
    """A web ACL that allows by default and runs AWS managed rule groups in order (default: the
    core rule set, the IP reputation list and known bad inputs), with CloudWatch metrics,
    sampled requests and full logging to a log group named ``aws-waf-logs-...`` (WAF's rule)
    encrypted with ``log_key``.

    :param log_key: KMS key of the log group (e.g. ``NetworkedCluster.log_key``).
    :param rule_groups: AWS managed rule group names, in priority order.
    :param log_retention: retention of the log group (default one year).

    Attributes: :attr:`web_acl` (``CfnWebACL``), :attr:`arn`, :attr:`log_group`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_key: kms.IKey,
        rule_groups: Sequence[str] = DEFAULT_RULE_GROUPS,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    ) -> None:
        groups = expect_str_tuple("rule_groups", rule_groups)
        super().__init__(scope, id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name=name,
                    priority=priority,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name=name
                        )
                    ),
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    visibility_config=_visibility(name),
                )
                for priority, name in enumerate(groups, start=1)
            ],
            visibility_config=_visibility("WebAcl"),
        )
        self.arn = self.web_acl.attr_arn
        stack = Stack.of(self)
        log_group_name = f"aws-waf-logs-{Names.unique_id(self)}"[:512]
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            encryption_key=log_key,
            retention=log_retention,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        logging.node.add_dependency(self.log_group)


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )
