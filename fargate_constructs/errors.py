"""The library's errors.

Every error is raised while the construct tree is built (synth time), never at deploy time, and
reads like advice: the parameter, the value given, what is allowed and, where one exists, the
nearest valid choice.
"""

from __future__ import annotations

from typing import Any


class FargateConstructsError(ValueError):
    """Base class of every error this library raises for bad input."""


class InvalidParameterError(FargateConstructsError):
    """A parameter has a value the construct cannot turn into a working deployment.

    The message names the parameter, the value given, what is allowed and, when there is one,
    the nearest valid choice. The same facts are kept as attributes for programs that catch it.
    ``given`` names the other settings the value was judged against (e.g. ``"cpu=512"``).
    """

    def __init__(
        self,
        parameter: str,
        value: Any,
        allowed: str,
        *,
        nearest: str | None = None,
        hint: str | None = None,
        given: str | None = None,
    ) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        self.nearest = nearest
        condition = f" for {given}" if given else ""
        message = f"{parameter}={value!r} is not valid{condition}; allowed: {allowed}"
        if nearest is not None:
            message += f"; nearest valid: {nearest}"
        if hint is not None:
            message += f". {hint}"
        super().__init__(message)


class ChecksFailedError(FargateConstructsError):
    """One or more synth-time checks over the whole app failed (PassRole, subnet capacity,
    reachability). ``failures`` holds one message per problem."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        count = f"{len(failures)} check{'s' if len(failures) != 1 else ''} failed"
        super().__init__(f"{count}:\n" + "\n".join(f"- {message}" for message in failures))
