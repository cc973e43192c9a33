"""Scheduler expressions: the shapes Scheduler takes, and the fixes suggested for the rest."""

from __future__ import annotations

import pytest

from fargate_constructs import InvalidParameterError
from fargate_constructs.schedules import check_schedule_expression, unix_cron_to_scheduler


@pytest.mark.parametrize(
    ("unix", "scheduler"),
    [
        ("0 2 * * *", "cron(0 2 * * ? *)"),
        # Unix counts days of the week from 0 (Sunday), Scheduler from 1 (Sunday).
        ("0 9 * * 1-5", "cron(0 9 ? * 2-6 *)"),
        ("30 4 * * 0", "cron(30 4 ? * 1 *)"),
        ("0 0 1 * *", "cron(0 0 1 * ? *)"),
    ],
)
def test_unix_cron_becomes_scheduler_cron(unix: str, scheduler: str) -> None:
    assert unix_cron_to_scheduler(unix) == scheduler
    assert check_schedule_expression("schedule", scheduler) == scheduler


@pytest.mark.parametrize(
    "expression",
    ["cron(0 2 * * ? *)", "cron(0 8 ? * MON-FRI *)", "rate(1 day)", "rate(15 minutes)",
     "at(2027-01-01T00:00:00)"],
)  # fmt: skip
def test_valid_expressions_pass(expression: str) -> None:
    assert check_schedule_expression("schedule", expression) == expression


def test_a_unix_cron_is_refused_with_its_scheduler_form() -> None:
    with pytest.raises(InvalidParameterError) as error:
        check_schedule_expression("schedule", "0 9 * * 1-5")
    assert "nearest valid: cron(0 9 ? * 2-6 *)" in str(error.value)


@pytest.mark.parametrize(
    ("expression", "fragments"),
    [
        ("cron(0 25 * * ? *)", ["hour (field 2) of 0-23", "'25'", "cron(0 23 * * ? *)"]),
        ("cron(61 8 ? * MON-FRI *)", ["minute (field 1) of 0-59", "cron(59 8 ? * MON-FRI *)"]),
        ("cron(0 2 0 * ? *)", ["day-of-month (field 3) of 1-31", "cron(0 2 1 * ? *)"]),
        ("cron(0 2 1 13 ? *)", ["month (field 4) of 1-12 or JAN-DEC", "cron(0 2 1 12 ? *)"]),
        ("cron(0 2 ? * 8 *)", ["day-of-week (field 5) of 1-7 or SUN-SAT", "cron(0 2 ? * 7 *)"]),
        ("cron(0 2 ? * FOO *)", ["day-of-week", "'FOO' is out of range"]),
        ("cron(0 2 ? * MON#6 *)", ["#1 to #5"]),
        ("cron(0/0 2 * * ? *)", ["a step of 1 or more"]),
        ("cron(0 2 * * ? 1900)", ["year (field 6) of 1970-2199"]),
    ],
)
def test_cron_fields_out_of_range_are_refused(expression: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidParameterError) as error:
        check_schedule_expression("schedule", expression)
    message = str(error.value)
    assert [f for f in fragments if f not in message] == [], message


@pytest.mark.parametrize(
    "expression",
    ["cron(0/15 * * * ? *)", "cron(*/5 * * * ? *)", "cron(0 2 ? * 6#3 *)", "cron(0 2 L * ? *)",
     "cron(0 2 15W * ? *)", "cron(0 2 ? * 6L *)", "cron(0 2 LW * ? *)",
     "cron(0 9-17 ? JAN-MAR MON,WED,FRI 2026-2030)", "cron(59 23 31 12 ? 2199)"],
)  # fmt: skip
def test_cron_special_forms_within_range_pass(expression: str) -> None:
    assert check_schedule_expression("schedule", expression) == expression
