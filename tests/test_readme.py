"""The README's Python snippets run as written, and the apps they build pass the library's
synth-time checks (PassRole, subnet capacity, reachability)."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App

from fargate_constructs import check

from .harness import REPO_ROOT

SNIPPETS = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.DOTALL)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_readme_snippet_runs(snippet: str) -> None:
    namespace: dict[str, object] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    app = namespace.get("app")
    if isinstance(app, App):
        check(app)


def _errors_shown() -> list[str]:
    section = (REPO_ROOT / "README.md").read_text().split("### Errors", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.startswith("InvalidParameter")]


def test_readme_errors_are_what_the_library_prints() -> None:
    from aws_cdk import Stack

    from fargate_constructs import (
        FargateService,
        FargateTaskWithRoles,
        InvalidParameterError,
        NetworkedCluster,
        RollingDeployment,
        SharedLoadBalancer,
        TaskSize,
    )

    stack = Stack(App(), "Shop")
    network = NetworkedCluster(stack, "Network")
    alb = SharedLoadBalancer(stack, "Alb", cluster=network, allow_plain_http=True)
    image, size = "public.ecr.aws/nginx/nginx:1.27", TaskSize(256, 512)
    task = FargateTaskWithRoles(stack, "Task", image=image, size=size, container_port=80)
    stuck = RollingDeployment(min_healthy_percent=50, max_healthy_percent=150)
    printed = []
    for build in (
        lambda: FargateService(stack, "Web", cluster=network, task=task, load_balancer=alb),
        lambda: FargateTaskWithRoles(
            stack, "Worker", image=image, size=size, command="python worker.py"
        ),
        lambda: FargateService(
            stack, "Api", cluster=network, task=task, desired_count=1, deployment=stuck
        ),
    ):
        with pytest.raises(InvalidParameterError) as raised:
            build()  # type: ignore[no-untyped-call]
        printed.append(f"InvalidParameterError: {raised.value}")
    assert _errors_shown() == printed
