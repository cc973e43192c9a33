"""Migration benchmark: `fargate-constructs copilot import` over a folder of Copilot manifests.

Each service manifest becomes a workspace of its own (``copilot/<name>/manifest.yml``, no
environment manifest, so the default environment ``test``), is imported, and the generated app
is synthesized in process with the generated cdk.json's context, run through the library's
synth-time checks and the four cdk-nag packs (AwsSolutions, NIST 800-53 R5, HIPAA, PCI DSS) and
cfn-lint. The manifests' repositories are not here, so every Dockerfile an ``image.build``
names is created as a one-line placeholder (synthesis stages it; nothing is built), and every
``${VAR}`` Copilot would have read from the deploying shell is set to a placeholder value.

    python bench/copilot_import.py ../shared/copilot-manifests/services [--jobs 2]

Prints the share converted, synthesized and compliance-clean, and the most frequent keys the
import did not map.
"""

from __future__ import annotations

import argparse
import collections
import json
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


def _workspace(manifest: Path, into: Path) -> Path:
    workspace = into / manifest.stem
    try:
        parsed = read_manifest(manifest, manifest.parent)
    except ManifestError:
        parsed = None
    name = parsed.name if parsed else manifest.stem
    folder = workspace / "copilot" / name.replace("/", "-")
    folder.mkdir(parents=True)
    shutil.copy(manifest, folder / "manifest.yml")
    if parsed is not None:
        for dockerfile in _dockerfiles(parsed.data):
            path = workspace / dockerfile
            if workspace.resolve() in path.resolve().parents:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    path.write_text("FROM scratch\n")
    return workspace


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
    parser.add_argument("manifests", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    args = parser.parse_args()
    files = sorted(args.manifests.glob("*.yml")) + sorted(args.manifests.glob("*.yaml"))
    scratch = Path(tempfile.mkdtemp(prefix="copilot-bench-"))
    converted: dict[str, Path] = {}
    unmapped: collections.Counter[str] = collections.Counter()
    types: collections.Counter[str] = collections.Counter()
    unsupported = 0
    failures: list[str] = []
    for file in files:
        workspace = _workspace(file, scratch)
        out = scratch / "out" / file.stem
        try:
            result = import_workspace(workspace, out)
        except ManifestError as error:
            failures.append(f"{file.name}: {error}")
            continue
        for service in result.services:
            types[service.manifest.type] += 1
            if service.unsupported:
                unsupported += 1
            failures += [f"{file.name}: {e}" for e in service.errors]
            keys = set()
            for note in service.notes:
                parts = note.key.split(".")
                if parts[0] == "environments":
                    # environments.<env> alone: overrides of an environment the one-manifest
                    # workspace does not have; environments.<env>.<key>: that key, overridden.
                    parts = ["environments.<other>"] if len(parts) == 2 else parts[2:]
                keys.add(".".join(parts[:2]))
            unmapped.update(keys)
        failures += [f"{file.name}: {e}" for e in result.errors]
        if result.converted:
            converted[file.name] = out
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
    total = len(files)
    ok = [n for n, r in synthesized.items() if r.get("synthesized")]
    clean = [n for n in ok if not synthesized[n]["nag"] and not synthesized[n]["lint"]]
    nag_rules = collections.Counter(rule for n in ok for rule in set(synthesized[n]["nag"]))
    synth_errors = collections.Counter(
        str(r.get("error", ""))[:120] for r in synthesized.values() if not r.get("synthesized")
    )

    def share(count: int) -> str:
        return f"{count:3d} of {total} ({100 * count / max(total, 1):.0f}%)"

    print(
        f"manifests:            {total} ({', '.join(f'{t}: {c}' for t, c in types.most_common())})"
    )
    print(f"not supported types:  {unsupported} (Request-Driven Web Service, Static Site)")
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
