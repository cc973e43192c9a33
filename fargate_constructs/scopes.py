"""Where a construct lives, remembered: every lookup through jsii is a round trip to Node, and a
construct never moves to another stack.

Only constructs made in Python keep their Python object (jsii hands out a new one for a
Node-made construct on every call), so these caches pay off for the library's own constructs."""

from __future__ import annotations

import weakref
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct

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
