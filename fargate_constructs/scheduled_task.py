"""ScheduledTask: a :class:`FargateTaskWithRoles` started by EventBridge Scheduler on a cron or
rate expression (Copilot's Scheduled Job, ecs_patterns' ScheduledFargateTask)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .capacity import Capacity
from .cluster import NetworkedCluster
from .compliance import SCHEDULER_DEAD_LETTER_QUEUE, acknowledge
from .dashboard import ServiceDashboard, schedule_widgets
from .doors import Nearest, checked, in_unit
from .durations import DurationLike, as_timedelta, check_minutes, check_seconds
from .log_groups import create_key
from .queues import create_dead_letter_queue
from .roles import ManagedPolicyRole, account_service_principal
from .schedules import check_schedule_expression
from .task import FargateTaskWithRoles
from .validation import (
    check_int_range,
    check_time_zone,
    expect_bool,
    expect_instance,
    expect_interface,
)

SCHEDULER_SERVICE = "scheduler.amazonaws.com"
SCHEDULE_GROUP = "default"
MAX_RETRY_ATTEMPTS = 185
MAX_TASKS_PER_RUN = 10  # RunTask's count limit
DEFAULT_MAX_EVENT_AGE = timedelta(hours=1)


@checked
class ScheduledTask(Construct):
    """Run ``task`` in ``cluster``'s private subnets on a schedule, with EventBridge Scheduler.

    The schedule's role is trusted by ``scheduler.amazonaws.com`` only for schedules of this
    account and region, and holds exactly what :meth:`FargateTaskWithRoles.grant_run` grants
    (``ecs:RunTask`` on the family in this cluster, ``iam:PassRole`` on the task's two roles,
    tagging at launch) plus sending to the dead-letter queue. A run Scheduler could not start
    (RunTask failed, e.g. no Spot capacity) is retried, then sent to the dead-letter queue.

    There is no run timeout: neither Scheduler nor ECS stops a task after a time (a Fargate
    task runs until its containers exit); end long runs in the application.

    :param cluster: the :class:`NetworkedCluster` to run in.
    :param task: the :class:`FargateTaskWithRoles` to run.
    :param schedule: ``cron(0 2 * * ? *)`` (six fields: minute hour day-of-month month
        day-of-week year), ``rate(1 hour)`` or ``at(2027-01-01T00:00:00)``.
    :param time_zone: IANA time zone the cron expression is read in (default ``UTC``).
    :param flexible_window: let Scheduler start the run up to this long after the scheduled
        time, to spread load (1 to 1440 whole minutes; default None: on time).
    :param retry_attempts: times Scheduler retries a run it could not start (0 to 185,
        default 3).
    :param max_event_age: how long Scheduler keeps retrying (60 s to 24 h, default 1 h).
    :param dead_letter_queue: where runs that could not be started go (default: a new
        SSL-only queue keeping messages 14 days, encrypted with a KMS key of its own,
        :attr:`key`).
    :param capacity: FARGATE/FARGATE_SPOT strategy (default: on demand).
    :param task_count: tasks started per run (1 to 10, default 1).
    :param enabled: create the schedule enabled (default True).
    :param description: the schedule's description.
    :param dashboard: a section on the stack's dashboard (default True): Scheduler's
        invocations and failed starts, and this task's dead-letter queue.

    Attributes: :attr:`schedule` (``CfnSchedule``), :attr:`role`, :attr:`security_group`,
    :attr:`dead_letter_queue`, :attr:`key` (None with a queue of yours), :attr:`task`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        task: FargateTaskWithRoles,
        schedule: Annotated[str, Nearest("'cron(0 2 * * ? *)' or 'rate(1 hour)'")],
        time_zone: str = "UTC",
        flexible_window: Annotated[DurationLike | None, in_unit("minutes")] = None,
        retry_attempts: int = 3,
        max_event_age: DurationLike = DEFAULT_MAX_EVENT_AGE,
        dead_letter_queue: sqs.IQueue | None = None,
        capacity: Capacity | None = None,
        task_count: int = 1,
        enabled: bool = True,
        description: str | None = None,
        dashboard: bool = True,
    ) -> None:
        expect_instance("cluster", cluster, NetworkedCluster, "a NetworkedCluster")
        expect_instance("task", task, FargateTaskWithRoles, "a FargateTaskWithRoles")
        expression = check_schedule_expression("schedule", schedule)
        zone = check_time_zone("time_zone", time_zone)
        window = _check_window(flexible_window)
        check_int_range("retry_attempts", retry_attempts, 0, MAX_RETRY_ATTEMPTS)
        age = as_timedelta("max_event_age", max_event_age)
        check_seconds("max_event_age", age, 60, 86400)
        if dead_letter_queue is not None:
            expect_interface("dead_letter_queue", dead_letter_queue, "queue_arn", "an sqs.IQueue")
        if capacity is not None:
            expect_instance("capacity", capacity, Capacity, "Capacity(...) or None")
            capacity.check_task(task.size)
        check_int_range("task_count", task_count, 1, MAX_TASKS_PER_RUN)
        expect_bool("enabled", enabled)
        super().__init__(scope, id)
        self.task = task

        self.role = ManagedPolicyRole(
            self,
            "Role",
            # Only schedules of this account and region may use it (confused deputy).
            assumed_by=account_service_principal(
                self,
                SCHEDULER_SERVICE,
                source_service="scheduler",
                source_resource="schedule",
                source_resource_name=f"{SCHEDULE_GROUP}/*",
            ),
            description=f"EventBridge Scheduler starts {id}",
        )
        task.grant_run(self.role, cluster=cluster)

        self.key: kms.IKey | None = None
        self.dead_letter_queue: sqs.IQueue = dead_letter_queue or self._dead_letter_queue()
        if self.key is None:
            self.dead_letter_queue.grant_send_messages(self.role)
        else:
            # Sending to a KMS-encrypted queue needs exactly these two key actions
            # (grant_send_messages would add kms:Encrypt, ReEncrypt* and GenerateDataKey*).
            self.dead_letter_queue.grant(
                self.role, "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"
            )
            self.key.grant(self.role, "kms:GenerateDataKey", "kms:Decrypt")

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            description="Scheduled task: no inbound traffic",
            allow_all_outbound=True,
        )
        subnets = cluster.vpc.select_subnets(
            subnet_type=cluster.task_subnets.subnet_type
        ).subnet_ids
        strategy = _strategy(capacity)
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            schedule_expression=expression,
            schedule_expression_timezone=zone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(
                mode="OFF" if window is None else "FLEXIBLE",
                maximum_window_in_minutes=window,
            ),
            group_name=SCHEDULE_GROUP,
            state="ENABLED" if enabled else "DISABLED",
            description=description,
            target=scheduler.CfnSchedule.TargetProperty(
                arn=cluster.cluster.cluster_arn,
                role_arn=self.role.role_arn,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=retry_attempts,
                    maximum_event_age_in_seconds=int(age.total_seconds()),
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
                ecs_parameters=scheduler.CfnSchedule.EcsParametersProperty(
                    task_definition_arn=task.task_definition.task_definition_arn,
                    task_count=task_count,
                    launch_type=None if strategy else "FARGATE",
                    capacity_provider_strategy=strategy,
                    network_configuration=scheduler.CfnSchedule.NetworkConfigurationProperty(
                        awsvpc_configuration=scheduler.CfnSchedule.AwsVpcConfigurationProperty(
                            subnets=subnets,
                            security_groups=[self.security_group.security_group_id],
                            assign_public_ip="DISABLED",
                        )
                    ),
                    enable_ecs_managed_tags=True,
                    propagate_tags="TASK_DEFINITION",
                    enable_execute_command=task.enable_exec or None,
                ),
            ),
        )
        # The role's policy must exist before Scheduler first starts the task.
        if self.role.managed_policy is not None:
            self.schedule.node.add_dependency(self.role.managed_policy)
        if dashboard:
            ServiceDashboard.of(self).add_section(
                self.node.path,
                schedule_widgets(
                    schedule_group=SCHEDULE_GROUP,
                    dead_letter_queue_name=self.dead_letter_queue.queue_name,
                ),
            )

    def _dead_letter_queue(self) -> sqs.Queue:
        # A KMS key of its own, as a QueueWorker's queues have: Scheduler writes with the
        # schedule's role, which grant_send_messages gives the key use sending needs.
        self.key = create_key(self, "Key", description=f"{self.node.path} dead-letter queue")
        queue = create_dead_letter_queue(self, "DeadLetterQueue", key=self.key)
        acknowledge(queue, SCHEDULER_DEAD_LETTER_QUEUE)
        return queue


def _check_window(value: DurationLike | None) -> int | None:
    if value is None:
        return None
    window = as_timedelta("flexible_window", value, unit="minutes")
    return check_minutes("flexible_window", window, 1, 1440, note=", or None to start on time")


def _strategy(
    capacity: Capacity | None,
) -> list[scheduler.CfnSchedule.CapacityProviderStrategyItemProperty] | None:
    if capacity is None:
        return None
    return [
        scheduler.CfnSchedule.CapacityProviderStrategyItemProperty(
            capacity_provider=provider, base=base, weight=weight
        )
        for provider, base, weight in capacity.providers()
    ]
