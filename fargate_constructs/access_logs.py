"""Access logs for load balancers: a bucket ELB can deliver to, in any region."""

from __future__ import annotations

import functools
from datetime import timedelta

from aws_cdk import Aws, CfnCondition, CfnMapping, Duration, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from .compliance import ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_CONTROL_TOWER, acknowledge


def access_log_bucket(scope: Construct, retention: timedelta) -> s3.Bucket:
    """A bucket for load balancer access logs: SSE-S3 (all ELB log delivery supports), SSL
    only, no public access, versioned, expiring after ``retention``."""
    bucket = s3.Bucket(
        scope,
        "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(
                expiration=Duration.days(max(1, retention.days)),
                noncurrent_version_expiration=Duration.days(1),
            )
        ],
    )
    acknowledge(bucket, ACCESS_LOG_BUCKET)
    acknowledge(bucket, ACCESS_LOG_BUCKET_CONTROL_TOWER)
    return bucket


ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


def allow_elb_log_delivery(bucket: s3.Bucket, prefix: str) -> None:
    """Let ELB deliver access logs of this account under ``prefix``, in any region: the
    log-delivery account of regions opened before August 2022 (resolved in CloudFormation,
    so an environment-agnostic stack works) and the log-delivery service principal."""
    log_objects = bucket.arn_for_objects(f"{prefix}/AWSLogs/{Aws.ACCOUNT_ID}/*")
    for principal in (
        iam.ArnPrincipal(elb_log_account_root(Stack.of(bucket))),
        iam.ServicePrincipal(ELB_LOG_DELIVERY),
    ):
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal], actions=["s3:PutObject"], resources=[log_objects]
            )
        )


_ELB_ACCOUNTS_ID = "FargateConstructsElbLogAccounts"
_ELB_LEGACY_REGION_ID = "FargateConstructsElbLegacyLogRegion"


@functools.cache
def _elb_log_accounts() -> dict[str, dict[str, str]]:
    # aws-cdk-lib's region facts are fixed for the process: read them (two round trips to the
    # jsii runtime per region) once, not once per stack.
    return {
        region.name: {"Account": region.elbv2_account or "none"} for region in RegionInfo.regions
    }


def elb_log_account_root(stack: Stack) -> str:
    """ARN of ELB's log-delivery account in the deploy region (regions opened before August
    2022), else this account's root, which changes nothing; newer regions use the
    log-delivery service principal. One mapping and condition per stack."""
    mapping = stack.node.try_find_child(_ELB_ACCOUNTS_ID)
    if mapping is None:
        mapping = CfnMapping(
            stack,
            _ELB_ACCOUNTS_ID,
            mapping=_elb_log_accounts(),
        )
        CfnCondition(
            stack,
            _ELB_LEGACY_REGION_ID,
            expression=Fn.condition_not(
                Fn.condition_equals(mapping.find_in_map(Aws.REGION, "Account"), "none")
            ),
        )
    assert isinstance(mapping, CfnMapping)
    account = mapping.find_in_map(Aws.REGION, "Account")
    return Fn.condition_if(
        _ELB_LEGACY_REGION_ID,
        f"arn:{Aws.PARTITION}:iam::{account}:root",
        f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:root",
    ).to_string()
