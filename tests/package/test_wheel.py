"""The package, not just the source tree: build the wheel, install it into a fresh virtualenv
beside aws-cdk-lib, and synthesize a separate CDK app that imports fargate_constructs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ..harness import REPO_ROOT

pytestmark = pytest.mark.package

CONSUMER_APP = textwrap.dedent(
    """
    import sys
    from aws_cdk import App, Stack
    from aws_cdk import aws_ecs as ecs
    import fargate_constructs
    from fargate_constructs import (
        FargateService, FargateTaskWithRoles, LoadBalancer, NetworkedCluster, TaskSize,
    )

    assert "site-packages" in fargate_constructs.__file__, fargate_constructs.__file__
    app = App(outdir=sys.argv[1])
    stack = Stack(app, "Consumer")
    network = NetworkedCluster(stack, "Network")
    task = FargateTaskWithRoles(
        stack, "Task", image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:1.27"),
        size=TaskSize.smallest_for(vcpu=0.5, memory_gib=1), container_port=8080,
    )
    FargateService(stack, "Web", cluster=network, task=task,
                   load_balancer=LoadBalancer(allow_plain_http=True, deletion_protection=False))
    app.synth()
    """
)


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=900, check=False, **kwargs
    )  # type: ignore[call-overload]
    assert result.returncode == 0, (
        f"{args[:3]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )
    return result  # type: ignore[no-any-return]


def test_wheel_installs_and_synthesizes_a_consumer_app(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO_ROOT)])
    (wheel,) = dist.glob("fargate_constructs-*.whl")

    venv = tmp_path / "consumer-venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    # The wheel brings aws-cdk-lib and constructs; its [node] extra Node 24, as the README says.
    _run([str(python), "-m", "pip", "install", "--quiet", f"{wheel}[node]"])

    app_file = tmp_path / "consumer_app.py"
    app_file.write_text(CONSUMER_APP)
    out = tmp_path / "cdk.out"
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = _run([str(python), str(app_file), str(out)], cwd=tmp_path, env=env)
    assert "end-of-life" not in result.stderr

    template = json.loads((out / "Consumer.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::ECS::Service") == 1
    assert types.count("AWS::ECS::TaskDefinition") == 1
    assert types.count("AWS::ElasticLoadBalancingV2::LoadBalancer") == 1
    listing = (
        "import fargate_constructs, pathlib; "
        "print(sorted(p.name for p in pathlib.Path(fargate_constructs.__file__).parent.iterdir()))"
    )
    installed = _run([str(python), "-c", listing])
    assert "py.typed" in installed.stdout
    assert "prices.json" in installed.stdout

    # The Copilot import from the installed command: its cdk.json comes from package data, and
    # the generated app synthesizes against the installed wheel.
    converted = tmp_path / "shop-cdk"
    fixture = REPO_ROOT / "tests" / "fixtures" / "copilot" / "shop"
    _run([str(venv / "bin" / "fargate-constructs"), "copilot", "import", str(fixture),
          "--out", str(converted)], env=env)  # fmt: skip
    assert json.loads((converted / "cdk.json").read_text())["context"]
    outdir = {"CDK_OUTDIR": str(converted / "cdk.out")}  # as `cdk synth` would set it
    _run([str(python), "app.py"], cwd=converted, env={**env, **outdir})
    assert (converted / "cdk.out" / "shop-prod-frontend.template.json").exists()
