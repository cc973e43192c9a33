"""IAM roles for Fargate tasks: trusted by ecs-tasks.amazonaws.com with confused-deputy
conditions, and holding their permissions in a customer-managed policy, not an inline one."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from .compliance import RESOURCELESS_ACTIONS, acknowledge_wildcard_resource

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"


def ecs_tasks_principal(scope: Construct) -> iam.ServicePrincipal:
    """``ecs-tasks.amazonaws.com``, limited to tasks of this stack's account and region
    (``aws:SourceAccount`` and ``aws:SourceArn``), as AWS recommends against the confused
    deputy. Tokens in env-agnostic stacks resolve to ``AWS::AccountId``/``AWS::Region``."""
    stack = Stack.of(scope)
    return iam.ServicePrincipal(
        ECS_TASKS_SERVICE,
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="ecs", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME
                )
            },
        },
    )


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
