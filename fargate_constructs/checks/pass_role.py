"""Catch the Fargate newcomer's error before deploy: an identity allowed to call ``ecs:RunTask``
on a task definition but not to pass that task's roles (``iam:PassRole``), which fails at run
time with AccessDenied "... is not authorized to perform: iam:PassRole"."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Annotations, IAspect, Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct

if TYPE_CHECKING:
    from ..task import FargateTaskWithRoles


@dataclass
class _Identity:
    """A role, user or group and every policy statement attached to it."""

    name: str
    statements: list[dict[str, Any]] = field(default_factory=list)
    grant_sites: list[IConstruct] = field(default_factory=list)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _allows(statement: dict[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return any(
        isinstance(pattern, str) and fnmatchcase(action.lower(), pattern.lower())
        for pattern in _as_list(statement.get("Action"))
    )


def _covers(statement: dict[str, Any], needles: tuple[str, ...]) -> bool:
    """Whether a resource of ``statement`` is ``*`` or mentions one of ``needles``."""
    for resource in _as_list(statement.get("Resource")):
        if resource == "*":
            return True
        text = json.dumps(resource)
        if any(needle in text for needle in needles):
            return True
    return False


def _identities(root: IConstruct) -> Iterator[_Identity]:
    """Every IAM identity in the app with the statements of all policies attached to it."""
    by_key: dict[str, _Identity] = defaultdict(lambda: _Identity(""))
    managed: dict[tuple[str, str], tuple[list[dict[str, Any]], IConstruct]] = {}
    role_managed_refs: list[tuple[str, str, list[Any]]] = []

    def attach(
        stack: Stack, refs: list[Any], statements: list[dict[str, Any]], site: IConstruct
    ) -> None:
        for ref in refs:
            key = f"{stack.node.path}:{json.dumps(ref, sort_keys=True)}"
            identity = by_key[key]
            identity.name = identity.name or _describe(stack, ref)
            identity.statements.extend(statements)
            identity.grant_sites.append(site)

    for construct in root.node.find_all():
        if isinstance(construct, iam.CfnPolicy | iam.CfnManagedPolicy):
            stack = Stack.of(construct)
            document = stack.resolve(construct.policy_document)
            statements = _as_list(document.get("Statement"))
            refs = [
                *_as_list(stack.resolve(construct.roles)),
                *_as_list(stack.resolve(construct.users)),
                *_as_list(stack.resolve(construct.groups)),
            ]
            attach(stack, refs, statements, construct)
            if isinstance(construct, iam.CfnManagedPolicy):
                managed[(stack.node.path, stack.resolve(construct.logical_id))] = (
                    statements,
                    construct,
                )
        elif isinstance(construct, iam.CfnRole):
            stack = Stack.of(construct)
            own_ref = {"Ref": stack.resolve(construct.logical_id)}
            for inline in _as_list(stack.resolve(construct.policies)):
                attach(
                    stack,
                    [own_ref],
                    _as_list(inline.get("PolicyDocument", {}).get("Statement")),
                    construct,
                )
            arns = _as_list(stack.resolve(construct.managed_policy_arns))
            role_managed_refs.append((stack.node.path, json.dumps(own_ref), arns))

    for stack_path, role_key, arns in role_managed_refs:
        for arn in arns:
            if isinstance(arn, dict) and "Ref" in arn and (stack_path, arn["Ref"]) in managed:
                statements, site = managed[(stack_path, arn["Ref"])]
                identity = by_key[f"{stack_path}:{role_key}"]
                identity.statements.extend(statements)
                identity.grant_sites.append(site)
    for key, identity in by_key.items():
        identity.name = identity.name or key
        yield identity


def _describe(stack: Stack, ref: Any) -> str:
    if isinstance(ref, dict) and "Ref" in ref:
        return f"{stack.node.path}/{ref['Ref']}"
    return str(ref)


@jsii.implements(IAspect)
class PassRoleCheck:
    """Reports, as an error annotation that fails ``cdk synth``, every identity in the app that
    may run ``task`` (``ecs:RunTask`` on its family or on ``*``) but may not pass both of its
    roles. Added by :class:`~fargate_constructs.FargateTaskWithRoles` itself."""

    def __init__(self, task: FargateTaskWithRoles) -> None:
        self._task = task

    def visit(self, node: IConstruct) -> None:
        if node.node.path != self._task.node.path:
            return
        task = self._task
        stack = Stack.of(task)
        task_definition_id = stack.resolve(task.task_definition.node.default_child.logical_id)  # type: ignore[union-attr]
        family_needles = (task.family, f'"{task_definition_id}"')
        roles = {
            "task role": _logical_id(task.task_role),
            "execution role": _logical_id(task.execution_role),
        }
        for identity in _identities(task.node.root):
            runs = any(
                _allows(s, "ecs:RunTask") and _covers(s, family_needles)
                for s in identity.statements
            )
            if not runs:
                continue
            missing = [
                label
                for label, logical_id in roles.items()
                if not any(
                    _allows(s, "iam:PassRole") and _covers(s, (f'"{logical_id}"',))
                    for s in identity.statements
                )
            ]
            if missing:
                Annotations.of(identity.grant_sites[0]).add_error(
                    f"{identity.name} may call ecs:RunTask on task definition family "
                    f"'{task.family}' ({task.node.path}) but may not iam:PassRole its "
                    f"{' and '.join(missing)}: RunTask would fail with AccessDenied "
                    "('not authorized to perform: iam:PassRole'). Grant with "
                    "task.grant_run(grantee, cluster=...) instead."
                )


def _logical_id(role: iam.Role) -> str:
    stack = Stack.of(role)
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    logical_id: str = stack.resolve(cfn_role.logical_id)
    return logical_id
