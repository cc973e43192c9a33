"""Migration benchmark: `fargate-constructs copilot import` over real Copilot manifests.

Two modes:

- one manifest (default): each service manifest of the folder becomes a workspace of its own
  (``copilot/<name>/manifest.yml``, no environment manifest);
- ``--workspaces``: whole workspaces, several services with their environment manifests and
  add-ons. ``DIR`` is either a folder of workspaces (each holding ``copilot/``), or the
  manifest corpus (a folder with ``SOURCES.tsv``), whose manifests are put back together per
  repository at the paths they had there (``infra/copilot/web/manifest.yml``).

Each generated app is synthesized in process with the generated cdk.json's context, run through
the library's synth-time checks, the four cdk-nag packs (AwsSolutions, NIST 800-53 R5, HIPAA,
PCI DSS) and cfn-lint. The manifests' repositories are not here, so every Dockerfile an
``image.build`` names is created as a one-line placeholder where the manifest says it is
(synthesis stages it; nothing is built), and every ``${VAR}`` Copilot would have read from the
deploying shell is set to a placeholder value.

    python bench/copilot_import.py ../shared/copilot-manifests/services [--jobs 2]
    python bench/copilot_import.py --workspaces ../shared/copilot-manifests
    python bench/copilot_import.py --workspaces tests/fixtures/copilot

Prints the share converted, synthesized and compliance-clean, and the most frequent keys the
import did not map.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fargate_constructs.copilot import import_workspace  # noqa: E402
from fargate_constructs.copilot.manifest import ManifestError, read_manifest  # noqa: E402

SYNTH = r"""
import importlib.util, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from aws_cdk import App
from aws_cdk.assertions import Template
from fargate_constructs import FargateConstructsError, check
from tests.harness import cfn_lint, nag_findings
import os, re
for line in sys.stdin:
    out = Path(line.strip())
    # ${VAR}s Copilot read from the deploying shell: a placeholder each.
    source = (out / "app.py").read_text()
    for name in re.findall(r"shell_variable\(\s*\\?['\"]([A-Za-z_0-9]+)", source):
        os.environ.setdefault(name, "bench-placeholder")
    result = {"out": str(out)}
    try:
        spec = importlib.util.spec_from_file_location(f"gen{abs(hash(out))}", out / "app.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        context = json.loads((out / "cdk.json").read_text())["context"]
        app = App(outdir=str(out / "cdk.out"), context=context)
        stacks = module.build(app)
        check(app)
        app.synth()
        result["synthesized"] = True
        result["nag"] = [f"{f.rule_id}" for s in stacks.values() for f in nag_findings(s)]
        result["lint"] = [
            f.rule_id for s in stacks.values() for f in cfn_lint(Template.from_stack(s).to_json())
        ]
    except Exception as error:  # noqa: BLE001 - the benchmark reports every failure
        result["synthesized"] = False
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
        report = out / "cdk.out" / "validation-report.json"
        if report.exists():
            rules = sorted({
                f"{v['ruleName']}: {v.get('description', '')[:200]}"
                for p in json.loads(report.read_text())["pluginReports"]
                for v in p["violations"]
            })
            result["error"] = "ValidationFailed: " + "; ".join(rules)
    print(json.dumps(result), flush=True)
"""


# Room above each repository: a manifest may name a Dockerfile outside its workspace
# (``context: ../``), which exists in its repository's checkout.
ABOVE = Path("above") / "repository"


def _sources(corpus: Path) -> dict[str, tuple[str, str]]:
    """``SOURCES.tsv``: each corpus file's repository and its path there."""
    table = corpus / "SOURCES.tsv"
    if not table.is_file():
        return {}
    rows = [line.split("\t") for line in table.read_text().splitlines()[1:] if line.strip()]
    return {row[0]: (row[1], row[2]) for row in rows if len(row) >= 3}


def _place(manifest: Path, sandbox: Path, path_in_repository: str) -> Path:
    """Copy ``manifest`` to its path in a repository checkout under ``sandbox``; returns the
    workspace root (the folder holding ``copilot/``)."""
    target = sandbox / ABOVE / path_in_repository
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(manifest, target)
    workspace = target.parent.parent
    if workspace.name == "environments":
        workspace = workspace.parent
    return workspace.parent


def _placeholders(workspace: Path, sandbox: Path) -> None:
    """A one-line Dockerfile wherever a service manifest's image.build names one."""
    for manifest in (workspace / "copilot").glob("*/manifest.yml"):
        try:
            parsed = read_manifest(manifest, workspace)
        except ManifestError:
            continue
        for dockerfile in _dockerfiles(parsed.data):
            # Copilot joins the path to the workspace root (a leading "/" included).
            path = (workspace / dockerfile.lstrip("/")).resolve()
            if sandbox.resolve() in path.parents and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("FROM scratch\n")


def one_manifest_workspaces(folder: Path, scratch: Path) -> list[tuple[str, Path]]:
    """Each service manifest alone, at its path in its repository when SOURCES.tsv knows it."""
    sources = _sources(folder.parent)
    items = []
    for manifest in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        sandbox = scratch / manifest.stem
        _, path = sources.get(f"{folder.name}/{manifest.name}", ("", ""))
        if not path.endswith("/manifest.yml") or "copilot/" not in path:
            try:
                name = read_manifest(manifest, manifest.parent).name
            except ManifestError:
                name = manifest.stem
            path = f"copilot/{name.replace('/', '-')}/manifest.yml"
        workspace = _place(manifest, sandbox, path)
        _placeholders(workspace, sandbox)
        items.append((manifest.name, workspace))
    return items


def corpus_workspaces(corpus: Path, scratch: Path) -> list[tuple[str, Path]]:
    """The corpus put back together: one workspace per repository and copilot/ folder."""
    groups: dict[tuple[str, str], list[tuple[Path, str]]] = {}
    for file, (repository, path) in _sources(corpus).items():
        if "copilot/" in path and (corpus / file).is_file():
            prefix = path[: path.index("copilot/")]
            groups.setdefault((repository, prefix), []).append((corpus / file, path))
    items = []
    for (repository, prefix), files in sorted(groups.items()):
        label = re.sub(r"[^A-Za-z0-9]+", "-", f"{repository}-{prefix}").strip("-")
        sandbox = scratch / label
        workspace = None
        for file, path in files:
            workspace = _place(file, sandbox, path)
        assert workspace is not None
        if any((workspace / "copilot").glob("*/manifest.yml")):
            _placeholders(workspace, sandbox)
            items.append((label, workspace))
    return items


def folder_workspaces(folder: Path, scratch: Path) -> list[tuple[str, Path]]:
    """Each sub-folder holding a copilot/ folder, copied as it is."""
    items = []
    for source in sorted(p.parent for p in folder.glob("*/copilot")):
        sandbox = scratch / source.name
        workspace = sandbox / ABOVE / source.name
        shutil.copytree(source, workspace)
        _placeholders(workspace, sandbox)
        items.append((source.name, workspace))
    return items


def _dockerfiles(data: object) -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "build" and isinstance(value, str):
                found.append(value)
            elif key == "build" and isinstance(value, dict):
                context = str(value.get("context") or ".")
                found.append(str(value.get("dockerfile") or f"{context}/Dockerfile"))
                found.append(f"{context}/Dockerfile")
            else:
                found += _dockerfiles(value)
    elif isinstance(data, list):
        for item in data:
            found += _dockerfiles(item)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifests", type=Path, help="a folder of manifests or workspaces")
    parser.add_argument(
        "--workspaces", action="store_true", help="whole workspaces (see the module docstring)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="copilot-bench-"))
    if not args.workspaces:
        items = one_manifest_workspaces(args.manifests, scratch / "in")
    elif (args.manifests / "SOURCES.tsv").is_file():
        items = corpus_workspaces(args.manifests, scratch / "in")
    else:
        items = folder_workspaces(args.manifests, scratch / "in")
    converted: dict[str, Path] = {}
    unmapped: collections.Counter[str] = collections.Counter()
    types: collections.Counter[str] = collections.Counter()
    unsupported = 0
    services = converted_services = 0
    failures: list[str] = []
    for label, workspace in items:
        out = scratch / "out" / label
        try:
            result = import_workspace(workspace, out)
        except ManifestError as error:
            failures.append(f"{label}: {error}")
            continue
        services += len(result.services)
        converted_services += len(result.converted)
        for service in result.services:
            types[service.manifest.type] += 1
            if service.unsupported:
                unsupported += 1
            failures += [f"{label}: {e}" for e in service.errors]
            keys = set()
            for note in service.notes:
                parts = note.key.split(".")
                if parts[0] == "environments":
                    # environments.<env> alone: overrides of an environment the one-manifest
                    # workspace does not have; environments.<env>.<key>: that key, overridden.
                    parts = ["environments.<other>"] if len(parts) == 2 else parts[2:]
                keys.add(".".join(parts[:2]))
            unmapped.update(keys)
        failures += [f"{label}: {e}" for e in result.errors]
        if result.converted and len(result.converted) == len(result.services):
            converted[label] = out
    synthesized: dict[str, dict[str, Any]] = {}
    chunks = [list(converted.items())[i :: args.jobs] for i in range(args.jobs)]

    def run(chunk: list[tuple[str, Path]]) -> list[tuple[str, dict[str, Any]]]:
        if not chunk:
            return []
        process = subprocess.run(
            [sys.executable, "-c", SYNTH, str(ROOT)],
            input="\n".join(str(out) for _, out in chunk) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        results = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
        by_out = {r["out"]: r for r in results}
        return [
            (name, by_out.get(str(out), {"synthesized": False, "error": process.stderr[-300:]}))
            for name, out in chunk
        ]

    with ThreadPoolExecutor(args.jobs) as pool:
        for chunk_result in pool.map(run, chunks):
            synthesized.update(chunk_result)
    total = len(items)
    ok = [n for n, r in synthesized.items() if r.get("synthesized")]
    clean = [n for n in ok if not synthesized[n]["nag"] and not synthesized[n]["lint"]]
    nag_rules = collections.Counter(rule for n in ok for rule in set(synthesized[n]["nag"]))
    synth_errors = collections.Counter(
        str(r.get("error", ""))[:120] for r in synthesized.values() if not r.get("synthesized")
    )

    def share(count: int) -> str:
        return f"{count:3d} of {total} ({100 * count / max(total, 1):.0f}%)"

    kinds = ", ".join(f"{t}: {c}" for t, c in types.most_common())
    if args.workspaces:
        print(f"workspaces:           {total} ({services} services: {kinds})")
        print(f"services converted:   {converted_services} of {services}")
        print("a workspace counts below when every one of its services converted, and all its")
        print("environments' stacks synthesize (and pass the packs and cfn-lint)")
    else:
        print(f"manifests:            {total} ({kinds})")
    print(f"not supported types:  {unsupported} (Static Site)")
    print(f"converted:            {share(len(converted))}")
    print(f"synthesized:          {share(len(ok))}")
    print(f"compliance-clean:     {share(len(clean))} (4 cdk-nag packs and cfn-lint, 0 findings)")
    print("most frequent keys in the migration reports (not mapped, or mapped with a to-do):")
    for key, count in unmapped.most_common(12):
        print(f"  {count:3d}  {key}")
    if failures:
        print(f"conversion errors ({len(failures)}):")
        for line in failures[:15]:
            print(f"  {line}")
    if synth_errors:
        print("synthesis failures:")
        for message, count in synth_errors.most_common(8):
            print(f"  {count:3d}  {message}")
    if nag_rules:
        print("cdk-nag rules still firing (apps):")
        for rule, count in nag_rules.most_common(8):
            print(f"  {count:3d}  {rule}")
    if args.json:
        args.json.write_text(json.dumps(synthesized, indent=1))
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
