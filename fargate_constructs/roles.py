"""IAM roles for Fargate tasks: trusted by ecs-tasks.amazonaws.com with confused-deputy
conditions, and holding their permissions in a customer-managed policy, not an inline one."""

from __future__ import annotations

import re
import weakref

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from .compliance import RESOURCELESS_ACTIONS, acknowledge_wildcard_resource
from .doors import checked
from .scopes import stack_of

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+?)(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$"
)
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


def grant_ecr_pull(role: iam.IRole, image: str) -> bool:
    """Let ``role`` (a task execution role) pull ``image`` when it is a private ECR image
    reference (``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``): the pull
    actions on exactly that repository, and ``ecr:GetAuthorizationToken`` (which has no
    resource). Without them the task fails to start (CannotPullContainerError). Returns
    whether the image is an ECR image."""
    match = ECR_IMAGE.match(image)
    if match is None:
        return False
    repository = stack_of(role).format_arn(
        service="ecr",
        account=match["account"],
        region=match["region"],
        resource="repository",
        resource_name=match["repository"],
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=list(ECR_PULL_ACTIONS), resources=[repository])
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"])
    )
    return True


def ecs_tasks_principal(scope: Construct) -> iam.ServicePrincipal:
    """``ecs-tasks.amazonaws.com``, limited to tasks of this stack's account and region
    (``aws:SourceAccount`` and ``aws:SourceArn``), as AWS recommends against the confused
    deputy. Tokens in env-agnostic stacks resolve to ``AWS::AccountId``/``AWS::Region``."""
    return account_service_principal(scope, ECS_TASKS_SERVICE, source_service="ecs")


@checked
def account_service_principal(
    scope: Construct,
    service: str,
    *,
    source_service: str,
    source_resource: str = "*",
    source_resource_name: str | None = None,
) -> iam.ServicePrincipal:
    """``service`` (e.g. ``events.amazonaws.com``) acting only for resources of this stack's
    account and region: ``aws:SourceAccount`` and an ``aws:SourceArn`` of ``source_service``
    (e.g. ``events``, ``rule``, ``*`` for every rule), against the confused deputy.

    One principal per stack and arguments: a principal is an immutable value, and building
    one is four round trips to the jsii runtime."""
    stack = stack_of(scope)
    key = (service, source_service, source_resource, source_resource_name)
    known = _PRINCIPALS.setdefault(stack, {})
    if key not in known:
        known[key] = _account_service_principal(stack, *key)
    return known[key]


_PRINCIPALS: weakref.WeakKeyDictionary[
    Stack, dict[tuple[str, str, str, str | None], iam.ServicePrincipal]
] = weakref.WeakKeyDictionary()


def _account_service_principal(
    stack: Stack,
    service: str,
    source_service: str,
    source_resource: str,
    source_resource_name: str | None,
) -> iam.ServicePrincipal:
    source_arn = stack.format_arn(
        service=source_service,
        resource=source_resource,
        resource_name=source_resource_name,
        arn_format=(
            ArnFormat.NO_RESOURCE_NAME
            if source_resource_name is None
            else ArnFormat.SLASH_RESOURCE_NAME
        ),
    )
    return iam.ServicePrincipal(
        service,
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": source_arn},
        },
    )


@checked
class ManagedPolicyRole(iam.Role):
    """An ``iam.Role`` whose ``grant*`` statements land in one customer-managed policy
    (``<role>/Policy``) instead of CDK's inline default policy, which the compliance packs'
    IAMNoInlinePolicy rule rejects. Grants that can only name ``*`` (see
    :data:`~fargate_constructs.compliance.RESOURCELESS_ACTIONS`) are acknowledged with why."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        assumed_by: iam.IPrincipal,
        description: str,
    ) -> None:
        super().__init__(scope, id, assumed_by=assumed_by, description=description)
        self._policy: iam.ManagedPolicy | None = None

    @property
    def managed_policy(self) -> iam.ManagedPolicy | None:
        """The policy holding this role's grants (None while it has none)."""
        return getattr(self, "_policy", None)

    def add_to_principal_policy(
        self, statement: iam.PolicyStatement
    ) -> iam.AddToPrincipalPolicyResult:
        policy = self.managed_policy
        if policy is None:
            policy = iam.ManagedPolicy(self, "Policy", roles=[self])
            self._policy = policy
        policy.add_statements(statement)
        if list(statement.resources) == ["*"]:
            reason = RESOURCELESS_ACTIONS.get(frozenset(statement.actions))
            if reason is not None:
                acknowledge_wildcard_resource(policy, reason)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=policy)
