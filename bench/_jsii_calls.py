"""Counting round trips to the jsii runtime (Node): every call, property read, construct and
callback of a Python CDK app is one, and they, not CloudFormation, are what make a Python
construct library slower to synthesize than aws_ecs_patterns (one call into TypeScript per
service)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jsii._kernel.providers import process

_LIBRARY = "fargate_constructs/"


def _site(frame: Any) -> str:
    """The innermost fargate_constructs line on the stack (where the call comes from)."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if _LIBRARY in filename:
            return f"{filename.split(_LIBRARY)[-1]}:{frame.f_lineno}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "<outside the library>"


@contextmanager
def counted_calls(*, by_site: bool = False) -> Iterator[Counter[str]]:
    """Count every request sent to the jsii runtime inside the block: under ``"total"``, and
    with ``by_site`` also per calling line of the library."""
    counts: Counter[str] = Counter()
    send = process._NodeProcess.send

    def counting_send(self: Any, request: Any, response_type: Any) -> Any:
        counts["total"] += 1
        if by_site:
            counts[_site(sys._getframe(1))] += 1
        return send(self, request, response_type)

    process._NodeProcess.send = counting_send  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        process._NodeProcess.send = send  # type: ignore[method-assign]
