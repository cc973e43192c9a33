"""``fargate-constructs copilot import``: an AWS Copilot workspace as a CDK app of this library.

Pure Python (no aws_cdk import): :mod:`.manifest` reads the manifests, :mod:`.mapping` maps each
service and environment to construct calls, :mod:`.codegen` writes the app and MIGRATION.md.
"""

from __future__ import annotations

from pathlib import Path

from .codegen import ImportResult, write
from .manifest import ManifestError, read_workspace

__all__ = ["ImportResult", "ManifestError", "import_workspace"]


def import_workspace(copilot_dir: Path, out: Path) -> ImportResult:
    """Convert the workspace at ``copilot_dir`` into ``out`` (app.py, cdk.json,
    requirements.txt, MIGRATION.md)."""
    return write(read_workspace(copilot_dir), out)
