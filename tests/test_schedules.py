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
