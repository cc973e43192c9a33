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
    _check_cron_ranges(parameter, value, fields)
    return expression


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)
_VALUE = re.compile(r"[0-9]+|[A-Za-z]{3}")


def _check_cron_ranges(parameter: str, value: Any, fields: list[str]) -> None:
    """Each field's numbers and names within what Scheduler and Application Auto Scaling take
    (minutes 0-59, hours 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 1-7 or
    SUN-SAT, year 1970-2199); the nearest valid number replaces the first one out of range."""
    for index, (field, (name, low, high, names)) in enumerate(zip(fields, _FIELDS, strict=True)):
        allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
        for item in field.split(","):
            base, _, step = item.partition("/")
            base, _, nth = base.partition("#")
            if step and (not step.isdigit() or not 1 <= int(step) <= high - low + 1):
                _out_of_range(parameter, value, fields, index, name, step, "a step of 1 or more")
            if nth and (not nth.isdigit() or not 1 <= int(nth) <= 5):
                _out_of_range(parameter, value, fields, index, name, nth, "#1 to #5")
            for token in _VALUE.findall(base.replace("LW", "").rstrip("LW")):
                if token.isdigit() and not low <= int(token) <= high:
                    clamped = str(min(max(int(token), low), high))
                    _out_of_range(parameter, value, fields, index, name, token, allowed, clamped)
                elif not token.isdigit() and token.upper() not in names:
                    _out_of_range(parameter, value, fields, index, name, token, allowed)


def _out_of_range(
    parameter: str,
    value: Any,
    fields: list[str],
    index: int,
    name: str,
    token: str,
    allowed: str,
    replacement: str | None = None,
) -> None:
    nearest = None
    if replacement is not None:
        fixed = list(fields)
        fixed[index] = re.sub(
            rf"(?<![0-9]){re.escape(token)}(?![0-9])", replacement, fixed[index], count=1
        )
        nearest = f"cron({' '.join(fixed)})"
    raise InvalidParameterError(
        parameter,
        value,
        f"a cron {name} (field {index + 1}) of {allowed}; {token!r} is out of range",
        nearest=nearest,
    )


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
