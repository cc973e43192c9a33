"""Catch the Fargate newcomer's error before deploy: an identity allowed to call ``ecs:RunTask``
on a task definition but not to pass that task's roles (``iam:PassRole``), which fails at run
time with AccessDenied "... is not authorized to perform: iam:PassRole"."""

from __future__ import annotations

import json
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import jsii
from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

from ..scopes import root_of
from . import register_check, skipped

if TYPE_CHECKING:
    from aws_cdk import aws_ecs as ecs


class PassableTask(IConstruct, Protocol):
    """A task as the check sees it: its family and the two roles a launcher must pass."""

    @property
    def family(self) -> str: ...

    @property
    def task_definition(self) -> ecs.TaskDefinition: ...

    @property
    def task_role(self) -> iam.IRole: ...

    @property
    def execution_role(self) -> iam.IRole: ...


@dataclass
class _Identity:
    """A role, user or group and every policy statement attached to it."""

    name: str
    stack: Stack | None = None
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


def _ref(construct: IConstruct) -> str:
    # jsii hands out a new Python object for a Node-created construct on every call; its
    # object reference is what stays the same.
    ref: str = construct.__jsii_ref__.ref  # type: ignore[attr-defined]
    return ref


def _owners(found: list[IConstruct], stacks: list[Stack]) -> dict[str, Stack]:
    """The stack of each construct (by jsii reference): one ``find_all`` per stack instead of a
    ``Stack.of`` per construct, each a round trip. Stacks come parents first, so a nested
    stack's own constructs end up owned by it."""
    if len(stacks) == 1:
        return {_ref(construct): stacks[0] for construct in found}
    owners: dict[str, Stack] = {}
    for stack in stacks:
        owners.update({_ref(construct): stack for construct in stack.node.find_all()})
    return owners


def _managed_refs(role_props: dict[str, Any]) -> list[str]:
    """The logical IDs of the same stack's managed policies in a role's ManagedPolicyArns."""
    return [
        arn["Ref"]
        for arn in _as_list(role_props.get("managedPolicyArns"))
        if isinstance(arn, dict) and isinstance(arn.get("Ref"), str)
    ]


def _logical_ids(
    stack: Stack,
    members: list[iam.CfnPolicy | iam.CfnManagedPolicy | iam.CfnRole],
    all_props: list[dict[str, Any]],
) -> dict[int, str]:
    """Logical IDs (by index into ``members``) of what must be joined by ID: roles with
    inline policies or managed-policy Refs, and managed policies when some role Refs one.
    Policies name their roles themselves, so the common case reads no ID at all."""
    role_refs = any(
        isinstance(member, iam.CfnRole) and _managed_refs(props)
        for member, props in zip(members, all_props, strict=True)
    )
    wanted = [
        index
        for index, (member, props) in enumerate(zip(members, all_props, strict=True))
        if (isinstance(member, iam.CfnRole) and (props.get("policies") or _managed_refs(props)))
        or (isinstance(member, iam.CfnManagedPolicy) and role_refs)
    ]
    if not wanted:
        return {}
    resolved = stack.resolve([members[index].logical_id for index in wanted])
    return dict(zip(wanted, resolved, strict=True))


def _identities(root: IConstruct) -> Iterator[_Identity]:
    """Every IAM identity in the app with the statements of all policies attached to it."""
    found = root.node.find_all()
    stacks = [construct for construct in found if isinstance(construct, Stack)]
    elements: dict[Stack, list[iam.CfnPolicy | iam.CfnManagedPolicy | iam.CfnRole]] = {}
    owners = _owners(found, stacks)
    for construct in found:
        if isinstance(construct, iam.CfnPolicy | iam.CfnManagedPolicy | iam.CfnRole):
            elements.setdefault(owners[_ref(construct)], []).append(construct)

    by_key: dict[str, _Identity] = defaultdict(lambda: _Identity(""))
    managed: dict[tuple[str, str], tuple[list[dict[str, Any]], IConstruct]] = {}
    role_managed_refs: list[tuple[Stack, str, dict[str, str], list[str]]] = []

    def attach(
        stack: Stack,
        stack_path: str,
        refs: list[Any],
        statements: list[dict[str, Any]],
        site: IConstruct,
    ) -> None:
        for ref in refs:
            identity = by_key[f"{stack_path}:{json.dumps(ref, sort_keys=True)}"]
            identity.name = identity.name or _describe(stack_path, ref)
            identity.stack = stack
            identity.statements.extend(statements)
            identity.grant_sites.append(site)

    for stack, members in elements.items():
        stack_path = stack.node.path
        # Every property read and resolve is a round trip to the jsii runtime: read each L1's
        # properties (keys as in aws-cdk-lib, e.g. policyDocument) and resolve them at once.
        all_props: list[dict[str, Any]] = stack.resolve(
            [member._cfn_properties for member in members]
        )
        ids = _logical_ids(stack, members, all_props)
        for index, (member, props) in enumerate(zip(members, all_props, strict=True)):
            if isinstance(member, iam.CfnRole):
                if index not in ids:
                    continue
                own_ref = {"Ref": ids[index]}
                for inline in _as_list(props.get("policies")):
                    attach(
                        stack,
                        stack_path,
                        [own_ref],
                        _as_list(inline.get("policyDocument", {}).get("Statement")),
                        member,
                    )
                role_managed_refs.append((stack, stack_path, own_ref, _managed_refs(props)))
                continue
            statements = _as_list(props.get("policyDocument", {}).get("Statement"))
            refs = [
                *_as_list(props.get("roles")),
                *_as_list(props.get("users")),
                *_as_list(props.get("groups")),
            ]
            attach(stack, stack_path, refs, statements, member)
            if index in ids:
                managed[(stack_path, ids[index])] = (statements, member)

    for role_stack, stack_path, own_ref, arns in role_managed_refs:
        for arn in arns:
            if (stack_path, arn) in managed:
                statements, site = managed[(stack_path, arn)]
                attach(role_stack, stack_path, [own_ref], statements, site)
    for key, identity in by_key.items():
        identity.name = identity.name or key
        yield identity


def _describe(stack_path: str, ref: Any) -> str:
    if isinstance(ref, dict) and "Ref" in ref:
        return f"{stack_path}/{ref['Ref']}"
    return str(ref)


@jsii.implements(IValidation)
class PassRoleCheck:
    """Reports, as an error annotation that fails ``cdk synth``, every identity in the app that
    may run one of the app's tasks (``ecs:RunTask`` on its family or on ``*``) but may not pass
    both of its roles.

    One check per app: :meth:`register` adds a task to it, and the app's identities are indexed
    once per synthesis however many tasks there are. It runs as a validation, after aspects and
    after cross-stack references are resolved, so a reference names the stack it comes from."""

    _by_root: ClassVar[weakref.WeakKeyDictionary[IConstruct, PassRoleCheck]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, root: IConstruct) -> None:
        self._root = root
        self._tasks: list[PassableTask] = []

    @classmethod
    def register(cls, task: PassableTask) -> None:
        root = root_of(task)
        check = cls._by_root.get(root)
        if check is None:
            check = cls(root)
            cls._by_root[root] = check
            register_check(task, check)
        check._tasks.append(task)

    def problems(self) -> list[tuple[IConstruct, str]]:
        # Only identities that may run some task matter; most (task and execution roles) may
        # not, and are dropped in plain Python before anything is resolved through jsii.
        runners = [
            identity
            for identity in _identities(self._root)
            if identity.stack is not None
            and any(_allows(statement, "ecs:RunTask") for statement in identity.statements)
        ]
        if not runners:
            return []
        views = _TaskViews()
        return [problem for task in self._tasks for problem in _check_task(task, runners, views)]

    def failures(self) -> list[str]:
        return [message for _, message in self.problems()]

    def validate(self) -> list[str]:
        # Reported as errors on the grant that lacks PassRole, so `cdk synth` points there.
        if not skipped(self):
            for site, message in self.problems():
                Annotations.of(site).add_error(message)
        return []


class _TaskViews:
    """How a task's family, definition and roles appear in a given stack, each resolved once
    per (task, stack) instead of once per identity, and only when asked (a role of a stack in
    another environment cannot be resolved at all)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str, str], tuple[str, ...]] = {}

    def of(self, task: PassableTask, stack: Stack, what: str) -> tuple[str, ...]:
        key = (id(task), stack.node.path, what)
        if key not in self._cache:
            value = {
                "family": task.task_definition.task_definition_arn,
                "task role": task.task_role.role_arn,
                "execution role": task.execution_role.role_arn,
            }[what]
            seen = _seen_as(value, stack, same=stack.node.path == Stack.of(task).node.path)
            self._cache[key] = (task.family, *seen) if what == "family" else seen
        return self._cache[key]


def _seen_as(value: str, stack: Stack, *, same: bool) -> tuple[str, ...]:
    """A Ref/GetAtt in the same stack, an import of a cross-stack reference otherwise (a bare
    Ref/GetAtt resolved for another stack names that stack's own resource of the same logical
    ID, so it does not count). The family name is global."""
    resolved = stack.resolve(value)
    bare = isinstance(resolved, dict) and set(resolved) <= {"Ref", "Fn::GetAtt"}
    return (json.dumps(resolved),) if same or not bare else ()


def _check_task(
    task: PassableTask, runners: list[_Identity], views: _TaskViews
) -> list[tuple[IConstruct, str]]:
    problems: list[tuple[IConstruct, str]] = []
    family: str | None = None
    for identity in runners:
        assert identity.stack is not None
        stack = identity.stack
        runs = any(
            _allows(s, "ecs:RunTask") and _covers(s, views.of(task, stack, "family"))
            for s in identity.statements
        )
        if not runs:
            continue
        missing = [
            label
            for label in ("task role", "execution role")
            if not any(
                _allows(s, "iam:PassRole") and _covers(s, views.of(task, stack, label))
                for s in identity.statements
            )
        ]
        if missing:
            family = family or task.family
            problems.append(
                (
                    identity.grant_sites[0],
                    f"PassRole: {identity.name} may call ecs:RunTask on task definition family "
                    f"'{family}' ({task.node.path}) but may not iam:PassRole its "
                    f"{' and '.join(missing)}: RunTask would fail with AccessDenied "
                    "('not authorized to perform: iam:PassRole'). Grant with "
                    "task.grant_run(grantee, cluster=...) instead.",
                )
            )
    return problems
