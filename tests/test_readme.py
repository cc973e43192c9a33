"""The README's Python snippets run as written (construction only; no synthesis)."""

from __future__ import annotations

import re

import pytest

from .harness import REPO_ROOT

SNIPPETS = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.DOTALL)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_readme_snippet_runs(snippet: str) -> None:
    exec(compile(snippet, "README.md", "exec"), {})
