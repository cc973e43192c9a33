"""The stack's dashboard: one per stack, a section per workload with the widgets its kind needs,
a Url output, no resource per extra service."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from fargate_constructs import (
    BlueGreenDeployment,
    FargateService,
    InvalidParameterError,
    LoadBalancer,
    NetworkedCluster,
    QueueWorker,
    ScheduledTask,
    ServiceDashboard,
)
from fargate_constructs.dashboard import MAX_WIDGETS

from .harness import CERT, WAF, cfn_lint, make_app, nginx_task

TOKEN = "<token>"


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    """The one dashboard's body as JSON, each CloudFormation expression in it as TOKEN."""
    (dashboard,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):
        _, parts = body["Fn::Join"]
        body = "".join(part if isinstance(part, str) else TOKEN for part in parts)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


class Synthesized:
    def __init__(self) -> None:
        app = make_app()
        self.stack = Stack(app, "Watched")
        net = NetworkedCluster(self.stack, "Net")
        self.web = FargateService(
            self.stack,
            "Web",
            cluster=net,
            task=nginx_task(self.stack, net, "WebTask"),
            load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
            deployment=BlueGreenDeployment(),
        )
        self.backend = FargateService(
            self.stack, "Backend", cluster=net, task=nginx_task(self.stack, net, "BackendTask")
        )
        self.worker = QueueWorker(
            self.stack, "Worker", cluster=net, task=nginx_task(self.stack, net, "WorkerTask", None)
        )
        self.job = ScheduledTask(
            self.stack,
            "Nightly",
            cluster=net,
            task=nginx_task(self.stack, net, "JobTask", None),
            schedule="cron(0 2 * * ? *)",
        )
        FargateService(
            self.stack,
            "Unwatched",
            cluster=net,
            task=nginx_task(self.stack, net, "UnwatchedTask", None),
            dashboard=False,
        )
        self.template = Template.from_stack(self.stack).to_json()
        self.body = dashboard_body(self.template)

    def section(self, title: str) -> list[dict[str, Any]]:
        widgets = self.body["widgets"]
        start = next(
            i for i, w in enumerate(widgets) if w["properties"].get("markdown") == f"## {title}"
        )
        end = next(
            (i for i, w in enumerate(widgets[start + 1 :], start + 1) if w["type"] == "text"),
            len(widgets),
        )
        return widgets[start + 1 : end]

    def titles(self, title: str) -> list[str]:
        return [w["properties"]["title"] for w in self.section(title)]


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def test_one_dashboard_and_its_url(synth: Synthesized) -> None:
    dashboards = [
        r for r in synth.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    assert len(dashboards) == 1
    (url,) = [
        o for k, o in synth.template["Outputs"].items() if k.startswith("FargateDashboardUrl")
    ]
    parts = url["Value"]["Fn::Join"][1]
    assert parts[0] == "https://console.aws.amazon.com/cloudwatch/home?region="
    assert parts[2] == "#dashboards:name="
    assert ServiceDashboard.of(synth.web) is ServiceDashboard.of(synth.job)


def test_sections_in_the_order_the_workloads_were_made(synth: Synthesized) -> None:
    headers = [w["properties"]["markdown"] for w in synth.body["widgets"] if w["type"] == "text"]
    assert headers == [
        "## Watched/Web",
        "## Watched/Backend",
        "## Watched/Worker",
        "## Watched/Nightly",
    ]


def test_web_service_section(synth: Synthesized) -> None:
    assert synth.titles("Watched/Web") == [
        "Requests",
        "Target 4xx and 5xx",
        "Target response time (s): p50, p99",
        "Targets: healthy, unhealthy",
        "CPU and memory (%, 60 s)",
        "Tasks: running, desired, pending",
        "Rollback alarm",
    ]
    requests = synth.section("Watched/Web")[0]["properties"]["metrics"]
    # Blue and green target groups, the second row written with CloudWatch's "." shorthand.
    assert requests == [
        [
            "AWS/ApplicationELB",
            "RequestCount",
            "TargetGroup",
            TOKEN,
            "LoadBalancer",
            TOKEN,
            {"stat": "Sum"},
        ],
        [".", ".", ".", TOKEN, ".", ".", {"stat": "Sum"}],
    ]
    latency = synth.section("Watched/Web")[2]["properties"]["metrics"]
    assert [row[-1]["stat"] for row in latency] == ["p50", "p50", "p99", "p99"]
    alarm = synth.section("Watched/Web")[-1]
    assert alarm["type"] == "alarm"
    # Built from the alarm's literal name: no reference to the alarm resource.
    (arn,) = alarm["properties"]["alarms"]
    assert arn.startswith("arn:<token>:cloudwatch:<token>:<token>:alarm:")
    assert arn.endswith("-Rollback")


def test_backend_service_section(synth: Synthesized) -> None:
    assert synth.titles("Watched/Backend") == [
        "CPU and memory (%, 60 s)",
        "Tasks: running, desired, pending",
    ]
    cpu, memory = synth.section("Watched/Backend")[0]["properties"]["metrics"]
    assert cpu == [
        "AWS/ECS",
        "CPUUtilization",
        "ClusterName",
        TOKEN,
        "ServiceName",
        TOKEN,
        {"stat": "Average", "period": 60},
    ]
    assert memory[:2] == [".", "MemoryUtilization"]


def test_queue_worker_section(synth: Synthesized) -> None:
    assert synth.titles("Watched/Worker") == [
        "Messages visible",
        "Age of oldest message (s)",
        "Backlog per task",
        "Dead-letter queue: messages",
        "CPU and memory (%, 60 s)",
        "Tasks: running, desired, pending",
    ]
    backlog = synth.section("Watched/Worker")[2]["properties"]["metrics"]
    assert backlog[-1] == [
        {"expression": "visible / MAX([running, 1])", "label": "Backlog per task"}
    ]
    assert [row[-1].get("id") for row in backlog[:2]] == ["visible", "running"]


def test_scheduled_task_section(synth: Synthesized) -> None:
    assert synth.titles("Watched/Nightly") == [
        "Scheduler (group default): invocations, failed starts",
        "Runs not started (sent to the dead-letter queue)",
        "Dead-letter queue: messages",
    ]


def test_widgets_fit_the_grid(synth: Synthesized) -> None:
    occupied: set[tuple[int, int]] = set()
    for widget in synth.body["widgets"]:
        assert widget["x"] >= 0, widget
        assert widget["x"] + widget["width"] <= 24, widget
        cells = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & occupied, widget
        occupied |= cells
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == TOKEN


def test_cfn_lint_is_clean(synth: Synthesized) -> None:
    assert [str(f) for f in cfn_lint(synth.template)] == []


def _resources(services: int) -> int:
    app = make_app()
    stack = Stack(app, "Count")
    net = NetworkedCluster(stack, "Net")
    for index in range(services):
        FargateService(
            stack, f"Svc{index}", cluster=net, task=nginx_task(stack, net, f"T{index}", None)
        )
    return len(Template.from_stack(stack).to_json()["Resources"])


def test_a_dashboard_adds_no_resource_per_service() -> None:
    one, three = _resources(1), _resources(3)
    without_dashboard = _resources(0)
    assert one - without_dashboard == (three - one) / 2 + 1  # the stack's one dashboard


def test_too_many_widgets_are_refused() -> None:
    app = make_app()
    stack = Stack(app, "Full")
    dashboard = ServiceDashboard.of(stack)
    graph = {"type": "metric", "width": 8, "height": 6, "properties": {}}
    dashboard.add_section("many", [graph] * (MAX_WIDGETS - 1))
    with pytest.raises(InvalidParameterError) as raised:
        dashboard.add_section("one more", [graph])
    assert "at most 500 widgets on one CloudWatch dashboard" in str(raised.value)
    assert "dashboard=False for some workloads" in str(raised.value)
