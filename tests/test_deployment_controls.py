"""The 2026 deployment controls: circuit-breaker thresholds, early success, pause and Lambda
lifecycle hooks, the 33-hour rule, and 20-second metrics, asserted as the AWS::ECS::Service
schema spells them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from fargate_constructs import (
    BlueGreenDeployment,
    CanaryDeployment,
    CircuitBreaker,
    EarlySuccess,
    FargateService,
    FargateTaskWithRoles,
    LambdaHook,
    LifecycleStage,
    LinearDeployment,
    LoadBalancer,
    NetworkedCluster,
    PauseHook,
    RevisionCleanup,
    RollingDeployment,
    SharedLoadBalancer,
    TaskSize,
    TimeoutAction,
)

from .harness import (
    CERT,
    NGINX,
    WAF,
    assert_explained,
    cfn_lint,
    make_app,
    nag_findings,
    nginx_task,
)


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stack = Stack(self.app, "Controls")
        net = NetworkedCluster(self.stack, "Net")
        edge = SharedLoadBalancer(
            self.stack, "Edge", cluster=net, certificate_arn=CERT, web_acl_arn=WAF
        )
        self.function = lambda_.Function(
            self.stack,
            "SmokeTest",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline(
                "def handler(event, context):\n    return {'hookStatus': 'SUCCEEDED'}\n"
            ),
        )

        self.services: dict[str, FargateService] = {}
        self.services["Rolling"] = FargateService(
            self.stack,
            "Rolling",
            cluster=net,
            task=nginx_task(self.stack, net, "RollingTask"),
            load_balancer=edge.route(priority=10, path_patterns=["/rolling/*"]),
            deployment=RollingDeployment(
                min_healthy_percent=50,
                circuit_breaker=CircuitBreaker(failed_tasks=2),
                early_success=EarlySuccess(healthy_percent=50, cleanup=RevisionCleanup.DEFERRED),
            ),
            metric_resolution=Duration.seconds(20),
            informational_alarms=True,
        )
        self.services["BlueGreen"] = FargateService(
            self.stack,
            "BlueGreen",
            cluster=net,
            task=nginx_task(self.stack, net, "BlueGreenTask"),
            load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
            deployment=BlueGreenDeployment(
                test_listener_port=8443,
                circuit_breaker=CircuitBreaker(reset_on_healthy_task=False),
                lifecycle_hooks=(
                    LambdaHook(
                        function=self.function,
                        stages=[LifecycleStage.POST_TEST_TRAFFIC_SHIFT],
                        details={"path": "/health"},
                        timeout=timedelta(minutes=15),
                    ),
                    PauseHook(timeout=Duration.hours(4), on_timeout=TimeoutAction.ROLLBACK),
                    ecs.DeploymentLifecycleLambdaTarget(
                        self.function,
                        "CdkHook",
                        lifecycle_stages=[ecs.DeploymentLifecycleStage.PRE_SCALE_UP],
                    ),
                ),
            ),
        )
        self.services["Canary"] = FargateService(
            self.stack,
            "Canary",
            cluster=net,
            task=nginx_task(self.stack, net, "CanaryTask"),
            load_balancer=edge.route(priority=20, path_patterns=["/canary/*"]),
            deployment=CanaryDeployment(
                circuit_breaker=CircuitBreaker(failed_percent=50, bounded=False),
                lifecycle_hooks=(PauseHook(),),
            ),
        )
        self.template = Template.from_stack(self.stack)
        self.json = self.template.to_json()

    def deployment_of(self, name: str) -> dict[str, Any]:
        config: dict[str, Any] = self.properties_of(name)["DeploymentConfiguration"]
        return config

    def properties_of(self, name: str) -> dict[str, Any]:
        cfn = self.services[name].service.node.default_child
        logical_id = self.stack.resolve(cfn.logical_id)  # type: ignore[union-attr]
        properties: dict[str, Any] = self.json["Resources"][logical_id]["Properties"]
        return properties


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def test_count_threshold_and_early_success(synth: Synthesized) -> None:
    config = synth.deployment_of("Rolling")
    assert config["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
        "ResetOnHealthyTask": True,
        "ThresholdConfiguration": {"Type": "COUNT", "Value": 2},
    }
    assert config["EarlySuccessCriteria"] == {
        "Enable": True,
        "HealthyPercent": 50,
        "SourceServiceRevisionCleanup": "DEFERRED",
    }
    assert config["Strategy"] == "ROLLING"


def test_reset_off_keeps_ecs_threshold(synth: Synthesized) -> None:
    assert synth.deployment_of("BlueGreen")["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
        "ResetOnHealthyTask": False,
    }


def test_unbounded_percent_threshold(synth: Synthesized) -> None:
    breaker = synth.deployment_of("Canary")["DeploymentCircuitBreaker"]
    assert breaker["ThresholdConfiguration"] == {"Type": "UNBOUNDED_PERCENT", "Value": 50}


def test_a_plain_breaker_renders_as_before() -> None:
    # circuit_breaker=True (the default) leaves ECS's threshold and emits nothing new.
    props = RollingDeployment().service_props()
    assert props["circuit_breaker"] is not None
    assert (
        RollingDeployment(circuit_breaker=False, rollback=False).service_props()["circuit_breaker"]
        is None
    )


def test_hooks_in_the_order_given(synth: Synthesized) -> None:
    hooks = synth.deployment_of("BlueGreen")["LifecycleHooks"]
    assert [hook.get("TargetType") for hook in hooks] == ["AWS_LAMBDA", "PAUSE", None]
    lambda_hook, pause, cdk_target = hooks
    function_arn = {
        "Fn::GetAtt": [synth.stack.resolve(synth.function.node.default_child.logical_id), "Arn"]
    }  # type: ignore[union-attr]
    assert lambda_hook["HookTargetArn"] == function_arn
    assert lambda_hook["LifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    assert lambda_hook["HookDetails"] == {"path": "/health"}
    assert lambda_hook["TimeoutConfiguration"] == {"TimeoutInMinutes": 15, "Action": "ROLLBACK"}
    assert pause == {
        "TargetType": "PAUSE",
        "LifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
        "TimeoutConfiguration": {"TimeoutInMinutes": 240, "Action": "ROLLBACK"},
    }
    assert cdk_target["HookTargetArn"] == function_arn
    assert cdk_target["LifecycleStages"] == ["PRE_SCALE_UP"]
    assert "RoleArn" in cdk_target


def test_pause_defaults_to_before_production_traffic_for_an_hour(synth: Synthesized) -> None:
    assert synth.deployment_of("Canary")["LifecycleHooks"] == [
        {
            "TargetType": "PAUSE",
            "LifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
            "TimeoutConfiguration": {"TimeoutInMinutes": 60, "Action": "ROLLBACK"},
        }
    ]


def test_hook_role_may_invoke_exactly_the_function(synth: Synthesized) -> None:
    role = synth.services["BlueGreen"].service.node.find_child("HookRoleSmokeTest")
    role_id = synth.stack.resolve(role.node.default_child.logical_id)  # type: ignore[union-attr]
    assert synth.json["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "ecs.amazonaws.com"},
        }
    ]
    function_id = synth.stack.resolve(synth.function.node.default_child.logical_id)  # type: ignore[union-attr]
    synth.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "lambda:InvokeFunction",
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [function_id, "Arn"]},
                    }
                ]
            },
        },
    )


def test_twenty_second_metrics_and_alarms(synth: Synthesized) -> None:
    assert synth.properties_of("Rolling")["Monitoring"] == {
        "MetricConfigurations": [
            {
                "MetricNames": ["CPUUtilization", "MemoryUtilization"],
                "ResolutionSeconds": 20,
            }
        ]
    }
    assert "Monitoring" not in synth.properties_of("Canary")
    # Five minutes of 30-second periods (the shortest aws-cdk-lib and cfn-lint accept that
    # 20-second data fills).
    synth.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "CPUUtilization",
            "Period": 30,
            "EvaluationPeriods": 10,
            "Dimensions": Match.array_with([Match.object_like({"Name": "ServiceName"})]),
        },
    )


def test_no_unacknowledged_nag_findings(synth: Synthesized) -> None:
    # The hook's Lambda function, and aws-cdk-lib's own hook target with its role (inline
    # policy, every version of the function), are the user's; LambdaHook's role is clean.
    theirs = ("Controls/SmokeTest/", "Controls/BlueGreen/Service/CdkHookRole/")
    assert [str(f) for f in nag_findings(synth.stack) if not f.path.startswith(theirs)] == []


def test_cfn_lint_is_clean(synth: Synthesized) -> None:
    # W3005 is aws-cdk-lib's own lambda.Function (a DependsOn its GetAtt already implies).
    assert [str(f) for f in cfn_lint(synth.json, ignore=["W3005"])] == []


@pytest.mark.parametrize(
    ("step_percent", "steps"),
    [(10.0, 9), (11.0, 9), (50.0, 1), (3.0, 33), (33.3, 3), (25.0, 3), (100.0, 0)],
)
def test_linear_steps_as_cloudformation_counts_them(step_percent: float, steps: int) -> None:
    assert LinearDeployment(step_percent=step_percent).steps == steps


def test_the_longest_linear_rollout_cloudformation_accepts() -> None:
    # 9 steps x 200 min + 180 min bake = 33 h exactly.
    LinearDeployment(
        step_percent=10.0,
        step_bake_time=timedelta(minutes=200),
        bake_time=timedelta(minutes=180),
    )


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda: CircuitBreaker(failed_tasks=0),
            ["failed_tasks=0", "1 to 200 failed tasks", "nearest valid: failed_tasks=1"],
        ),
        (
            lambda: CircuitBreaker(failed_tasks=201),
            ["failed_tasks=201", "nearest valid: failed_tasks=200"],
        ),
        (
            lambda: CircuitBreaker(failed_percent=120),
            ["failed_percent=120", "1 to 100 percent", "nearest valid: failed_percent=100"],
        ),
        (
            lambda: CircuitBreaker(failed_tasks=2, failed_percent=50),
            ["failed_tasks=2", "not both", "CircuitBreaker(failed_tasks=2)"],
        ),
        (
            lambda: CircuitBreaker(failed_tasks=2, bounded=False),
            ["bounded=False", "failed_percent only"],
        ),
        (
            lambda: EarlySuccess(healthy_percent=101),
            ["healthy_percent=101", "0 to 100", "nearest valid: healthy_percent=100"],
        ),
        (
            lambda: RollingDeployment(early_success=EarlySuccess(healthy_percent=50)),
            [
                "early_success.healthy_percent=50",
                "at least min_healthy_percent=100",
                "nearest valid: EarlySuccess(healthy_percent=100)",
            ],
        ),
        (
            lambda: PauseHook(stages=[LifecycleStage.PRODUCTION_TRAFFIC_SHIFT]),
            [
                "stages='PRODUCTION_TRAFFIC_SHIFT'",
                "any stage but TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT",
                "nearest valid: LifecycleStage.PRE_PRODUCTION_TRAFFIC_SHIFT",
            ],
        ),
        (
            lambda: PauseHook(stages=["TEST_TRAFFIC_SHIFT"]),
            ["stages='TEST_TRAFFIC_SHIFT'", "LifecycleStage.POST_TEST_TRAFFIC_SHIFT"],
        ),
        (
            lambda: PauseHook(stages=["BEFORE_TRAFFIC"]),
            ["stages='BEFORE_TRAFFIC'", "PRE_PRODUCTION_TRAFFIC_SHIFT"],
        ),
        (
            lambda: PauseHook(stages=[]),
            ["stages=[]", "at least one LifecycleStage"],
        ),
        (
            lambda: PauseHook(timeout=timedelta(days=15)),
            ["timeout='15 d'", "1 to 20160", "nearest valid: timeout=Duration.minutes(20160)"],
        ),
        (
            lambda: PauseHook(timeout=timedelta(seconds=30)),
            ["timeout='30 s'", "nearest valid: timeout=Duration.minutes(1)"],
        ),
        (
            lambda: LinearDeployment(
                step_percent=10.0,
                step_bake_time=timedelta(minutes=240),
                bake_time=timedelta(minutes=60),
            ),
            [
                "step_bake_time='4 h'",
                "a linear rollout within 33 hours",
                "bake_time + step_bake_time x 9 steps (37 h)",
                "for bake_time=1 h, 9 steps",
                "nearest valid: step_bake_time=Duration.minutes(213)",
            ],
        ),
        (
            lambda: CanaryDeployment(
                step_bake_time=timedelta(hours=24), bake_time=timedelta(hours=10)
            ),
            [
                "a canary rollout within 33 hours",
                "bake_time + step_bake_time (34 h)",
                "nearest valid: step_bake_time=Duration.minutes(1380)",
            ],
        ),
    ],
)
def test_bad_controls_are_explained(build: Any, fragments: list[str]) -> None:
    assert_explained(build, fragments)


def test_bad_metric_resolution_is_explained() -> None:
    app = make_app()
    stack = Stack(app, "S")
    net = NetworkedCluster(stack, "Net")
    task = FargateTaskWithRoles(
        stack,
        "Task",
        image=ecs.ContainerImage.from_registry(NGINX),
        size=TaskSize(256, 512),
        log_key=net.log_key,
    )
    assert_explained(
        lambda: FargateService(
            stack, "Worker", cluster=net, task=task, metric_resolution=Duration.seconds(30)
        ),
        [
            "metric_resolution='30 s'",
            "20 or 60 seconds",
            "nearest valid: metric_resolution=Duration.seconds(20)",
        ],
    )
