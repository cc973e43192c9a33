"""Encrypted CloudWatch log groups with retention, shared by the cluster's flow logs and tasks."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compliance import CROSS_STACK_LOG_KEY, acknowledge
from .doors import checked
from .scopes import stack_of

DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR


def create_key(scope: Construct, id: str, *, description: str) -> kms.Key:
    """A rotating customer-managed KMS key whose grants only AWS services may create."""
    key = kms.Key(scope, id, description=description, enable_key_rotation=True)
    limit_grants_to_aws_services(key)
    return key


def create_log_key(scope: Construct, id: str) -> kms.Key:
    """A rotating KMS key that CloudWatch Logs may use, but only for log groups of this
    account and region (the encryption-context condition AWS documents for log groups)."""
    stack = Stack.of(scope)
    key = kms.Key(
        scope,
        id,
        description=f"Encrypts CloudWatch log groups of {scope.node.path}",
        enable_key_rotation=True,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    # After the statement above, so existing key policies keep their order.
    limit_grants_to_aws_services(key)
    return key


@checked
def limit_grants_to_aws_services(key: kms.Key) -> None:
    """Deny ``kms:CreateGrant`` unless the grant is for an AWS resource or an AWS service asks
    (Control Tower's KMS.PR.3): grants are how a principal could hand the key's use on."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyGrantsExceptForAwsServices",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={
                "BoolIfExists": {
                    "kms:GrantIsForAWSResource": "false",
                    "aws:PrincipalIsAWSService": "false",
                }
            },
        )
    )


def create_log_group(
    scope: Construct,
    id: str,
    *,
    key: kms.IKey,
    retention: logs.RetentionDays,
    name: str | None = None,
) -> logs.LogGroup:
    """A log group encrypted with ``key`` that keeps events for ``retention`` (named ``name``
    where a service writes to a name of its choosing, e.g. EKS)."""
    log_group = logs.LogGroup(
        scope, id, encryption_key=key, retention=retention, log_group_name=name
    )
    if stack_of(key) is not stack_of(scope):
        acknowledge(log_group, CROSS_STACK_LOG_KEY)
    return log_group
