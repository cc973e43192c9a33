"""Scheduled Jobs: the schedule (Copilot's shorthands, Unix cron) as an EventBridge Scheduler
expression, retries and timeout."""

from __future__ import annotations

import re

from ..errors import InvalidParameterError
from ..schedules import check_schedule_expression, unix_cron_to_scheduler
from .mapper import Code, Mapper, seconds_of


def map_job(m: Mapper) -> None:
    schedule = m.get("on", "schedule")
    if not isinstance(schedule, str):
        raise m.fail(("on", "schedule"), schedule, "a schedule such as '@daily' or '0 2 * * *'")
    if schedule.strip() == "none":
        m.plan.run_by_hand = True
        m.note(
            ("on", "schedule"),
            "a launcher role",
            "run by hand only: the task and a role that may start it (grant_run: ecs:RunTask "
            "on the task's family in this cluster, iam:PassRole on its two roles), trusted by "
            "the role named in the stack's launcher output; start it with aws ecs run-task "
            "(the docs' grant_run section shows the call)",
        )
        return
    m.plan.service["schedule"] = scheduler_expression(schedule, m)
    if "retries" in m.data:
        m.note(
            ("retries",),
            "not mapped",
            "Copilot retried failed runs through Step "
            "Functions; Scheduler retries only runs it could not start "
            "(retry_attempts=). Make the job idempotent and re-run it from its "
            "dead-letter queue or your own check",
        )
    if "timeout" in m.data:
        m.note(
            ("timeout",),
            "not mapped",
            "no run timeout without Step Functions: end long runs in the job itself (see the docs)",
        )
    count = m.get("count")
    if isinstance(count, dict) and "spot" in count:
        m.plan.service["capacity"] = Code("Capacity.spot()")
        m.plan.names.add("Capacity")


SCHEDULES = {
    "@yearly": "cron(0 0 1 1 ? *)",
    "@annually": "cron(0 0 1 1 ? *)",
    "@monthly": "cron(0 0 1 * ? *)",
    "@weekly": "cron(0 0 ? * 1 *)",
    "@daily": "cron(0 0 * * ? *)",
    "@midnight": "cron(0 0 * * ? *)",
    "@hourly": "cron(0 * * * ? *)",
}


def scheduler_expression(schedule: str, mapper: Mapper) -> str:
    text = schedule.strip()
    if text in SCHEDULES:
        return SCHEDULES[text]
    every = re.fullmatch(r"@every\s+(\S+)", text)
    if every:
        seconds = seconds_of(every.group(1), mapper, ("on", "schedule"))
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds % size == 0 and seconds >= size:
                count = int(seconds // size)
                return f"rate({count} {unit}{'s' if count > 1 else ''})"
        raise mapper.fail(
            ("on", "schedule"),
            schedule,
            "@every of whole minutes (Scheduler's smallest rate is one minute)",
        )
    try:
        if len(text.split()) == 5:
            return unix_cron_to_scheduler(text)
        return check_schedule_expression("schedule", text)
    except InvalidParameterError as error:
        raise mapper.fail(("on", "schedule"), schedule, str(error)) from None
