"""Pages written from the code when the site is built: the compliance acknowledgments (every
``Exemption`` in ``fargate_constructs.compliance``) and the example app's architecture (the
Mermaid graph ``fargate-constructs diagram`` draws of its synthesized templates)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

GENERATED = Path(__file__).resolve().parent.parent / "_generated"


def acknowledgments() -> str:
    from fargate_constructs import compliance

    rows = ["| what | rules | why |", "|---|---|---|"]
    for name, value in sorted(vars(compliance).items()):
        if isinstance(value, compliance.Exemption):
            rules = "<br>".join(f"`{rule}`" for rule in value.rule_ids)
            reason = value.reason.replace("|", "\\|")
            title = name.replace("_", " ").lower()
            rows.append(f"| {title} | {rules} | {reason} |")
    return "\n".join(rows) + "\n"


def architecture() -> str:
    from aws_cdk import App

    from fargate_constructs.cli.cloud_assembly import read_assembly
    from fargate_constructs.cli.diagram import mermaid
    from tests.harness import cdk_json_context, load_example_app

    with tempfile.TemporaryDirectory() as outdir:
        app = App(outdir=outdir, context=cdk_json_context())
        load_example_app().build(app)
        app.synth()
        graph = mermaid(read_assembly(Path(outdir)))
    return f"```mermaid\n{graph}```\n"


def api() -> str:
    """Every name in ``fargate_constructs.__all__``, grouped by the module that defines it."""
    import inspect

    import fargate_constructs

    by_module: dict[str, list[str]] = {}
    for name in fargate_constructs.__all__:
        target = getattr(fargate_constructs, name)
        by_module.setdefault(target.__module__, []).append(name)
    parts = []
    for module in sorted(by_module):
        parts.append(f"## `{module}`\n")
        for name in by_module[module]:
            target = getattr(fargate_constructs, name)
            kind = "autoclass" if inspect.isclass(target) else "autofunction"
            parts.append(
                "```{eval-rst}\n"
                f".. {kind}:: fargate_constructs.{name}\n"
                + ("   :members:\n   :undoc-members:\n" if kind == "autoclass" else "")
                + "```\n"
            )
    return "\n".join(parts)


def write(app: Any) -> None:
    GENERATED.mkdir(exist_ok=True)
    for name, make in (
        ("acknowledgments.md", acknowledgments),
        ("architecture.md", architecture),
        ("api.md", api),
    ):
        text = make()
        path = GENERATED / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
