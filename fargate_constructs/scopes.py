"""Where a construct lives, remembered: every lookup through jsii is a round trip to Node, and a
construct never moves to another stack.

Only constructs made in Python keep their Python object (jsii hands out a new one for a
Node-made construct on every call), so these caches pay off for the library's own constructs."""

from __future__ import annotations

import weakref
from typing import Any

from aws_cdk import Stack, Stage, Token
from constructs import Construct, IConstruct

from .errors import InvalidParameterError

_STACK_OF: weakref.WeakKeyDictionary[Any, Stack] = weakref.WeakKeyDictionary()
_ROOT_OF: weakref.WeakKeyDictionary[Stack, IConstruct] = weakref.WeakKeyDictionary()


def stack_of(construct: IConstruct) -> Stack:
    """``Stack.of(construct)``, looked up once per construct."""
    if isinstance(construct, Stack):
        return construct
    stack = _STACK_OF.get(construct)
    if stack is None:
        stack = _STACK_OF[construct] = Stack.of(construct)
    return stack


def remember_scope(construct: IConstruct, scope: IConstruct) -> None:
    """Note that ``construct`` was made in ``scope`` (so it lives in ``scope``'s stack, unless
    it is a stack itself): later :func:`stack_of` calls need no round trip."""
    if not isinstance(construct, Stack):
        _STACK_OF[construct] = stack_of(scope)


def root_of(construct: IConstruct) -> IConstruct:
    """``construct.node.root`` (the app), looked up once per stack."""
    stack = stack_of(construct)
    root = _ROOT_OF.get(stack)
    if root is None:
        root = _ROOT_OF[stack] = stack.node.root
    return root


_SAME_PLACE: weakref.WeakKeyDictionary[Stack, weakref.WeakSet[Stack]] = weakref.WeakKeyDictionary()


def check_same_place(scope: Construct, parameter: str, other: Construct) -> None:
    """Cross-stack references work only within one app stage, account and region. Each pair
    of stacks is compared once (every lookup is a round trip to the jsii runtime)."""
    here, there = stack_of(scope), stack_of(other)
    if here is there:
        return
    checked = _SAME_PLACE.setdefault(here, weakref.WeakSet())
    if there in checked:
        return
    _compare_places(scope, parameter, other, here, there)
    checked.add(there)


def _compare_places(
    scope: Construct, parameter: str, other: Construct, here: Stack, there: Stack
) -> None:
    stage, other_stage = Stage.of(scope), Stage.of(other)
    if (stage.node.path if stage else None) != (other_stage.node.path if other_stage else None):
        raise InvalidParameterError(
            parameter,
            other.node.path,
            "a construct in the service's own app stage (CloudFormation cannot reference "
            "across stages)",
        )
    for attribute in ("account", "region"):
        mine, theirs = getattr(here, attribute), getattr(there, attribute)
        if not Token.is_unresolved(mine) and not Token.is_unresolved(theirs) and mine != theirs:
            raise InvalidParameterError(
                parameter,
                other.node.path,
                f"a construct in the service's {attribute} ({mine}); it is in {theirs}",
                given=f"the service's stack {here.node.path}",
            )
