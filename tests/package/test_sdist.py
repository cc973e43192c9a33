"""The release artifacts: `python -m build` makes an sdist and a wheel from the sdist, and
`twine check --strict` accepts both (the metadata a package index page renders)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ..harness import REPO_ROOT

pytestmark = pytest.mark.package


def test_sdist_and_wheel_pass_twine_check(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--wheel",
            "--outdir",
            str(dist),
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    artifacts = sorted(path.name for path in dist.iterdir())
    [sdist] = [name for name in artifacts if name.endswith(".tar.gz")]
    [wheel] = [name for name in artifacts if name.endswith(".whl")]
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            *(str(dist / a) for a in (sdist, wheel)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with tarfile.open(dist / sdist) as archive:
        names = archive.getnames()
    root = sdist.removesuffix(".tar.gz")
    for member in ("LICENSE", "README.md", "pyproject.toml", "fargate_constructs/py.typed"):
        assert f"{root}/{member}" in names, member
