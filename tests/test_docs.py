"""Every Python code block of the README and of every page in docs/ runs as written, and the
apps they build pass the library's synth-time checks (PassRole, subnet capacity,
reachability); the errors the docs show are the ones the library prints; the API reference
names every public name."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App

from fargate_constructs import check

from .harness import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
SNIPPETS = [
    (f"{page.relative_to(REPO_ROOT)}#{index}", snippet)
    for page in PAGES
    for index, snippet in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL))
]


@pytest.mark.parametrize(("where", "snippet"), SNIPPETS, ids=[where for where, _ in SNIPPETS])
def test_snippet_runs(where: str, snippet: str) -> None:
    namespace: dict[str, object] = {}
    exec(compile(snippet, where, "exec"), namespace)
    app = namespace.get("app")
    if isinstance(app, App):
        check(app)


def _errors_shown() -> list[str]:
    section = (REPO_ROOT / "docs" / "concepts.md").read_text().split("## What synth checks", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.startswith("InvalidParameter")]


def test_the_errors_shown_are_what_the_library_prints() -> None:
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


def test_every_page_is_in_the_table_of_contents() -> None:
    index = (REPO_ROOT / "docs" / "index.md").read_text()
    pages = {page.stem for page in (REPO_ROOT / "docs").glob("*.md")} - {"index"}
    assert sorted(page for page in pages if f"\n{page}\n" not in index) == []


def test_the_api_reference_names_every_public_name() -> None:
    import sys

    import fargate_constructs

    sys.path.insert(0, str(REPO_ROOT / "docs" / "_ext"))
    from generated import api  # type: ignore[import-not-found]

    reference = api()
    missing = [
        name
        for name in fargate_constructs.__all__
        if f"fargate_constructs.{name}\n" not in reference
    ]
    assert missing == []
