"""Where a construct lives, remembered: every lookup through jsii is a round trip to Node, and a
construct never moves to another stack."""

from __future__ import annotations

import weakref
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct

_STACK_OF: weakref.WeakKeyDictionary[Any, Stack] = weakref.WeakKeyDictionary()


def stack_of(construct: IConstruct) -> Stack:
    """``Stack.of(construct)``, looked up once per construct."""
    stack = _STACK_OF.get(construct)
    if stack is None:
        stack = _STACK_OF[construct] = Stack.of(construct)
    return stack
