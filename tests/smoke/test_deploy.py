"""A real `cdk bootstrap` and `cdk deploy --all` of app.py, with the pinned CDK CLI, into a
local moto server; then the deployed resources are read back with boto3.

moto does not model everything: it drops a task definition's cpu, network mode, roles and
runtime platform, ignores Application Auto Scaling and WAF, and cannot run the Lambda behind
aws-cdk-lib's default-security-group custom resource (no container runtime here), so the app
is deployed with restrict_default_security_group=false; its CloudFormation does not create
AWS::ServiceDiscovery::HttpNamespace (a later Fn::GetAtt on it fails), so the platform is
deployed without the Service Connect namespace (service_connect_namespace=). Those parts are
asserted on the templates CloudFormation received (and, in the other test modules, on the
synthesized ones).

Run with `make smoke` (pytest -m deploy); bounded by timeouts, and the server is stopped
whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ..harness import REPO_ROOT

pytestmark = pytest.mark.deploy

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACKS = ("FargatePlatform", "FargateWeb", "FargateWorker", "FargateBatch")
BOOTSTRAP_TIMEOUT = 180
DEPLOY_TIMEOUT = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"moto server at {url} did not answer within {timeout} s")


class Moto:
    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.endpoint = f"http://127.0.0.1:{port}"

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "CDK_")) or key == "CDK_DISABLE_CLI_TELEMETRY"
        }
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=self.endpoint,
            # CloudFormation fetches templates from S3 by URL.
            AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION=f"http://localhost:{self.port}",
        )
        return env

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    server_bin = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert server_bin, "moto[server] is a dev dependency"
    with log.open("w") as out:
        process = subprocess.Popen(
            [server_bin, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/moto-api/", timeout=30)
        yield Moto(port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _cdk(moto: Moto, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    cdk = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    assert cdk.exists(), "run `make setup` (npm ci) first"
    env = moto.env()
    # The venv's Node 24 and python first, as in the Makefile.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [str(cdk), *args, "--no-notices"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"cdk {args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def deployed(moto: Moto, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    certificate = moto.client("acm").request_certificate(DomainName="app.example.com")
    started = time.monotonic()
    _cdk(
        moto,
        "bootstrap",
        f"aws://{ACCOUNT}/{REGION}",
        "--no-previous-parameters",
        timeout=BOOTSTRAP_TIMEOUT,
    )
    bootstrapped = time.monotonic()
    out = tmp_path_factory.mktemp("cdk.out")
    result = _cdk(
        moto,
        "deploy",
        "--all",
        "--require-approval",
        "never",
        "--method=direct",
        "--no-previous-parameters",
        "-o",
        str(out),
        "-c",
        f"certificate_arn={certificate['CertificateArn']}",
        "-c",
        "restrict_default_security_group=false",
        "-c",
        "service_connect_namespace=",
        timeout=DEPLOY_TIMEOUT,
    )
    finished = time.monotonic()
    print(
        f"\nbootstrap {bootstrapped - started:.1f} s, deploy --all {finished - bootstrapped:.1f} s"
    )
    return {"certificate_arn": certificate["CertificateArn"], "output": result.stdout}


def test_every_stack_is_created(moto: Moto, deployed: dict[str, Any]) -> None:
    cloudformation = moto.client("cloudformation")
    for name in STACKS:
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        resources = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
        assert resources
        assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}


def test_task_and_execution_roles_keep_their_trust(moto: Moto, deployed: dict[str, Any]) -> None:
    roles = [
        role
        for role in moto.client("iam").list_roles()["Roles"]
        if "TaskRole" in role["RoleName"] or "TaskExecutionRole" in role["RoleName"]
    ]
    assert len(roles) == 6  # a task role and an execution role in each service stack
    for role in roles:
        document = role["AssumeRolePolicyDocument"]
        if isinstance(document, str):
            document = json.loads(urllib.parse.unquote(document))
        (statement,) = document["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
        }


def test_clusters_services_and_task_definitions(moto: Moto, deployed: dict[str, Any]) -> None:
    ecs = moto.client("ecs")
    clusters = ecs.list_clusters()["clusterArns"]
    assert len(clusters) == 1  # the platform's, shared by every service stack
    services = [
        arn for cluster in clusters for arn in ecs.list_services(cluster=cluster)["serviceArns"]
    ]
    names = sorted(arn.split("/")[-1] for arn in services)
    assert len(names) == 2
    assert names[0].startswith("FargateWeb-WebService")
    assert names[1].startswith("FargateWorker-WorkerService")
    families = {
        arn.split("/")[-1].split(":")[0]
        for arn in ecs.list_task_definitions()["taskDefinitionArns"]
    }
    assert "nightly-report" in families
    assert len(families) == 3


def test_load_balancer_listeners_and_target_groups(moto: Moto, deployed: dict[str, Any]) -> None:
    elbv2 = moto.client("elbv2")
    (balancer,) = elbv2.describe_load_balancers()["LoadBalancers"]
    assert balancer["Scheme"] == "internet-facing"
    listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert sorted((x["Port"], x["Protocol"]) for x in listeners) == [
        (80, "HTTP"),
        (443, "HTTPS"),
    ]
    https = next(x for x in listeners if x["Port"] == 443)
    assert https["Certificates"][0]["CertificateArn"] == deployed["certificate_arn"]
    groups = elbv2.describe_target_groups()["TargetGroups"]
    assert len(groups) == 1  # the rolling web service's
    for group in groups:
        assert group["TargetType"] == "ip"
        assert group["HealthCheckIntervalSeconds"] == 10
        assert group["HealthyThresholdCount"] == 2


def test_service_stacks_import_the_platform(moto: Moto, deployed: dict[str, Any]) -> None:
    cloudformation = moto.client("cloudformation")
    exports = cloudformation.list_exports()["Exports"]
    assert exports
    assert {e["ExportingStackId"].split("/")[1] for e in exports} == {"FargatePlatform"}
    networks = moto.client("ec2").describe_nat_gateways()["NatGateways"]
    assert len(networks) == 1


def test_queue_and_schedule(moto: Moto, deployed: dict[str, Any]) -> None:
    queues = moto.client("sqs").list_queues()["QueueUrls"]
    # The worker's queue and dead-letter queue, and the schedule's dead-letter queue.
    assert len(queues) == 3
    # moto 5 accepts AWS::Scheduler::Schedule in a stack but does not create it: check the
    # schedule as CloudFormation received it.
    body = moto.client("cloudformation").get_template(StackName="FargateBatch")["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    (schedule,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    ]
    assert schedule["ScheduleExpression"] == "cron(0 2 * * ? *)"


def test_what_moto_drops_is_in_the_deployed_templates(moto: Moto, deployed: dict[str, Any]) -> None:
    """Task sizes, network mode, roles, autoscaling: as CloudFormation received them."""
    cloudformation = moto.client("cloudformation")
    body = cloudformation.get_template(StackName="FargateWeb")["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    resources = template["Resources"].values()
    (task,) = [r["Properties"] for r in resources if r["Type"] == "AWS::ECS::TaskDefinition"]
    assert (task["Cpu"], task["Memory"], task["NetworkMode"]) == ("256", "512", "awsvpc")
    assert "TaskRoleArn" in task
    assert "ExecutionRoleArn" in task
    (target,) = [
        r["Properties"]
        for r in resources
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
    ]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
