"""EventBridge Scheduler expressions, checked at synth: ``cron(...)`` with six fields, ``rate(...)``
and one-time ``at(...)``. Pure Python, so the Copilot importer can convert and check without CDK.

Scheduler rejects a bad expression only when the stack deploys; the common slips (a five-field
Unix cron, ``*`` in both day fields, ``rate(1 minutes)``) are caught here with the fix.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidParameterError
from .validation import expect_str

_RATE = re.compile(r"rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)")
_AT = re.compile(r"at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]*)\)")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/#L W-]+")
ALLOWED = (
    "cron(min hour day-of-month month day-of-week year), rate(N minutes|hours|days) or at(...)"
)


def check_schedule_expression(parameter: str, value: Any) -> str:
    """``value`` if EventBridge Scheduler accepts its shape, else an
    :class:`InvalidParameterError` with the corrected expression where one is obvious."""
    expression = expect_str(parameter, value, what=ALLOWED).strip()
    if _AT.fullmatch(expression):
        return expression
    rate = _RATE.fullmatch(expression)
    if rate:
        count, unit = int(rate["value"]), rate["unit"]
        singular = unit.rstrip("s")
        right = singular if count == 1 else singular + "s"
        if count == 0 or unit != right:
            raise InvalidParameterError(
                parameter,
                value,
                "rate(1 minute|hour|day) or rate(N minutes|hours|days) with N of 2 or more",
                nearest=f"rate({max(count, 1)} {singular if count <= 1 else right})",
            )
        return expression
    cron = _CRON.fullmatch(expression)
    fields = (cron["fields"] if cron else expression).split()
    if cron is None:
        nearest = _cron_from_unix(fields) if len(fields) == 5 else None
        raise InvalidParameterError(
            parameter,
            value,
            ALLOWED,
            nearest=nearest,
            hint="Unix cron has five fields; Scheduler's cron() has six (year last)"
            if nearest
            else None,
        )
    if len(fields) != 6 or not all(_CRON_FIELD.fullmatch(field) for field in fields):
        nearest = _cron_from_unix(fields) if len(fields) == 5 else None
        raise InvalidParameterError(parameter, value, ALLOWED, nearest=nearest)
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        fixed = list(fields)
        if day_of_week in ("*", "?"):
            fixed[2], fixed[4] = (day_of_month if day_of_month != "?" else "*"), "?"
        else:
            fixed[2] = "?"
        raise InvalidParameterError(
            parameter,
            value,
            "exactly one of day-of-month (3rd field) and day-of-week (5th field) as '?'",
            nearest=f"cron({' '.join(fixed)})",
        )
    return expression


def _cron_from_unix(fields: list[str]) -> str:
    """A five-field Unix cron as Scheduler's six fields (``0 2 * * *`` -> ``0 2 * * ? *``).
    Unix counts days of the week from 0 (Sunday); Scheduler from 1, so numbers are shifted."""
    minute, hour, day_of_month, month, day_of_week = fields
    if day_of_week in ("*", "?"):
        day_of_week = "?"
        day_of_month = "*" if day_of_month == "?" else day_of_month
    else:
        day_of_week = re.sub(r"\d+", lambda m: str(int(m[0]) % 7 + 1), day_of_week)
        day_of_month = "?"
    return f"cron({minute} {hour} {day_of_month} {month} {day_of_week} *)"


def unix_cron_to_scheduler(expression: str) -> str:
    """A Unix cron expression (five fields) as a Scheduler ``cron(...)`` expression."""
    fields = expression.split()
    if len(fields) != 5:
        raise InvalidParameterError("schedule", expression, "a five-field Unix cron expression")
    return _cron_from_unix(fields)
