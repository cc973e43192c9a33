"""Reasoned acknowledgments of compliance findings, all in one place.

The library is checked with cdk-nag's AwsSolutions, NIST 800-53 R5, HIPAA Security and
PCI DSS 3.2.1 packs. A finding is fixed where it can be; what remains is a deliberate design
choice, acknowledged on the narrowest construct with the reason a reviewer needs. Every
acknowledgment the example app ends up with, and where, is listed in
tests/__snapshots__/test_app/test_every_acknowledgment_in_one_place.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct, IValidation

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


def ignore_lint_check(resource: CfnResource, check: str, reason: str) -> None:
    """Tell cfn-lint (through the resource's Metadata, which every cfn-lint run reads) to skip
    ``check`` on ``resource``; ``reason`` is recorded beside it."""
    existing = resource.get_metadata("cfn-lint") or {}
    config = dict(existing.get("config", {}))
    config["ignore_checks"] = sorted({*config.get("ignore_checks", []), check})
    reasons = {**existing.get("reasons", {}), check: reason}
    resource.add_metadata("cfn-lint", {"config": config, "reasons": reasons})


REDUNDANT_DEPENDS_ON = (
    "aws-cdk-lib writes a DependsOn next to a Ref/GetAtt of the same resource; the extra "
    "DependsOn is redundant and harmless, and it is added where this library cannot remove it"
)


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

PUBLIC_LISTENER_INGRESS = Exemption(
    rule_ids=(f"{AWS_SOLUTIONS}-EC23",),
    reason="Internet-facing load balancer: clients anywhere must reach its listener (443, and "
    "80 which only redirects to 443); tasks behind it admit only the load balancer.",
)
REDIRECT_ONLY_LISTENER = Exemption(
    rule_ids=in_compliance_packs("ELBv2ACMCertificateRequired"),
    reason="This port-80 listener only answers with a redirect to HTTPS; no content is served "
    "without TLS, and a redirect needs no certificate.",
)
INTERNAL_LOAD_BALANCER_WAF = Exemption(
    rule_ids=tuple(f"{pack}-ALBWAFEnabled" for pack in ("NIST.800.53.R5", "PCI.DSS.321")),
    reason="Internal load balancer, reachable only from inside the VPC; a WAF web ACL can "
    "still be attached with web_acl_arn.",
)
PLAIN_HTTP_OPT_IN = Exemption(
    rule_ids=(
        *in_compliance_packs("ALBHttpToHttpsRedirection"),
        *in_compliance_packs("ELBv2ACMCertificateRequired"),
    ),
    reason="Plain HTTP was asked for explicitly (allow_plain_http=True), which the docs "
    "reserve for demos; production listeners take certificate_arn.",
)
ACCESS_LOG_BUCKET = Exemption(
    rule_ids=(
        f"{AWS_SOLUTIONS}-S1",
        *in_compliance_packs("S3BucketLoggingEnabled"),
        *in_compliance_packs("S3BucketReplicationEnabled"),
        *in_compliance_packs("S3DefaultEncryptionKMS"),
    ),
    reason="Load balancer access-log bucket: ELB delivers logs only to SSE-S3 buckets (not "
    "KMS); server access logging or replicating it would need a further bucket (one per "
    "account and region would do, which this library does not own) for copies of data that "
    "is itself a log. It is SSL-only, private, versioned and expires objects.",
)
ACCESS_LOG_BUCKET_CONTROL_TOWER = Exemption(
    rule_ids=tuple(
        f"cdk-validator-cfnguard::{rule}"
        for rule in (
            "s3_bucket_default_encryption_kms_check",
            "s3_bucket_logging_enabled_check",
            "s3_bucket_object_lock_enabled_check",
            "s3_event_notifications_enabled_check",
        )
    ),
    reason="Load balancer access-log bucket: ELB log delivery supports only SSE-S3, not KMS; "
    "server access logging would need a further log bucket (one per account and region would "
    "do, which this library does not own); object lock is off because these are operational "
    "logs, not records that must be immutable (where they must be, a retention shorter than "
    "the lifecycle expiry keeps expiry working: add it through the bucket's L1); nothing "
    "consumes events of new log objects.",
)
CUSTOM_RESOURCE_LAMBDA = Exemption(
    rule_ids=("cdk-validator-cfnguard::lambda_inside_vpc_check",),
    reason="aws-cdk-lib's provider Lambda that removes the default security group's rules runs "
    "once per deploy and calls only the EC2 API; in the VPC it would need a NAT route or an EC2 "
    "endpoint to reach it. restrict_default_security_group=False removes it.",
)
EKS_FARGATE_POD_EXECUTION_POLICY = Exemption(
    rule_ids=(
        f"{AWS_SOLUTIONS}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonEKSFargatePodExecutionRolePolicy]",
    ),
    reason="Fargate's pod execution role pulls images with the AWS managed policy AWS keeps in "
    "step with what Fargate needs (ECR reads; ecr:GetAuthorizationToken has no resource); "
    "the role is trusted only for this cluster's Fargate profiles.",
)
EKS_CLUSTER_POLICY = Exemption(
    rule_ids=(
        f"{AWS_SOLUTIONS}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]",
    ),
    reason="The EKS cluster role holds the AWS managed policy AWS documents for it and keeps in "
    "step with the control plane; it is trusted only by eks.amazonaws.com.",
)
EKS_PUBLIC_ENDPOINT = Exemption(
    rule_ids=(f"{AWS_SOLUTIONS}-EKS1",),
    reason="The Kubernetes API endpoint is public because public_access_cidrs was given, and "
    "only those CIDR blocks reach it (0.0.0.0/0 is refused at synth).",
)
EKS_IRSA_CONDITIONS = Exemption(
    rule_ids=("cdk-validator-cfnguard::lambda_inside_vpc_check",),
    reason="aws-cdk-lib's CfnJson provider turns the OIDC issuer (known at deploy) into the "
    "IRSA trust policy's condition keys; CloudFormation cannot take an intrinsic as a key.",
)
CROSS_STACK_LOG_KEY = Exemption(
    rule_ids=("cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check",),
    reason="Encrypted with a customer managed KMS key of another stack (the platform's log key, "
    "which allows CloudWatch Logs); its ARN arrives through Fn::ImportValue, which the control's "
    "rule cannot evaluate as a key ARN.",
)

NLB_ACCESS_LOGS = Exemption(
    rule_ids=(f"{AWS_SOLUTIONS}-ELB2", *in_compliance_packs("ELBLoggingEnabled")),
    reason="A network load balancer writes access logs only for TLS listeners; this one has "
    "none (TCP or UDP), so a log bucket would stay empty. TLS listeners get access logs.",
)
PASS_THROUGH_LISTENER = Exemption(
    rule_ids=in_compliance_packs("ELBv2ACMCertificateRequired"),
    reason="A TCP or UDP network load balancer listener passes the client's bytes through "
    "unchanged (an application speaking TLS ends it itself); NlbProtocol.TLS listeners take an "
    "ACM certificate.",
)
ECS_LOAD_BALANCER_ROLE = Exemption(
    rule_ids=(
        f"{AWS_SOLUTIONS}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonECSInfrastructureRolePolicyForLoadBalancers]",
    ),
    reason="ECS's blue/green traffic shifting role uses the AWS managed policy AWS maintains in "
    "step with the ECS deployment controller (a hand-written copy could silently break "
    "rollbacks); the role is trusted by ecs.amazonaws.com with AWS's documented trust policy "
    "for it (no condition keys are documented for this role).",
)

EXPRESS_INFRASTRUCTURE_ROLE = Exemption(
    rule_ids=(
        f"{AWS_SOLUTIONS}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonECSInfrastructureRoleforExpressGatewayServices]",
    ),
    reason="ECS Express Mode makes and changes the service's load balancer, listener rules, "
    "target groups, security groups, certificate and scaling policy as the service changes; "
    "AWS keeps this managed policy in step with what Express Mode does (a hand-written copy "
    "could break a deploy when it changes). The role is trusted by ecs.amazonaws.com with "
    "AWS's documented trust policy for it (no condition keys are documented).",
)

ECS_GATEWAY_ROLE = Exemption(
    rule_ids=(
        f"{AWS_SOLUTIONS}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonECSInfrastructureRoleForGatewayHostSharedALB]",
    ),
    reason="ECS Gateway makes, scales and updates the gateway's load balancers, listeners, "
    "rules and target groups as services join and deploy; AWS keeps this managed policy in "
    "step with what the gateway does. The role is trusted by ecs.amazonaws.com with AWS's "
    "documented trust policy for infrastructure roles (no condition keys are documented).",
)

SCHEMA_NEWER_THAN_AWS_CDK = Exemption(
    rule_ids=("CloudFormation-Validate::F3006", "CloudFormation-Validate::F3002"),
    reason="aws-cdk-lib 2.275's bundled CloudFormation schemas predate ECS Gateway "
    "(AWS::ECS::Gateway, AWS::ECS::GatewayClusterAssociations, a service's GatewayConnectors); "
    "cfn-lint 1.58's schemas know them, and every template is linted with it.",
)

ALARMS_WITHOUT_TOPIC = Exemption(
    rule_ids=(
        *in_compliance_packs("CloudWatchAlarmAction"),
        "cdk-validator-cfnguard::cloudwatch_alarm_action_check",
    ),
    reason="ECS acts on this alarm: it is a deployment alarm, and ECS reads its state to roll a "
    "deployment back. No notification topic was given (alarm_topic=) to also page people.",
)

INFORMATIONAL_ALARMS_WITHOUT_TOPIC = Exemption(
    rule_ids=(
        *in_compliance_packs("CloudWatchAlarmAction"),
        "cdk-validator-cfnguard::cloudwatch_alarm_action_check",
    ),
    reason="Asked for explicitly (informational_alarms=True) without a topic: the alarm shows the "
    "service's state in the CloudWatch console and dashboards; give alarm_topic= to notify.",
)

SCHEDULER_DEAD_LETTER_QUEUE = Exemption(
    rule_ids=(f"{AWS_SOLUTIONS}-SQS3",),
    reason="This queue is itself a dead-letter queue: EventBridge Scheduler sends it the runs it "
    "could not start (a target DLQ, which cdk-nag cannot see as one); it is read by people "
    "investigating failed runs, not by a consumer whose failures would need another DLQ.",
)

QUEUE_URL_VARIABLE = Exemption(
    rule_ids=(f"{AWS_SOLUTIONS}-ECS2",),
    reason="The only plain environment variable is the worker queue's URL, an address and not a "
    "secret (IAM decides who may read the queue); secrets go in secrets=.",
)

# Actions IAM only accepts with Resource "*", and why granting them is safe.
ECR_AUTH_TOKEN_REASON = (
    "ecr:GetAuthorizationToken does not support resource-level permissions (IAM only accepts "
    "Resource '*'); the token alone grants nothing: image pulls are scoped to the repository."
)
ECS_EXEC_REASON = (
    "The ssmmessages channel actions ECS Exec needs do not support resource-level permissions "
    "(IAM only accepts Resource '*'); they only open the task's own SSM session channels."
)
XRAY_REASON = (
    "The X-Ray actions the tracing collector calls (PutTraceSegments, PutTelemetryRecords and "
    "the sampling reads) do not support resource-level permissions (IAM only accepts Resource "
    "'*'); they write this account's traces and read its sampling rules, nothing else."
)
RESOURCELESS_ACTIONS: dict[frozenset[str], str] = {
    frozenset(
        {
            "xray:GetSamplingRules",
            "xray:GetSamplingStatisticSummaries",
            "xray:GetSamplingTargets",
            "xray:PutTelemetryRecords",
            "xray:PutTraceSegments",
        }
    ): XRAY_REASON,
    frozenset({"ecr:GetAuthorizationToken"}): ECR_AUTH_TOKEN_REASON,
    frozenset(
        {
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        }
    ): ECS_EXEC_REASON,
}


def acknowledge_wildcard_resource(scope: IConstruct, reason: str, resource: Any = "*") -> None:
    """Acknowledge AwsSolutions-IAM5's ``Resource::<resource>`` finding on ``scope``, with why.
    ``resource`` may hold tokens; it is named the way cdk-nag names it in its finding ids."""
    flat = flatten_cfn_reference(Stack.of(scope).resolve(resource))
    acknowledge(scope, Exemption((f"{AWS_SOLUTIONS}-IAM5[Resource::{flat}]",), reason))


@jsii.implements(IValidation)
class _LateAcknowledgment:
    """Acknowledges an IAM5 finding once cross-stack references are resolved (validation runs
    after CDK turns a reference to another stack into ``Fn::ImportValue``), so the finding id
    matches what cdk-nag sees in a consumer stack."""

    def __init__(self, scope: IConstruct, reason: str, resource: Any) -> None:
        self._scope, self._reason, self._resource = scope, reason, resource

    def validate(self) -> list[str]:
        acknowledge_wildcard_resource(self._scope, self._reason, self._resource)
        return []


def acknowledge_wildcard_resource_across_stacks(
    scope: IConstruct, reason: str, resource: Any
) -> None:
    """:func:`acknowledge_wildcard_resource` now, and again once ``resource`` is resolved for
    ``scope``'s stack, where it may name another stack's export."""
    acknowledge_wildcard_resource(scope, reason, resource)
    scope.node.add_validation(_LateAcknowledgment(scope, reason, resource))


def flatten_cfn_reference(node: Any) -> str:
    """cdk-nag's ``flattenCfnReference``: how a resolved CloudFormation value appears in a
    finding id (``{"Ref": "X"}`` becomes ``<X>``, joins are concatenated)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_cfn_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_cfn_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_cfn_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_cfn_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


RUN_TASK_REASON = (
    "grant_run: RunTask must name every revision of one task definition family (':*') and "
    "only in one cluster (ecs:cluster condition); describe/stop/tag name the tasks of that one "
    "cluster, whose ids do not exist before they start."
)
