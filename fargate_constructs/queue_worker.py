"""QueueWorker: a Fargate service that consumes an SQS queue of its own and scales on backlog per
task, down to zero (Copilot's Worker Service, ecs_patterns' QueueProcessingFargateService);
PublishedTopic: an SNS topic services publish to (Copilot's ``publish``)."""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import timedelta
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as sns_subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .capacity import Capacity
from .cluster import NetworkedCluster
from .compliance import QUEUE_URL_VARIABLE, acknowledge
from .dashboard import ServiceDashboard, queue_widgets
from .doors import checked
from .durations import DurationLike, as_timedelta, check_seconds
from .errors import InvalidParameterError
from .log_groups import create_key
from .queues import create_dead_letter_queue
from .scaling import AutoScaling, BacklogTracking
from .service import FargateService
from .task import FargateTaskWithRoles
from .validation import check_int_range, expect_instance, expect_interface, expect_str

DEFAULT_VISIBILITY_TIMEOUT = timedelta(minutes=5)
DEFAULT_RETENTION = timedelta(days=4)
MAX_FILTER_ATTRIBUTES = 5  # SNS's limit of attribute names in one filter policy


@checked
@dataclass(frozen=True)
class Subscription:
    """Deliver ``topic``'s messages to the worker's queue.

    :param topic: the SNS topic (any stack), or a :class:`PublishedTopic`.
    :param filter_policy: SNS filter policy on message attributes, as SNS's JSON, e.g.
        ``{"event": ["order-placed"]}`` (default: every message).
    :param raw_message_delivery: deliver the message body as sent, without SNS's JSON envelope
        (default True, what a worker usually wants).
    """

    topic: sns.ITopic | PublishedTopic
    _: KW_ONLY
    filter_policy: Mapping[str, Any] | None = None
    raw_message_delivery: bool = True

    @classmethod
    def _door_nearest(cls, value: object) -> str | None:
        if isinstance(value, str) and value.startswith("arn:aws"):
            return f"Subscription(topic=sns.Topic.from_topic_arn(self, 'Topic', {value!r}))"
        return None

    def __post_init__(self) -> None:
        published = getattr(self.topic, "topic", None)
        if hasattr(published, "topic_arn"):  # a PublishedTopic: its topic
            object.__setattr__(self, "topic", published)
        if getattr(self.topic, "fifo", False) is True:
            raise InvalidParameterError(
                "topic",
                "a FIFO topic",
                "a standard topic: SNS FIFO topics deliver only to FIFO queues, and the "
                "worker's queue is a standard one",
                nearest="PublishedTopic(..., fifo=False)",
            )
        if self.filter_policy is not None:
            _check_filter_policy(self.filter_policy)


@checked
class QueueWorker(Construct):
    """A service of ``task`` in ``cluster`` consuming a queue of its own.

    * the queue: KMS-encrypted (a key of its own, rotation on, grants only for AWS services),
      SSL only, with a dead-letter queue receiving messages after ``max_receive_count``
      failed receives;
    * ``subscriptions``: SNS topics delivering into the queue (with filter policies);
    * the task role may receive, change visibility of and delete messages of exactly this
      queue (and decrypt with its key), nothing more; the main container gets the queue's
      URL in ``queue_url_variable``;
    * scaling on backlog per task (:class:`BacklogTracking`), down to zero. Needs the
      cluster's Container Insights (the running-task count comes from it).

    :param cluster: the :class:`NetworkedCluster` to run in.
    :param task: the :class:`FargateTaskWithRoles` to run (no load balancer: workers take no
        inbound traffic).
    :param scaling: :class:`AutoScaling` (default: 0 to 10 tasks on
        ``BacklogTracking(backlog_per_task=10)``; a ``BacklogTracking`` without a queue tracks
        this worker's queue).
    :param subscriptions: :class:`Subscription` of SNS topics to the queue.
    :param visibility_timeout: how long a received message stays hidden from other tasks
        (longer than the time to process one; default 5 min, up to 12 h).
    :param max_receive_count: receives before a message moves to the dead-letter queue
        (1 to 1000, default 5).
    :param retention_period: how long messages are kept (60 s to 14 d, default 4 d); the
        dead-letter queue keeps them 14 days.
    :param queue_url_variable: environment variable holding the queue URL (default
        ``QUEUE_URL``).
    :param capacity: FARGATE/FARGATE_SPOT strategy (default: on demand).
    :param service_kwargs: further :class:`FargateService` keyword arguments (e.g.
        ``alarm_topic``, ``deployment``).
    :param dashboard: a section on the stack's dashboard (default True): visible messages,
        age of the oldest, backlog per task, dead-letter depth, CPU, memory and tasks.

    Attributes: :attr:`queue`, :attr:`dead_letter_queue`, :attr:`key`, :attr:`service` (the
    :class:`FargateService`), :attr:`task`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        task: FargateTaskWithRoles,
        scaling: AutoScaling | None = None,
        subscriptions: Sequence[Subscription] = (),
        visibility_timeout: DurationLike = DEFAULT_VISIBILITY_TIMEOUT,
        max_receive_count: int = 5,
        retention_period: DurationLike = DEFAULT_RETENTION,
        queue_url_variable: str = "QUEUE_URL",
        capacity: Capacity | None = None,
        service_kwargs: Mapping[str, Any] | None = None,
        dashboard: bool = True,
    ) -> None:
        expect_instance("cluster", cluster, NetworkedCluster, "a NetworkedCluster")
        expect_instance("task", task, FargateTaskWithRoles, "a FargateTaskWithRoles")
        scaling = scaling or AutoScaling(
            min_capacity=0, max_capacity=10, backlog_tracking=BacklogTracking()
        )
        expect_instance("scaling", scaling, AutoScaling, "AutoScaling(...) or None")
        for subscription in subscriptions:
            expect_instance(
                "subscriptions", subscription, Subscription, "a list of Subscription(topic=...)"
            )
        visibility = as_timedelta("visibility_timeout", visibility_timeout)
        check_seconds("visibility_timeout", visibility, 0, 43200)
        check_int_range("max_receive_count", max_receive_count, 1, 1000)
        retention = as_timedelta("retention_period", retention_period)
        check_seconds("retention_period", retention, 60, 1_209_600)
        expect_str("queue_url_variable", queue_url_variable)
        main = task.specs[task.main_container_name]
        if queue_url_variable in main.environment or queue_url_variable in main.secrets:
            raise InvalidParameterError(
                "queue_url_variable",
                queue_url_variable,
                "a variable the main container does not already define",
                nearest=f"queue_url_variable='WORKER_{queue_url_variable}'",
            )
        extra = dict(service_kwargs or {})
        for reserved in ("cluster", "task", "scaling", "capacity", "load_balancer", "dashboard"):
            if reserved in extra:
                raise InvalidParameterError(
                    "service_kwargs",
                    reserved,
                    "FargateService arguments other than cluster, task, scaling, capacity, "
                    "load_balancer and dashboard (QueueWorker sets these)",
                )
        super().__init__(scope, id)
        self.task = task

        self.key = create_key(self, "Key", description=f"{self.node.path} queue")
        self.dead_letter_queue = create_dead_letter_queue(self, "DeadLetterQueue", key=self.key)
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption_master_key=self.key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(visibility.total_seconds()),
            retention_period=Duration.seconds(retention.total_seconds()),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=max_receive_count
            ),
        )
        for subscription in subscriptions:
            # __post_init__ holds a PublishedTopic's topic.
            typing.cast(sns.ITopic, subscription.topic).add_subscription(
                sns_subscriptions.SqsSubscription(
                    self.queue,
                    raw_message_delivery=subscription.raw_message_delivery,
                    filter_policy=_filter_policy(subscription.filter_policy),
                )
            )
        if scaling.backlog_tracking is not None and scaling.backlog_tracking.queue is None:
            scaling = replace(
                scaling, backlog_tracking=replace(scaling.backlog_tracking, queue=self.queue)
            )
        self.queue.grant_consume_messages(task)
        if not main.environment:
            # The only plain variable is the queue's address; user variables stay reviewed.
            acknowledge(task.task_definition, QUEUE_URL_VARIABLE)
        task.container.add_environment(queue_url_variable, self.queue.queue_url)

        self.service = FargateService(
            self,
            "Service",
            cluster=cluster,
            task=task,
            capacity=capacity,
            scaling=scaling,
            dashboard=False,
            **extra,
        )
        if dashboard:
            ServiceDashboard.of(self).add_section(
                self.node.path,
                queue_widgets(
                    queue_name=self.queue.queue_name,
                    dead_letter_queue_name=self.dead_letter_queue.queue_name,
                    cluster_name=cluster.cluster.cluster_name,
                    service_name=self.service.service.service_name,
                    container_insights=cluster.container_insights,
                )
                + self.service.dashboard_widgets(),
            )


@checked
class PublishedTopic(Construct):
    """An SNS topic services publish to (Copilot's ``publish``): encrypted with a KMS key of
    its own (rotation on, grants only for AWS services), SSL-only publishing, and
    ``publishers`` granted ``sns:Publish`` on exactly this topic (and the key use it needs).
    Workers subscribe with ``Subscription(topic.topic)``.

    :param publishers: tasks or other grantees that publish (more with :meth:`grant_publish`).
    :param fifo: a FIFO topic (ordered, deduplicated; subscribers must be FIFO queues).
    :param display_name: the topic's display name.

    Attributes: :attr:`topic`, :attr:`key`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        publishers: Sequence[iam.IGrantable] = (),
        fifo: bool = False,
        display_name: str | None = None,
    ) -> None:
        for publisher in publishers:
            expect_interface(
                "publishers",
                publisher,
                "grant_principal",
                "a list of grantees (FargateTaskWithRoles, iam.Role, ...)",
            )
        super().__init__(scope, id)
        self.key = create_key(self, "Key", description=f"{self.node.path} topic")
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=self.key,
            enforce_ssl=True,
            fifo=fifo or None,
            display_name=display_name,
        )
        for publisher in publishers:
            self.grant_publish(publisher)

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sns:Publish`` on this topic, and on its key exactly the two actions publishing to an
        encrypted topic needs (CDK's ``grant_publish`` would give ``kms:GenerateDataKey*``)."""
        publish = iam.Grant.add_to_principal_or_resource(
            grantee=grantee,
            actions=["sns:Publish"],
            resource_arns=[self.topic.topic_arn],
            resource=self.topic,
        )
        return publish.combine(self.key.grant(grantee, "kms:GenerateDataKey", "kms:Decrypt"))


def _check_filter_policy(policy: Mapping[str, Any]) -> None:
    if not isinstance(policy, Mapping) or not policy:
        raise InvalidParameterError(
            "filter_policy",
            policy,
            "a non-empty mapping of message attribute names to lists of conditions",
            nearest="filter_policy={'event': ['order-placed']}",
        )
    if len(policy) > MAX_FILTER_ATTRIBUTES:
        raise InvalidParameterError(
            "filter_policy",
            sorted(policy),
            f"at most {MAX_FILTER_ATTRIBUTES} attribute names (SNS's limit)",
        )
    for name, conditions in policy.items():
        if not isinstance(name, str) or not isinstance(conditions, list | tuple) or not conditions:
            raise InvalidParameterError(
                "filter_policy",
                {name: conditions},
                "each attribute name mapped to a non-empty list of conditions",
                nearest=f"filter_policy={{{str(name)!r}: [{conditions!r}]}}",
            )


def _filter_policy(policy: Mapping[str, Any] | None) -> dict[str, sns.SubscriptionFilter] | None:
    if policy is None:
        return None
    return {
        name: sns.SubscriptionFilter(conditions=list(values)) for name, values in policy.items()
    }
