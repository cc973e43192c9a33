"""The fargate-constructs command: cost (hand-computed), diagram, sizes, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fargate_constructs.cli import main
from fargate_constructs.cli.cloud_assembly import StackTemplate, read_assembly
from fargate_constructs.cli.cost import (
    add_eks_pods,
    has_container_insights,
    lambda_cost,
    stack_cost,
)
from fargate_constructs.cli.diagram import mermaid

from .conftest import ExampleApp
from .harness import REPO_ROOT


def _service(task: str, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": task}, **props}}


def _task(cpu: str, memory: str, arch: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {"Cpu": cpu, "Memory": memory, "RuntimePlatform": {"CpuArchitecture": arch}},
    }


TEMPLATE = {
    "Resources": {
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Type": "application"},
        },
        "Nlb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Type": "network"},
        },
        "Endpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
        },
        "TaskA": _task("1024", "2048", "X86_64"),
        "ServiceA": _service("TaskA", DesiredCount=3),
        "TaskB": _task("512", "1024", "ARM64"),
        "ServiceB": _service(
            "TaskB",
            CapacityProviderStrategy=[
                {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
                {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
            ],
        ),
        "Target": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "MinCapacity": 1,
                "MaxCapacity": 4,
                "ResourceId": {
                    "Fn::Join": ["", ["service/", {"Fn::GetAtt": ["ServiceB", "Name"]}]]
                },
            },
        },
    }
}


@pytest.fixture
def cdk_out(tmp_path: Path) -> Path:
    (tmp_path / "S.template.json").write_text(json.dumps(TEMPLATE))
    manifest = {
        "artifacts": {
            "S": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "S.template.json"},
            },
            "Tree": {"type": "cdk:tree"},
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


# Hand-computed with the us-east-1 table: x86 $0.04048/vCPU-h + $0.004445/GB-h, ARM64 $0.03238 +
# $0.00356, 730 h, NAT $0.045/h, ALB and NLB $0.0225/h each, interface endpoint $0.01/h per AZ,
# Spot 50-70% off.
SERVICE_A = 3 * (1 * 0.04048 + 2 * 0.004445) * 730  # 108.1203
SERVICE_B_TASK = (0.5 * 0.03238 + 1 * 0.00356) * 730  # 14.4175 per task-month
SERVICE_B_LOW = 1 * SERVICE_B_TASK  # min 1: the on-demand base
# max 4: base 1 on demand, 3 split 1:3 -> 2.25 on Spot (56.25%), Spot at the smaller 50% discount
SERVICE_B_HIGH = (4 - 2.25 + 2.25 * 0.5) * SERVICE_B_TASK
FIXED = 730 * (0.045 + 0.0225 + 0.0225 + 2 * 0.01)  # 80.30


def test_cost_matches_hand_computation(cdk_out: Path) -> None:
    (stack,) = read_assembly(cdk_out)
    cost = stack_cost(stack)
    by_name = {s.name: s for s in cost.services}
    assert by_name["ServiceA"].monthly_low == pytest.approx(SERVICE_A)
    assert by_name["ServiceA"].monthly_high == pytest.approx(SERVICE_A)
    assert by_name["ServiceB"].monthly_low == pytest.approx(SERVICE_B_LOW)
    assert by_name["ServiceB"].monthly_high == pytest.approx(SERVICE_B_HIGH)
    assert by_name["ServiceB"].spot_share == pytest.approx(0.5625)
    assert (cost.nat_gateways, cost.load_balancers, cost.interface_endpoint_azs) == (1, 2, 2)
    assert cost.fixed_monthly == pytest.approx(FIXED)
    assert cost.monthly_low == pytest.approx(FIXED + SERVICE_A + SERVICE_B_LOW)
    assert cost.monthly_high == pytest.approx(FIXED + SERVICE_A + SERVICE_B_HIGH)


def test_lambda_comparison_matches_hand_computation() -> None:
    # 1M requests x 0.2 s x 0.5 GB = 100,000 GB-s x $0.0000166667 + 1M x $0.20 per million
    assert lambda_cost(1_000_000, 200, 512, "X86_64").monthly == pytest.approx(1.66667 + 0.20)
    assert lambda_cost(1_000_000, 200, 512, "ARM64").monthly == pytest.approx(1.33334 + 0.20)


def test_cost_command_table_and_json(cdk_out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "cost",
                str(cdk_out),
                "--lambda-requests",
                "1000000",
                "--lambda-duration-ms",
                "200",
                "--lambda-memory-mb",
                "512",
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    low, high = FIXED + SERVICE_A + SERVICE_B_LOW, FIXED + SERVICE_A + SERVICE_B_HIGH
    assert f"S: ${low:,.2f} to ${high:,.2f}" in table
    assert "service ServiceB: 0.5 vCPU / 1 GiB ARM64 x 1-4 tasks, 56% Spot" in table
    assert (
        "Lambda for the same work (1,000,000 requests x 200 ms at 512 MB X86_64): $1.87 a month"
        in table
    )
    assert main(["cost", str(cdk_out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["region"] == "us-east-1"
    assert data["stacks"][0]["monthly_low"] == round(FIXED + SERVICE_A + SERVICE_B_LOW, 2)
    assert data["lambda"] is None


@pytest.fixture
def example_cdk_out(example_app: ExampleApp) -> Path:
    return example_app.outdir


def test_example_app_costs(example_cdk_out: Path) -> None:
    costs = {stack.name: stack_cost(stack) for stack in read_assembly(example_cdk_out)}
    platform = costs["FargatePlatform"]
    assert (platform.nat_gateways, platform.load_balancers, platform.interface_endpoint_azs) == (
        1,
        1,
        0,
    )
    assert platform.fixed_monthly == pytest.approx(730 * (0.045 + 0.0225))
    assert sum(cost.nat_gateways for cost in costs.values()) == 1
    web = costs["FargateWeb"]
    (service,) = web.services
    assert (service.tasks_low, service.tasks_high) == (2, 10)
    per_task = (0.25 * 0.04048 + 0.5 * 0.004445) * 730
    assert service.monthly_low == pytest.approx(2 * per_task)
    assert service.monthly_high == pytest.approx(10 * per_task)


def test_example_app_monthly_charges(example_cdk_out: Path) -> None:
    stacks = read_assembly(example_cdk_out)
    insights = has_container_insights(stacks)
    assert insights
    charges = {
        stack.name: {c.kind: c for c in stack_cost(stack, container_insights=insights).charges}
        for stack in stacks
    }
    # KMS: the platform's log key, the worker's queue key, the nightly job's dead-letter key.
    assert {name: c["kms"].monthly for name, c in charges.items() if "kms" in c} == {
        "FargatePlatform": 1.0,
        "FargateWorker": 1.0,
        "FargateBatch": 1.0,
    }
    # One dashboard per service stack, $3 each.
    assert {name: c["dashboards"].monthly for name, c in charges.items() if "dashboards" in c} == {
        "FargateWeb": 3.0,
        "FargateWorker": 3.0,
        "FargateBatch": 3.0,
    }
    # The web ACL ($5), its three managed rule groups ($1 each), 1 million requests ($0.60).
    assert charges["FargatePlatform"]["waf"].monthly == pytest.approx(5 + 3 + 0.6)
    assert "assuming 1 million requests" in charges["FargatePlatform"]["waf"].what
    # The web service's rollback alarm reads two metrics (5xx and unhealthy targets).
    assert charges["FargateWeb"]["alarms"].monthly == pytest.approx(0.2)
    assert charges["FargatePlatform"]["flow_logs"].monthly == pytest.approx(5 * 0.5)
    assert charges["FargatePlatform"]["container_insights"].monthly == pytest.approx(8 * 0.3)
    assert charges["FargateWeb"]["container_insights"].monthly == pytest.approx(16 * 0.3)
    assert "container_insights" not in charges["FargateBatch"]


def test_diagram_of_the_example_app(example_cdk_out: Path) -> None:
    graph = mermaid(read_assembly(example_cdk_out))
    assert graph.startswith("graph LR\n")
    for text in (
        'subgraph FargatePlatform_stack["FargatePlatform"]',
        'subgraph FargateWeb_stack["FargateWeb"]',
        # Cross-stack: services run in the platform's cluster, behind its load balancer.
        "FargateWeb_WebServiceD04B5F3E --> FargatePlatform_NetworkCluster17B54D11",
        "FargatePlatform_LoadBalancer8E47CE52 -- 443 --> FargateWeb_WebTargetGroupFE6444AE",
        '"VPC 10.0.0.0/16: 2 private, 2 public subnets, 1 NAT"',
        '"task WebTaskTaskDefinition: 0.25 vCPU / 0.5 GiB X86_64"',
        '"task WorkerTaskTaskDefinition: 0.5 vCPU / 1 GiB ARM64"',
        '{{"task role: trusts ecs-tasks.amazonaws.com"}}',
        '{{"execution role: trusts ecs-tasks.amazonaws.com"}}',
        '"service WebService: rolling"',
        '"load balancer (internet-facing)"',
        '"scaling alarm: Messages waiting and no task running"',
        '"target tracking Backlog per task at 20"',
        '"launcher LauncherRole (account principals)"',
        '"launcher NightlyRole (scheduler.amazonaws.com)"',
        '"Scheduler cron(0 2 * * ? *) Europe/Berlin"',
        "-- passes roles, runs -->",
    ):
        assert text in graph


def test_the_docs_draw_the_diagram_when_they_are_built() -> None:
    """No pasted graph to go stale: the example app's page includes the one docs/_ext writes
    with fargate-constructs diagram at build time."""
    page = (REPO_ROOT / "docs" / "example-app.md").read_text()
    assert "```{include} _generated/architecture.md" in page
    assert "```mermaid" not in page


def test_the_docs_show_the_current_cost_of_the_example_app(
    example_cdk_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--lambda-requests", "10000000", "--lambda-duration-ms", "120"]
    assert main(["cost", str(example_cdk_out), *args]) == 0
    table = capsys.readouterr().out
    page = (REPO_ROOT / "docs" / "cli.md").read_text()
    assert f"```\n{table}```" in page, "regenerate: fargate-constructs cost cdk.out " + " ".join(
        args
    )


def test_sizes_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sizes", "--vcpu", "1", "--memory-gib", "3"]) == 0
    out = capsys.readouterr().out
    assert "cpu= 1024 memory_mib=  3072  $39.28/month" in out
    assert "Cheapest fit: TaskSize(1024, 3072) = 1 vCPU / 3 GiB X86_64, $39.28 a month" in out
    assert main(["sizes", "--vcpu", "1", "--memory-gib", "3", "--arm", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 1 x 0.03238 + 3 x 0.00356 = 0.04306 per hour x 730
    assert data["cheapest"] == {
        "cpu": 1024,
        "memory_mib": 3072,
        "architecture": "ARM64",
        "monthly": 31.43,
    }


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fargate_constructs.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cost", "no-such-dir"), "no-such-dir does not exist: run `make synth`"),
        (("diagram",), "cdk.out does not exist"),
        (("sizes", "--vcpu", "17", "--memory-gib", "1"), "largest Fargate task"),
        (
            ("sizes", "--vcpu", "-1", "--memory-gib", "1"),
            "argument --vcpu: expected a number above 0",
        ),
        (
            ("cost", "--lambda-requests", "5"),
            "give both --lambda-requests and --lambda-duration-ms",
        ),
        (("deploy",), "invalid choice: 'deploy'"),
    ],
)
def test_errors_are_one_line_without_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    if args[0] == "cost" and "--lambda-requests" in args:
        (tmp_path / "cdk.out").mkdir()
    result = _run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_does_not_load_the_cdk() -> None:
    code = "import sys, fargate_constructs.cli; print('aws_cdk' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_stack_template_helpers() -> None:
    stack = StackTemplate("S", TEMPLATE)
    assert [logical_id for logical_id, _ in stack.of_type("AWS::ECS::Service")] == [
        "ServiceA",
        "ServiceB",
    ]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`fargate-constructs cost | head -1`: no BrokenPipeError traceback."""
    manifest: dict[str, Any] = {"artifacts": {}}
    for index in range(400):  # some 400 kB of Mermaid, far more than a pipe buffers
        (tmp_path / f"S{index}.template.json").write_text(json.dumps(TEMPLATE))
        manifest["artifacts"][f"S{index}"] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"S{index}.template.json"},
        }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    process = subprocess.Popen(
        [sys.executable, "-m", "fargate_constructs.cli", "cost", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("Monthly estimate")
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    assert process.returncode == 0


def test_sizes_command_for_eks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sizes", "--eks", "--vcpu", "1", "--memory-gib", "8"]) == 0
    out = capsys.readouterr().out
    # 2 x 0.04048 + 9 x 0.004445 = 0.120965 per hour x 730 = $88.30
    assert "EKS bills a pod requesting 1 vCPU / 8 GiB as 2 vCPU / 9 GiB" in out
    assert "$88.30 a month per pod" in out
    assert "Not requested but paid for: 1 vCPU and 1024 MiB" in out
    assert main(["sizes", "--eks", "--vcpu", "0.25", "--memory-gib", "0.5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["billed"] == {"cpu": 256, "memory_mib": 1024}
    assert data["wasted"] == {"vcpu": 0.0, "memory_mib": 512}
    assert main(["sizes", "--eks", "--vcpu", "17", "--memory-gib", "1"]) == 2


def test_cost_prices_the_eks_control_plane(tmp_path: Path) -> None:
    from tests.harness import load_example_app, make_app

    app = make_app(outdir=str(tmp_path), eks="true")
    load_example_app().build(app)
    app.synth()
    costs = {stack.name: stack_cost(stack) for stack in read_assembly(tmp_path)}
    charges = {charge.kind: charge for charge in costs["FargateEks"].charges}
    assert charges["eks"].monthly == pytest.approx(0.10 * 730)
    assert "sizes --eks" in charges["eks"].what
    costs_list = list(costs.values())
    add_eks_pods(costs_list, 2, 0.25, 0.5)
    (pods,) = [c for c in costs["FargateEks"].charges if c.kind == "eks_pods"]
    # 0.5 GiB + 256 MiB -> 1 GiB: 0.25 x 0.04048 + 1 x 0.004445 = 0.014565/h x 730 x 2 pods
    assert pods.monthly == pytest.approx(2 * 0.014565 * 730)
    assert "billed as 0.25 vCPU / 1 GiB each" in pods.what
    assert not [c for c in costs["FargateWeb"].charges if c.kind == "eks_pods"]
