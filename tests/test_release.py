"""The release as far as this machine can check it: one CI definition, a release workflow that
builds once and publishes with OIDC only where it must, and package metadata a package index
page needs. (The artifacts themselves are built and checked by `make package-test`.)"""

from __future__ import annotations

import tomllib
from typing import Any

from ruamel.yaml import YAML

import fargate_constructs

from .harness import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((WORKFLOWS / name).read_text())
    return loaded


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return project


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job["steps"]]


def test_ci_runs_exactly_what_the_ci_script_runs() -> None:
    workflows = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
    assert workflows == ["ci.yml", "release.yml"]
    ci = _workflow("ci.yml")
    [job] = ci["jobs"].values()
    assert [run for run in _runs(job) if run] == ["bash .ci/run"]
    assert ci["permissions"] == {"contents": "read"}
    script = (REPO_ROOT / ".ci" / "run").read_text()
    for target in ("make test", "make synth", "make check", "make smoke", "make package-test",
                   "make docs"):  # fmt: skip
        assert f"\n{target}\n" in script, target


def test_release_builds_once_and_only_publishers_hold_a_token() -> None:
    release = _workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    jobs = release["jobs"]
    assert set(jobs) == {"build", "publish", "docs"}
    build = jobs["build"]
    assert "permissions" not in build  # the workflow's contents: read, no id-token
    runs = "\n".join(_runs(build))
    assert "bash .ci/run" in runs
    assert "build --sdist --wheel" in runs
    assert "twine check --strict dist/*" in runs
    assert 'test "${GITHUB_REF_NAME}" = "v${version}"' in runs
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    [upload] = [s for s in publish["steps"] if "pypi-publish" in str(s.get("uses"))]
    assert upload["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert upload["with"] == {"attestations": True}  # trusted publishing: no password, no token
    docs = jobs["docs"]
    assert docs["permissions"] == {"pages": "write", "id-token": "write"}
    assert [s["uses"] for s in docs["steps"]] == ["actions/deploy-pages@v4"]
    holders = sorted(name for name, job in jobs.items() if "id-token" in job.get("permissions", {}))
    assert holders == ["docs", "publish"]


def test_the_package_index_page_has_what_it_needs() -> None:
    project = _project()
    assert project["version"] == fargate_constructs.__version__
    assert project["readme"] == "README.md"
    assert project["license"] == "Apache-2.0"
    assert (REPO_ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert set(project["urls"]) >= {"Documentation", "Changelog", "Issues", "Source"}
    assert "Typing :: Typed" in project["classifiers"]
    assert (REPO_ROOT / "fargate_constructs" / "py.typed").exists()
    assert project["optional-dependencies"]["node"]
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert f"## {project['version']} (" in changelog
    assert "## Versioning" in changelog
