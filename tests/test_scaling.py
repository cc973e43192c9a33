from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    Architecture,
    AutoScaling,
    Capacity,
    FargateService,
    FargateTaskWithRoles,
    InvalidParameterError,
    LoadBalancer,
    NetworkedCluster,
    ScheduledScaling,
    Step,
    StepScaling,
    TargetTracking,
    TaskSize,
)

from .harness import (
    CERT,
    WAF,
    assert_explained,
    cfn_lint,
    make_app,
    nag_findings,
    normalized,
    synth_warnings,
)
from .harness import NGINX as IMAGE


def _task(
    stack: Stack, net: NetworkedCluster, id: str = "Task", **props: Any
) -> FargateTaskWithRoles:
    props.setdefault("size", TaskSize(256, 512))
    props.setdefault("image", ecs.ContainerImage.from_registry(IMAGE))
    return FargateTaskWithRoles(stack, id, log_key=net.log_key, **props)


WEB_SCALING = AutoScaling(
    min_capacity=2,
    max_capacity=10,
    target_tracking=TargetTracking(cpu_percent=60, memory_percent=70, requests_per_target=500),
    schedules=(
        ScheduledScaling(
            schedule="cron(0 8 ? * MON-FRI *)", min_capacity=4, time_zone="Europe/Berlin"
        ),
        ScheduledScaling(schedule="cron(0 20 ? * MON-FRI *)", min_capacity=2),
    ),
)


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.web_stack = Stack(self.app, "Web")
        net = NetworkedCluster(self.web_stack, "Net")
        self.web = FargateService(
            self.web_stack,
            "Web",
            cluster=net,
            task=_task(self.web_stack, net, container_port=8080),
            load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
            scaling=WEB_SCALING,
        )

        self.worker_stack = Stack(self.app, "Worker")
        # No NAT: the worker reaches SQS through its endpoint and pulls from private ECR.
        net = NetworkedCluster(self.worker_stack, "Net", nat_gateways=0, endpoints=["sqs"])
        key = kms.Key(self.worker_stack, "QueueKey", enable_key_rotation=True)
        dead_letters = sqs.Queue(
            self.worker_stack, "DeadLetters", encryption_master_key=key, enforce_ssl=True
        )
        self.queue = sqs.Queue(
            self.worker_stack,
            "Jobs",
            encryption_master_key=key,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=5),
        )
        repository = ecr.Repository(self.worker_stack, "Repo", image_scan_on_push=True)
        worker_task = _task(
            self.worker_stack,
            net,
            size=TaskSize(512, 1024, architecture=Architecture.ARM64),
            image=ecs.ContainerImage.from_ecr_repository(repository, "v1"),
        )
        self.queue.grant_consume_messages(worker_task)
        self.worker = FargateService(
            self.worker_stack,
            "Worker",
            cluster=net,
            task=worker_task,
            capacity=Capacity.spot(),
            scaling=AutoScaling(
                min_capacity=0,
                max_capacity=20,
                step_scaling=(
                    StepScaling(
                        self.queue.metric_approximate_number_of_messages_visible(
                            period=Duration.minutes(1)
                        ),
                        steps=(
                            Step(upper=1, change=-1),
                            Step(lower=10, upper=100, change=1),
                            Step(lower=100, change=5),
                        ),
                        name="QueueDepth",
                    ),
                ),
            ),
        )
        self.warnings = synth_warnings(self.app)
        self.templates = {
            "Web": Template.from_stack(self.web_stack),
            "Worker": Template.from_stack(self.worker_stack),
        }
        self.stacks = {"Web": self.web_stack, "Worker": self.worker_stack}

    def service(self, stack: str) -> dict[str, Any]:
        (service,) = self.templates[stack].find_resources("AWS::ECS::Service").values()
        return service  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


@pytest.mark.parametrize(("stack", "low", "high"), [("Web", 2, 10), ("Worker", 0, 20)])
def test_scalable_target_bounds(synth: Synthesized, stack: str, low: int, high: int) -> None:
    synth.templates[stack].has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "MinCapacity": low,
            "MaxCapacity": high,
            "ScalableDimension": "ecs:service:DesiredCount",
            "ServiceNamespace": "ecs",
        },
    )


@pytest.mark.parametrize("stack", ["Web", "Worker"])
def test_deploys_do_not_reset_the_task_count(synth: Synthesized, stack: str) -> None:
    # aws-cdk-lib writes DesiredCount only when given; with scaling on, it is not.
    assert "DesiredCount" not in synth.service(stack)["Properties"]


def test_without_scaling_the_desired_count_is_set() -> None:
    stack = Stack(make_app(), "Fixed")
    net = NetworkedCluster(stack, "Net")
    FargateService(stack, "Svc", cluster=net, task=_task(stack, net))
    Template.from_stack(stack).has_resource_properties("AWS::ECS::Service", {"DesiredCount": 2})


@pytest.mark.parametrize(
    ("metric", "target"),
    [
        ("ECSServiceAverageCPUUtilization", 60),
        ("ECSServiceAverageMemoryUtilization", 70),
        ("ALBRequestCountPerTarget", 500),
    ],
)
def test_target_tracking_policies(synth: Synthesized, metric: str, target: int) -> None:
    synth.templates["Web"].has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": Match.object_like(
                        {"PredefinedMetricType": metric}
                    ),
                    "TargetValue": target,
                    "ScaleInCooldown": 300,
                    "ScaleOutCooldown": 60,
                }
            ),
        },
    )


def test_requests_per_target_names_the_target_group(synth: Synthesized) -> None:
    policies = synth.templates["Web"].find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    (requests,) = [
        p
        for p in policies.values()
        if "ALBRequest" in str(p["Properties"]["TargetTrackingScalingPolicyConfiguration"])
    ]
    label = requests["Properties"]["TargetTrackingScalingPolicyConfiguration"][
        "PredefinedMetricSpecification"
    ]["ResourceLabel"]
    # app/<load balancer name>/<id>/targetgroup/<name>/<id>, the format ALB metrics use
    assert "TargetGroupFullName" in str(label)
    assert str(label).count("Fn::Select") == 3


def test_scheduled_scaling(synth: Synthesized) -> None:
    (target,) = (
        synth.templates["Web"]
        .find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
        .values()
    )
    assert target["Properties"]["ScheduledActions"] == [
        {
            "ScalableTargetAction": {"MinCapacity": 4},
            "Schedule": "cron(0 8 ? * MON-FRI *)",
            "ScheduledActionName": "Schedule1",
            "Timezone": "Europe/Berlin",
        },
        {
            "ScalableTargetAction": {"MinCapacity": 2},
            "Schedule": "cron(0 20 ? * MON-FRI *)",
            "ScheduledActionName": "Schedule2",
        },
    ]


def test_queue_depth_step_scaling_is_driven_by_two_alarms(synth: Synthesized) -> None:
    template = synth.templates["Worker"]
    policies = template.find_resources(
        "AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {"PolicyType": "StepScaling"}}
    )
    steps = [
        (
            adjustment.get("MetricIntervalLowerBound"),
            adjustment.get("MetricIntervalUpperBound"),
            adjustment["ScalingAdjustment"],
        )
        for policy in policies.values()
        for adjustment in policy["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"]
        if adjustment["ScalingAdjustment"] != 0
    ]
    # CDK expresses the bands relative to each alarm's threshold (10 to scale out, 1 to scale in).
    assert sorted(steps, key=str) == sorted([(0, 90, 1), (90, None, 5), (None, 0, -1)], key=str)
    alarms = template.find_resources(
        "AWS::CloudWatch::Alarm",
        {"Properties": {"MetricName": "ApproximateNumberOfMessagesVisible"}},
    )
    assert sorted(
        (a["Properties"]["ComparisonOperator"], a["Properties"]["Threshold"])
        for a in alarms.values()
    ) == [("GreaterThanOrEqualToThreshold", 10), ("LessThanOrEqualToThreshold", 1)]
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"]  # each alarm drives its scaling policy


def _alarm_names(template: Template) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if "AlarmName" in a["Properties"]
    }


def test_one_rollback_alarm_with_a_load_balancer_and_no_silent_alarms(synth: Synthesized) -> None:
    alarms = _alarm_names(synth.templates["Web"])
    kinds = sorted(name.rsplit("-", 1)[1] for name in alarms if name.startswith("Web-"))
    # No alarm_topic: CPU, memory and running tasks would tell no one, so they are not made.
    assert kinds == ["Rollback"]
    (rollback,) = [props for name, props in alarms.items() if name.endswith("-Rollback")]
    (expression,) = [m["Expression"] for m in rollback["Metrics"] if "Expression" in m]
    assert expression == "IF((FILL(e0, 0)) >= 10 OR (FILL(u0, 0)) >= 1, 1, 0)"
    metric_names = {
        m["MetricStat"]["Metric"]["MetricName"] for m in rollback["Metrics"] if "MetricStat" in m
    }
    assert metric_names == {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount"}
    assert (rollback["Threshold"], rollback["EvaluationPeriods"]) == (1, 2)
    assert synth.web.alarms is not None
    assert synth.web.alarms.rollback is not None
    assert synth.web.alarms.cpu_high is None


def test_rolling_deployment_rolls_back_on_the_rollback_alarm(synth: Synthesized) -> None:
    names = synth.service("Web")["Properties"]["DeploymentConfiguration"]["Alarms"]["AlarmNames"]
    alarms = _alarm_names(synth.templates["Web"])
    assert [name.rsplit("-", 1)[1] for name in names] == ["Rollback"]
    assert all(name in alarms for name in names)  # literal names that exist in the stack


def test_worker_without_load_balancer_or_topic_has_no_alarms(synth: Synthesized) -> None:
    assert _alarm_names(synth.templates["Worker"]) == {}
    assert "Alarms" not in synth.service("Worker")["Properties"]["DeploymentConfiguration"]


def test_informational_alarms_with_a_topic_notify_it() -> None:
    app = make_app()
    stack = Stack(app, "Told")
    net = NetworkedCluster(stack, "Net")
    topic = sns.Topic(stack, "Pager", enforce_ssl=True)
    FargateService(
        stack,
        "Web",
        cluster=net,
        task=_task(stack, net, container_port=8080),
        load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
        alarm_topic=topic,
    )
    alarms = _alarm_names(Template.from_stack(stack))
    assert sorted(name.rsplit("-", 1)[1] for name in alarms) == [
        "CpuHigh",
        "MemoryHigh",
        "Rollback",
        "RunningTasksLow",
    ]
    topic_ref = {"Ref": stack.resolve(stack.get_logical_id(topic.node.default_child))}
    for props in alarms.values():
        assert props["AlarmActions"] == [topic_ref]
        assert props["OKActions"] == [topic_ref]


def test_no_synth_warnings(synth: Synthesized) -> None:
    assert synth.warnings == []


@pytest.mark.parametrize("stack", ["Web", "Worker"])
def test_no_unacknowledged_nag_findings(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in nag_findings(synth.stacks[stack])] == []


@pytest.mark.parametrize("stack", ["Web", "Worker"])
def test_cfn_lint_is_clean(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in cfn_lint(synth.templates[stack].to_json())] == []


def test_worker_snapshot(synth: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert normalized(synth.templates["Worker"].to_json()) == json_snapshot


# --- subnet capacity -------------------------------------------------------------------------


def _capacity_app(cidr: str, max_capacity: int) -> App:
    app = make_app()
    stack = Stack(app, "Slots")
    net = NetworkedCluster(stack, "Net", cidr=cidr)
    FargateService(
        stack,
        "Svc",
        cluster=net,
        task=_task(stack, net),
        scaling=AutoScaling(
            min_capacity=1,
            max_capacity=max_capacity,
            target_tracking=TargetTracking(cpu_percent=60),
        ),
    )
    return app


def test_oversubscribed_slash_24_fails_with_both_numbers() -> None:
    # 10.0.0.0/24 over 2 AZs: 4 subnets of /26; the 2 private ones offer 2 x (64 - 5) = 118 IPs.
    app = _capacity_app("10.0.0.0/24", max_capacity=60)
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    message = str(raised.value)
    assert "may run 120 tasks at once" in message
    assert "max_capacity 60 x 200% during a rolling deployment = 120" in message
    assert "offer 118 IPs" in message
    assert "2 subnets (/26, /26)" in message
    assert "larger cidr" in message


def test_the_same_service_fits_a_slash_16() -> None:
    app = _capacity_app("10.0.0.0/16", max_capacity=60)
    assert synth_warnings(app) == []


def test_over_eighty_percent_is_a_warning() -> None:
    app = _capacity_app("10.0.0.0/24", max_capacity=50)  # 100 of 118
    (warning,) = synth_warnings(app)
    assert "100 tasks at once, 84% of the 118 IPs" in warning


def test_endpoints_and_blue_green_count_against_capacity() -> None:
    app = make_app()
    stack = Stack(app, "Slots")
    net = NetworkedCluster(stack, "Net", cidr="10.0.0.0/24", nat_gateways=0)
    capacity = net.task_ip_capacity()
    assert capacity is not None
    assert capacity[0] == 118 - 2 * 5  # 5 interface endpoints in each private subnet
    assert "1 per subnet for the ecr.api interface endpoint" in capacity[1]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda: AutoScaling(
                min_capacity=5, max_capacity=2, target_tracking=TargetTracking(cpu_percent=50)
            ),
            [
                "min_capacity=5 is not valid; allowed: at most max_capacity=2",
                "nearest valid: min_capacity=2",
            ],
        ),
        (
            lambda: AutoScaling(
                min_capacity=0, max_capacity=0, target_tracking=TargetTracking(cpu_percent=50)
            ),
            ["max_capacity=0 is not valid; allowed: 1 to 5000"],
        ),
        (lambda: AutoScaling(min_capacity=0, max_capacity=3), ["at least one way to scale"]),
        (lambda: TargetTracking(cpu_percent=0), ["cpu_percent=0 is not valid; allowed: 1 to 100"]),
        (
            lambda: TargetTracking(memory_percent=120),
            ["memory_percent=120", "nearest valid: memory_percent=100"],
        ),
        (lambda: TargetTracking(), ["at least one target to track"]),
        (lambda: Step(lower=5, upper=1), ["lower below upper"]),
        (lambda: StepScaling(_metric(), steps=(Step(upper=1, change=-1),)), ["steps=1", "2 to 40"]),
        (
            lambda: StepScaling(
                _metric(), steps=(Step(lower=10, upper=100), Step(lower=50, change=2))
            ),
            ["do not overlap"],
        ),
        (
            lambda: StepScaling(
                _metric(), steps=(Step(lower=100, change=2), Step(upper=1, change=-1))
            ),
            ["ordered by their lower bound"],
        ),
        (
            lambda: ScheduledScaling(schedule="every day at 8", min_capacity=1),
            ["schedule='every day at 8'", "cron("],
        ),
        (
            lambda: ScheduledScaling(schedule="rate(1 hours)", min_capacity=1),
            ["schedule='rate(1 hours)'"],
        ),
        (lambda: ScheduledScaling(schedule="rate(5 minutes)"), ["at least one of them"]),
        (
            lambda: ScheduledScaling(schedule="rate(5 minutes)", min_capacity=5, max_capacity=2),
            ["min_capacity=5"],
        ),
    ],
)
def test_bad_scaling_is_explained(build: Any, fragments: list[str]) -> None:
    assert_explained(build, fragments)


def _metric() -> Any:
    from aws_cdk import aws_cloudwatch as cloudwatch

    return cloudwatch.Metric(namespace="Custom", metric_name="Depth")


def test_valid_schedules_are_accepted() -> None:
    for expression in (
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(2 hours)",
        "at(2027-01-01T08:00:00)",
    ):
        assert ScheduledScaling(schedule=expression, max_capacity=3).schedule == expression


def _service(**props: Any) -> None:
    stack = Stack(App(), "Bad")
    net = NetworkedCluster(stack, "Net", flow_logs=False)
    FargateService(stack, "Svc", cluster=net, task=_task(stack, net), **props)


def test_requests_per_target_without_load_balancer_is_an_error() -> None:
    scaling = AutoScaling(
        min_capacity=1, max_capacity=4, target_tracking=TargetTracking(requests_per_target=100)
    )
    with pytest.raises(
        InvalidParameterError, match=r"requests_per_target=100 is not valid for load_balancer=None"
    ):
        _service(scaling=scaling)


def test_desired_count_with_scaling_is_an_error() -> None:
    scaling = AutoScaling(
        min_capacity=1, max_capacity=4, target_tracking=TargetTracking(cpu_percent=60)
    )
    with pytest.raises(InvalidParameterError, match=re.escape("desired_count=3 is not valid")):
        _service(scaling=scaling, desired_count=3)
