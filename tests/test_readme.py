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
