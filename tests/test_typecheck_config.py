"""mypy checks the package against the aws-cdk-lib modules it uses and skips the other ~330
(see pyproject.toml): every module the package imports must be in that list, or its types
would silently be Any."""

from __future__ import annotations

import re
import tomllib

from .harness import REPO_ROOT

IMPORT = re.compile(
    r"^\s*(?:from aws_cdk import (\w+)|from aws_cdk\.(\w+) import|import aws_cdk\.(\w+))", re.M
)


def test_every_imported_aws_cdk_module_is_type_checked() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    checked = {
        module
        for override in config["overrides"]
        if override.get("follow_imports") == "normal"
        for module in override["module"]
    }
    imported = set()
    for path in (REPO_ROOT / "fargate_constructs").rglob("*.py"):
        for match in IMPORT.finditer(path.read_text()):
            name = next(group for group in match.groups() if group)
            if name[0].islower():  # a module, not a class such as Duration
                imported.add(f"aws_cdk.{name}")
    assert imported, "the pattern found no imports"
    assert sorted(imported - checked) == []
