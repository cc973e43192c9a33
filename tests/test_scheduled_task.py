from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    Capacity,
    FargateTaskWithRoles,
    InvalidParameterError,
    NetworkedCluster,
    OperatingSystem,
    ScheduledTask,
    TaskSize,
    synth,
)

from .harness import (
    NGINX,
    assert_explained,
    assert_logical_ids,
    compliance_findings,
    make_app,
    normalized,
)


def _task(stack: Stack, net: NetworkedCluster, **props: Any) -> FargateTaskWithRoles:
    props.setdefault("size", TaskSize(256, 512))
    return FargateTaskWithRoles(
        stack, "Report", image=NGINX, log_key=net.log_key, user="65534", **props
    )


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stack = Stack(self.app, "Jobs")
        net = NetworkedCluster(self.stack, "Net")
        self.job = ScheduledTask(
            self.stack,
            "Nightly",
            cluster=net,
            task=_task(self.stack, net),
            schedule="cron(0 2 * * ? *)",
            time_zone="Europe/Berlin",
            flexible_window=Duration.minutes(15),
            capacity=Capacity.spot(),
        )
        synth(self.app)
        self.template = Template.from_stack(self.stack)
        self.json = self.template.to_json()

    def resource(self, logical_id: str) -> dict[str, Any]:
        resource: dict[str, Any] = self.json["Resources"][logical_id]
        return resource


@pytest.fixture(scope="module")
def synthesized() -> Synthesized:
    return Synthesized()


def _schedule(synthesized: Synthesized) -> dict[str, Any]:
    [schedule] = synthesized.template.find_resources("AWS::Scheduler::Schedule").values()
    properties: dict[str, Any] = schedule["Properties"]
    return properties


def test_the_schedule_starts_the_task_privately_on_spot(synthesized: Synthesized) -> None:
    schedule = _schedule(synthesized)
    assert schedule["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    target = schedule["Target"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    assert "Arn" in target["DeadLetterConfig"]
    ecs_parameters = target["EcsParameters"]
    assert ecs_parameters["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]
    assert "LaunchType" not in ecs_parameters  # ECS refuses a launch type with a strategy
    network = ecs_parameters["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert network["Subnets"] == [
        {"Ref": "NetVpcPrivateSubnet1SubnetE3B87C66"},
        {"Ref": "NetVpcPrivateSubnet2Subnet6A61BA98"},
    ]


def test_the_role_is_trusted_by_scheduler_of_this_account_only(synthesized: Synthesized) -> None:
    role = synthesized.resource("NightlyRole954B33E9")
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert source_arn[-1] == ":schedule/default/*"
    assert {"Ref": "AWS::Region"} in source_arn


def test_the_role_may_only_start_the_task_and_report_failures(synthesized: Synthesized) -> None:
    policy = synthesized.resource("NightlyRolePolicy9549781F")["Properties"]["PolicyDocument"]
    actions = sorted(
        action
        for statement in policy["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    )
    # No DescribeTasks/StopTask: a scheduler never waits for or stops its runs.
    assert actions == [
        "ecs:RunTask",
        "ecs:TagResource",
        "iam:PassRole",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
    ]
    # The schedule waits for the policy, or the first run could fail with AccessDenied.
    assert (
        "NightlyRolePolicy9549781F"
        in synthesized.template.find_resources("AWS::Scheduler::Schedule")[
            "NightlySchedule16C29F04"
        ]["DependsOn"]
    )


def test_the_dead_letter_queue_is_encrypted_and_ssl_only(synthesized: Synthesized) -> None:
    queue = synthesized.resource("NightlyDeadLetterQueueB4B0FAA1")["Properties"]
    # A KMS key of its own, as a QueueWorker's queues (SSE-SQS before 0.8.0).
    assert "SqsManagedSseEnabled" not in queue
    key_id = queue["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert synthesized.json["Resources"][key_id]["Type"] == "AWS::KMS::Key"
    assert synthesized.json["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 86400
    [policy] = synthesized.template.find_resources("AWS::SQS::QueuePolicy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_logical_ids_are_stable(synthesized: Synthesized) -> None:
    assert_logical_ids(
        synthesized.json,
        {
            "NightlyRole": "AWS::IAM::Role",
            "NightlyRolePolicy": "AWS::IAM::ManagedPolicy",
            "NightlyDeadLetterQueue": "AWS::SQS::Queue",
            "NightlySecurityGroup": "AWS::EC2::SecurityGroup",
            "NightlySchedule": "AWS::Scheduler::Schedule",
        },
    )


def test_compliance_and_lint_are_clean(synthesized: Synthesized) -> None:
    assert compliance_findings(synthesized.stack, synthesized.json) == []


def test_whole_template_snapshot(
    synthesized: Synthesized, json_snapshot: SnapshotAssertion
) -> None:
    assert normalized(synthesized.json) == json_snapshot


def test_on_demand_by_default_and_a_given_queue_is_used() -> None:
    app = make_app()
    stack = Stack(app, "S")
    net = NetworkedCluster(stack, "Net")
    queue = sqs.Queue(stack, "Failures", enforce_ssl=True)
    ScheduledTask(
        stack,
        "Hourly",
        cluster=net,
        task=_task(stack, net),
        schedule="rate(1 hour)",
        dead_letter_queue=queue,
        retry_attempts=0,
        enabled=False,
    )
    template = Template.from_stack(stack)
    [schedule] = template.find_resources("AWS::Scheduler::Schedule").values()
    properties = schedule["Properties"]
    assert properties["State"] == "DISABLED"
    assert properties["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert properties["Target"]["EcsParameters"]["LaunchType"] == "FARGATE"
    assert properties["Target"]["DeadLetterConfig"]["Arn"] == {
        "Fn::GetAtt": [stack.get_logical_id(queue.node.default_child), "Arn"]  # type: ignore[arg-type]
    }
    assert len(template.find_resources("AWS::SQS::Queue")) == 1


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"schedule": "0 2 * * *"}, ["schedule='0 2 * * *'", "nearest valid: cron(0 2 * * ? *)"]),
        (
            {"schedule": "cron(0 2 * * * *)"},
            ["exactly one of day-of-month", "nearest valid: cron(0 2 * * ? *)"],
        ),
        ({"schedule": "rate(1 hours)"}, ["nearest valid: rate(1 hour)"]),
        ({"schedule": "rate(5 minute)"}, ["nearest valid: rate(5 minutes)"]),
        ({"schedule": 5}, ["schedule=5", "cron("]),
        ({"time_zone": "Europe/Berlim"}, ["time_zone='Europe/Berlim'", "'Europe/Berlin'"]),
        (
            {"flexible_window": timedelta(seconds=90)},
            ["flexible_window='90 s'", "whole minutes from 1 to 1440", "Duration.minutes(2)"],
        ),
        ({"flexible_window": Duration.days(2)}, ["Duration.minutes(1440)"]),
        (
            {"flexible_window": 15},
            ["flexible_window=15", "nearest valid: flexible_window=Duration.minutes(15)"],
        ),
        ({"retry_attempts": 200}, ["retry_attempts=200", "0 to 185"]),
        ({"max_event_age": Duration.days(2)}, ["max_event_age='2 d'", "Duration.seconds(86400)"]),
        ({"task_count": 11}, ["task_count=11", "1 to 10"]),
        ({"enabled": "yes"}, ["enabled='yes'", "True or False"]),
        ({"dead_letter_queue": "arn:aws:sqs:eu-west-1:1:q"}, ["dead_letter_queue", "sqs.IQueue"]),
    ],
)
def test_bad_input_fails_at_synth_with_the_fix(props: dict[str, Any], expected: list[str]) -> None:
    stack = Stack(make_app(), "S")
    net = NetworkedCluster(stack, "Net")
    props = {"schedule": "rate(1 day)", **props}
    assert_explained(
        lambda: ScheduledTask(stack, "Job", cluster=net, task=_task(stack, net), **props), expected
    )


def test_windows_tasks_cannot_run_on_spot() -> None:
    stack = Stack(make_app(), "S")
    net = NetworkedCluster(stack, "Net")
    task = FargateTaskWithRoles(
        stack,
        "Win",
        image="mcr.microsoft.com/windows/servercore:ltsc2022",
        size=TaskSize(1024, 2048, operating_system=OperatingSystem.WINDOWS_SERVER_2022_CORE),
        log_key=net.log_key,
    )
    with pytest.raises(InvalidParameterError, match="capacity"):
        ScheduledTask(
            stack, "Job", cluster=net, task=task, schedule="rate(1 day)", capacity=Capacity.spot()
        )
