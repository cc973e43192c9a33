from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from .harness import load_example_app, make_app, synth_warnings


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots stored as readable JSON files, one per test."""
    return snapshot.use_extension(JSONSnapshotExtension)


@dataclass(frozen=True)
class ExampleApp:
    """app.py synthesized once (per test process) into ``outdir``, as `cdk synth` would."""

    app: App
    stacks: dict[str, Stack]
    warnings: list[str]
    templates: dict[str, dict[str, Any]]
    outdir: Path


@pytest.fixture(scope="session")
def example_app(tmp_path_factory: pytest.TempPathFactory) -> ExampleApp:
    outdir = tmp_path_factory.mktemp("example-cdk.out")
    app = make_app(outdir=str(outdir))
    stacks: dict[str, Stack] = load_example_app().build(app)
    warnings = synth_warnings(app)
    templates = {name: Template.from_stack(stack).to_json() for name, stack in stacks.items()}
    return ExampleApp(app, stacks, warnings, templates, outdir)
