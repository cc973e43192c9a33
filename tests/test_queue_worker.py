from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    AutoScaling,
    BacklogTracking,
    Capacity,
    FargateService,
    FargateTaskWithRoles,
    InvalidParameterError,
    NetworkedCluster,
    PublishedTopic,
    QueueWorker,
    Subscription,
    TargetTracking,
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


def _task(stack: Stack, net: NetworkedCluster, id: str, **props: Any) -> FargateTaskWithRoles:
    return FargateTaskWithRoles(
        stack, id, image=NGINX, size=TaskSize(256, 512), log_key=net.log_key, user="65534", **props
    )


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stack = Stack(self.app, "Shop")
        net = NetworkedCluster(self.stack, "Net")
        self.publisher = _task(self.stack, net, "Api")
        self.topic = PublishedTopic(self.stack, "Orders", publishers=[self.publisher])
        self.worker = QueueWorker(
            self.stack,
            "Mailer",
            cluster=net,
            task=_task(self.stack, net, "MailerTask"),
            subscriptions=[Subscription(self.topic, filter_policy={"event": ["order-placed"]})],
            capacity=Capacity.spot(on_demand_base=0),
        )
        synth(self.app)
        self.queue = self.logical_id(self.worker.queue)
        self.key = self.logical_id(self.worker.key)
        self.topic_key = self.logical_id(self.topic.key)
        self.template = Template.from_stack(self.stack)
        self.json = self.template.to_json()

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)

    def of_type(self, resource_type: str) -> dict[str, Any]:
        found: dict[str, Any] = self.template.find_resources(resource_type)
        return found

    def policy(self, prefix: str) -> list[dict[str, Any]]:
        [policy] = [
            resource
            for logical_id, resource in self.of_type("AWS::IAM::ManagedPolicy").items()
            if logical_id.startswith(prefix)
        ]
        statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
        return statements


@pytest.fixture(scope="module")
def synthesized() -> Synthesized:
    return Synthesized()


def test_queue_and_dead_letter_queue_are_kms_encrypted(synthesized: Synthesized) -> None:
    queues = synthesized.of_type("AWS::SQS::Queue")
    assert len(queues) == 2
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [synthesized.key, "Arn"]}
    main = synthesized.json["Resources"][synthesized.queue]["Properties"]
    assert main["RedrivePolicy"]["maxReceiveCount"] == 5
    assert main["VisibilityTimeout"] == 300
    key = synthesized.json["Resources"][synthesized.key]["Properties"]
    assert key["EnableKeyRotation"] is True
    sids = [statement.get("Sid") for statement in key["KeyPolicy"]["Statement"]]
    assert "DenyGrantsExceptForAwsServices" in sids


def test_the_task_role_consumes_exactly_its_queue(synthesized: Synthesized) -> None:
    statements = synthesized.policy("MailerTaskTaskRolePolicy")
    by_resource = {
        str(statement["Resource"]): sorted(_listed(statement["Action"])) for statement in statements
    }
    assert by_resource == {
        str({"Fn::GetAtt": [synthesized.queue, "Arn"]}): [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
        ],
        str({"Fn::GetAtt": [synthesized.key, "Arn"]}): ["kms:Decrypt"],
    }


def test_the_queue_url_reaches_the_main_container(synthesized: Synthesized) -> None:
    [task_definition] = [
        resource
        for logical_id, resource in synthesized.of_type("AWS::ECS::TaskDefinition").items()
        if logical_id.startswith("MailerTask")
    ]
    [container] = task_definition["Properties"]["ContainerDefinitions"]
    assert {"Name": "QUEUE_URL", "Value": {"Ref": synthesized.queue}} in container["Environment"]


def test_publishers_get_publish_and_two_key_actions(synthesized: Synthesized) -> None:
    statements = synthesized.policy("ApiTaskRolePolicy")
    assert statements == [
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": "OrdersTopic8A68B7A2"}},
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [synthesized.topic_key, "Arn"]},
        },
    ]
    [topic] = synthesized.of_type("AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [synthesized.topic_key, "Arn"]}


def test_the_subscription_filters_and_sns_may_use_the_queue_key(synthesized: Synthesized) -> None:
    [subscription] = synthesized.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["FilterPolicy"] == {"event": ["order-placed"]}
    assert subscription["Properties"]["RawMessageDelivery"] is True
    key = synthesized.json["Resources"][synthesized.key]["Properties"]["KeyPolicy"]
    sns_statements = [
        statement
        for statement in key["Statement"]
        if statement.get("Principal") == {"Service": "sns.amazonaws.com"}
    ]
    assert sns_statements, "SNS could not encrypt messages for the queue"


def test_backlog_per_task_target_tracking(synthesized: Synthesized) -> None:
    [policy] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if resource["Properties"]["PolicyType"] == "TargetTrackingScaling"
    ]
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 10
    metrics = {
        query["Id"]: query for query in configuration["CustomizedMetricSpecification"]["Metrics"]
    }
    assert metrics["backlog"] == {
        "Id": "backlog",
        "Expression": "IF(tasks > 0, messages / tasks, messages)",
        "Label": "Backlog per task",
        "ReturnData": True,
    }
    messages = metrics["messages"]["MetricStat"]["Metric"]
    assert (messages["Namespace"], messages["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert messages["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [synthesized.queue, "QueueName"]}}
    ]
    tasks = metrics["tasks"]["MetricStat"]["Metric"]
    assert (tasks["Namespace"], tasks["MetricName"]) == (
        "ECS/ContainerInsights",
        "RunningTaskCount",
    )


def test_scales_to_zero_and_starts_again_when_messages_wait(synthesized: Synthesized) -> None:
    [target] = synthesized.of_type("AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (0, 10)
    [service] = synthesized.of_type("AWS::ECS::Service").values()
    assert "DesiredCount" not in service["Properties"]
    [step] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if resource["Properties"]["PolicyType"] == "StepScaling"
    ]
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    [alarm] = synthesized.of_type("AWS::CloudWatch::Alarm").values()
    expressions = [query.get("Expression") for query in alarm["Properties"]["Metrics"]]
    assert "IF(messages > 0 AND FILL(tasks, 0) < 1, 1, 0)" in expressions
    assert alarm["Properties"]["Threshold"] == 1


def test_logical_ids_are_stable(synthesized: Synthesized) -> None:
    assert_logical_ids(
        synthesized.json,
        {
            "MailerKey": "AWS::KMS::Key",
            "MailerQueue": "AWS::SQS::Queue",
            "MailerDeadLetterQueue": "AWS::SQS::Queue",
            "MailerService": "AWS::ECS::Service",
            "MailerServiceTaskCountBacklogPerTask": ("AWS::ApplicationAutoScaling::ScalingPolicy"),
            "MailerServiceTaskCountTargetStartFromZeroUpperPolicy": (
                "AWS::ApplicationAutoScaling::ScalingPolicy"
            ),
            "OrdersTopic": "AWS::SNS::Topic",
            "OrdersKey": "AWS::KMS::Key",
        },
    )


def test_compliance_and_lint_are_clean(synthesized: Synthesized) -> None:
    assert compliance_findings(synthesized.stack, synthesized.json) == []


def test_whole_template_snapshot(
    synthesized: Synthesized, json_snapshot: SnapshotAssertion
) -> None:
    assert normalized(synthesized.json) == json_snapshot


def test_a_minimum_above_zero_needs_no_start_policy() -> None:
    stack = Stack(make_app(), "S")
    net = NetworkedCluster(stack, "Net")
    QueueWorker(
        stack,
        "Worker",
        cluster=net,
        task=_task(stack, net, "Task"),
        scaling=AutoScaling(
            min_capacity=1,
            max_capacity=4,
            backlog_tracking=BacklogTracking(backlog_per_task=50),
            target_tracking=TargetTracking(cpu_percent=70),
        ),
    )
    template = Template.from_stack(stack)
    policies = [
        resource["Properties"]["PolicyType"]
        for resource in template.find_resources(
            "AWS::ApplicationAutoScaling::ScalingPolicy"
        ).values()
    ]
    assert sorted(policies) == ["TargetTrackingScaling", "TargetTrackingScaling"]
    assert template.find_resources("AWS::CloudWatch::Alarm") == {}


def _worker(**props: Any) -> None:
    stack = Stack(make_app(), "S")
    net = NetworkedCluster(stack, "Net", container_insights=props.pop("insights", True))
    task = _task(stack, net, "Task", environment=props.pop("environment", None))
    QueueWorker(stack, "Worker", cluster=net, task=task, **props)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"visibility_timeout": timedelta(hours=13)}, ["visibility_timeout='13 h'", "0 to 43200"]),
        ({"max_receive_count": 0}, ["max_receive_count=0", "1 to 1000"]),
        ({"retention_period": Duration.days(15)}, ["retention_period='15 d'", "1209600"]),
        (
            {"environment": {"QUEUE_URL": "x"}},
            [
                "queue_url_variable='QUEUE_URL'",
                "nearest valid: queue_url_variable='WORKER_QUEUE_URL'",
            ],
        ),
        (
            {"subscriptions": ["arn:aws:sns:eu-west-1:1:t"]},
            ["subscriptions=['arn:aws:sns:eu-west-1:1:t']", "Subscription(topic"],
        ),
        ({"scaling": "auto"}, ["scaling='auto'", "scaling=AutoScaling(min_capacity="]),
        ({"service_kwargs": {"load_balancer": None}}, ["service_kwargs='load_balancer'"]),
        ({"insights": False}, ["container_insights=False", "RunningTaskCount"]),
    ],
)
def test_bad_input_fails_at_synth_with_the_fix(props: dict[str, Any], expected: list[str]) -> None:
    assert_explained(lambda: _worker(**props), expected)


def test_backlog_tracking_needs_a_queue_outside_a_worker() -> None:
    stack = Stack(make_app(), "S")
    net = NetworkedCluster(stack, "Net")
    with pytest.raises(InvalidParameterError, match=r"BacklogTracking\.queue=None"):
        FargateService(
            stack,
            "Svc",
            cluster=net,
            task=_task(stack, net, "Task"),
            scaling=AutoScaling(min_capacity=1, max_capacity=2, backlog_tracking=BacklogTracking()),
        )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: BacklogTracking(backlog_per_task=0), ["backlog_per_task=0"]),
        (lambda: BacklogTracking(scale_in_cooldown=Duration.hours(2)), ["scale_in_cooldown='2 h'"]),
        (
            lambda: Subscription(ecs.ContainerImage.from_registry("x")),  # type: ignore[arg-type]
            ["topic=", "sns.ITopic"],
        ),
        (
            lambda: Subscription("arn:aws:sns:eu-west-1:123456789012:orders"),  # type: ignore[arg-type]
            ["topic='arn:aws:sns:eu-west-1:123456789012:orders'", "sns.Topic.from_topic_arn("],
        ),
        (lambda: Subscription(_topic(), filter_policy={"event": "placed"}), ["non-empty list"]),
        (
            lambda: Subscription(PublishedTopic(Stack(make_app(), "F"), "Topic", fifo=True)),
            ["FIFO topics deliver only to FIFO queues", "fifo=False"],
        ),
        (
            lambda: Subscription(_topic(), filter_policy={str(i): ["x"] for i in range(6)}),
            ["at most 5 attribute names"],
        ),
    ],
)
def test_bad_value_objects(make: Any, expected: list[str]) -> None:
    assert_explained(make, expected)


def _topic() -> Any:
    return PublishedTopic(Stack(make_app(), "T"), "Topic").topic


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
