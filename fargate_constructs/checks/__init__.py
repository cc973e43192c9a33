"""Synth-time checks over the whole app: PassRole, subnet capacity, reachability.

Each check is a CDK validation (so ``cdk synth`` reports it) and is also kept here, so
:func:`check` can run every check of an app in Python and raise one
:class:`~fargate_constructs.errors.ChecksFailedError`, without the jsii traceback that a
failed ``app.synth()`` produces. :func:`synth` does both.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Protocol

from ..doors import checked
from ..errors import ChecksFailedError
from ..scopes import root_of
from ..template_patches import apply_patches

if TYPE_CHECKING:
    from aws_cdk import App, Stage
    from aws_cdk.cx_api import CloudAssembly
    from constructs import IConstruct


class Check(Protocol):
    def failures(self) -> list[str]:
        """What is wrong, one message per problem (empty when all is well)."""
        ...

    def validate(self) -> list[str]: ...


_CHECKS: weakref.WeakKeyDictionary[Any, list[tuple[IConstruct, Check]]] = (
    weakref.WeakKeyDictionary()
)
_SKIP: weakref.WeakSet[Any] = weakref.WeakSet()


def register_check(scope: IConstruct, check: Check) -> None:
    """Run ``check`` when ``scope``'s app is synthesized (and in :func:`check`)."""
    scope.node.add_validation(check)
    _CHECKS.setdefault(root_of(scope), []).append((scope, check))


def skipped(check: Check) -> bool:
    """Whether :func:`synth` has just run ``check`` (so validation need not run it again)."""
    return check in _SKIP


@checked
def check(scope: IConstruct) -> None:
    """Run fargate-constructs' synth-time checks on ``scope`` and everything below it; raise
    :class:`ChecksFailedError` naming every failure."""
    prefix = scope.node.path
    failures = [
        message
        for owner, registered in _CHECKS.get(scope.node.root, [])
        if not prefix or owner.node.path == prefix or owner.node.path.startswith(prefix + "/")
        for message in registered.failures()
    ]
    if failures:
        raise ChecksFailedError(failures)


@checked
def synth(app: App | Stage, **options: Any) -> CloudAssembly:
    """``app.synth(**options)`` after :func:`check`: a failed check is a
    :class:`ChecksFailedError`, not a ``RuntimeError`` from the jsii runtime. Then the app's
    :class:`~fargate_constructs.TemplatePatches` are replayed on the synthesized templates."""
    check(app)
    checks = [registered for _, registered in _CHECKS.get(app.node.root, [])]
    _SKIP.update(checks)
    try:
        assembly = app.synth(**options)
    finally:
        for registered in checks:
            _SKIP.discard(registered)
    return apply_patches(app, assembly)
