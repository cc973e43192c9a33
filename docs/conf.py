"""Sphinx configuration: Markdown pages (MyST), the API reference from the docstrings and type
hints, and pages generated from the code when the site is built (the acknowledgments, the
example app's architecture)."""

from __future__ import annotations

import sys
from importlib.metadata import version as installed_version
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

project = "fargate-constructs"
author = "fargate-constructs contributors"
release = installed_version("fargate-constructs")
version = release
copyright = "2026, fargate-constructs contributors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxcontrib.mermaid",
    "generated",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "_generated", "README.md"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
myst_fence_as_directive = ["mermaid"]
html_theme = "furo"
html_title = f"fargate-constructs {release}"

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "signature"
# jsii's generated classes (aws_cdk, constructs) are not documented here: references to them
# are plain text, not links, and no warning.
nitpicky = False
suppress_warnings = ["myst.header"]
