"""Which VPC endpoint a task needs for each AWS API it calls, when its subnets have no NAT route.

Pure data and functions (no aws_cdk import): the reachability check and the cost command read
it. An IAM action's service prefix names the endpoint (``sqs:ReceiveMessage`` -> ``sqs``);
S3 and DynamoDB have free gateway endpoints, everything else an interface endpoint priced per
AZ and hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GATEWAY_ENDPOINTS = frozenset({"s3", "dynamodb"})

# IAM service prefix -> the endpoint services a call needs.
ENDPOINTS_FOR_ACTION_PREFIX: Mapping[str, tuple[str, ...]] = {
    "sqs": ("sqs",),
    "sns": ("sns",),
    "dynamodb": ("dynamodb",),
    "s3": ("s3",),
    "kms": ("kms",),
    "secretsmanager": ("secretsmanager",),
    "ssm": ("ssm",),
    "ssmmessages": ("ssmmessages",),
    "logs": ("logs",),
    "ecr": ("ecr.api", "ecr.dkr", "s3"),
    "xray": ("xray",),
    "events": ("events",),
    "states": ("states",),
    "sts": ("sts",),
    "firehose": ("kinesis-firehose",),
    "kinesis": ("kinesis-streams",),
    "cloudwatch": ("monitoring",),
    "lambda": ("lambda",),
    "ecs": ("ecs",),
    "scheduler": ("scheduler",),
    "elasticloadbalancing": ("elasticloadbalancing",),
    "ses": ("email",),
    "rds-data": ("rds-data",),
    "bedrock": ("bedrock-runtime",),
    "execute-api": ("execute-api",),
    "appconfig": ("appconfigdata",),
}

# Actions the task never calls itself: other services call with the caller's permission.
# kms:* next to one of these services is server-side encryption, done by that service.
ENCRYPTS_ON_CALLERS_BEHALF = frozenset(
    {"sqs", "sns", "s3", "dynamodb", "secretsmanager", "ssm", "logs", "kinesis", "firehose"}
)
# Actions needing no endpoint of their own (evaluated by the service they guard).
NO_ENDPOINT = frozenset({"elasticfilesystem", "iam"})

KNOWN_ENDPOINTS = frozenset(
    name for names in ENDPOINTS_FOR_ACTION_PREFIX.values() for name in names
)

TASK_START_ENDPOINTS = ("ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "ssm")
"""What the library adds to an isolated VPC by default so tasks start: pull from ECR (layers
come from S3), ship logs, read secrets and parameters."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def needed_by_statements(
    statements: Iterable[Mapping[str, Any]], *, via_service_only: bool = False
) -> dict[str, str]:
    """Endpoint name -> the first action that needs it, for ``Allow`` statements. ``kms``
    actions in a policy that also grants a service which encrypts on the caller's behalf are
    taken as that service's server-side encryption (no KMS endpoint). With
    ``via_service_only`` (the execution role: the Fargate agent decrypts secrets through
    Secrets Manager and SSM), ``kms`` is never needed."""
    statements = [s for s in statements if s.get("Effect") == "Allow"]
    prefixes = {
        str(action).split(":", 1)[0].lower()
        for statement in statements
        for action in _as_list(statement.get("Action"))
        if ":" in str(action)
    }
    sse_only = via_service_only or bool(prefixes & ENCRYPTS_ON_CALLERS_BEHALF)
    needed: dict[str, str] = {}
    for statement in statements:
        for action in _as_list(statement.get("Action")):
            prefix = str(action).split(":", 1)[0].lower()
            if prefix in NO_ENDPOINT or (prefix == "kms" and sse_only):
                continue
            for endpoint in ENDPOINTS_FOR_ACTION_PREFIX.get(prefix, ()):
                needed.setdefault(endpoint, str(action))
    return needed


def unknown_prefixes(statements: Iterable[Mapping[str, Any]]) -> set[str]:
    """Service prefixes this module has no endpoint for (the check warns about them)."""
    return {
        str(action).split(":", 1)[0].lower()
        for statement in statements
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action"))
        if ":" in str(action)
        and str(action).split(":", 1)[0].lower() not in ENDPOINTS_FOR_ACTION_PREFIX
        and str(action).split(":", 1)[0].lower() not in NO_ENDPOINT
    }
