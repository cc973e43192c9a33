"""Run every benchmark and write docs/benchmark-runs.md: each figure with the command that
produced it, when, on which version and machine, and what it printed.

    python bench/write_page.py            # what `make bench` runs

The page is committed: the docs build shows the last run (benchmarks take minutes; the site
is built in seconds). docs/benchmarks.md explains the figures and keeps their history.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "benchmark-runs.md"
BENCHMARKS = [
    ("Synthesis time, in one process, against ecs_patterns", "python synth_time.py --runs 3"),
    ("jsii round trips per service", "python round_trips.py"),
    (
        "`cdk synth` as a process, 1 / 10 / 50 services",
        "python synth_process.py --runs 5 --services 1 10 50",
    ),
    ("Resources per service", "python resource_counts.py"),
    ("The stack's dashboard at 45 web services", "python dashboard_size.py"),
    ("Modeled wait per rolling step", "python rolling_step.py"),
    ("Modeled monthly cost of the example app", "python cost.py"),
]


def main() -> int:
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = []
    for title, command in BENCHMARKS:
        began = time.monotonic()
        result = subprocess.run(
            command.split(),
            cwd=ROOT / "bench",
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        took = time.monotonic() - began
        output = (result.stdout + (result.stderr if result.returncode else "")).rstrip()
        status = "" if result.returncode == 0 else f" (exit code {result.returncode})"
        fence = "```"
        sections.append(
            f"## {title}\n\n`cd bench && {command}`, {took:.0f} s{status}:\n\n"
            f"{fence}text\n{output}\n{fence}\n"
        )
        print(f"{command}: {took:.0f} s{status}", file=sys.stderr)
    header = (
        "# Benchmark runs\n\n"
        f"Written by `make bench` on {started}: fargate-constructs "
        f"{version('fargate-constructs')}, aws-cdk-lib {version('aws-cdk-lib')}, Python "
        f"{platform.python_version()}, "
        f"{os.cpu_count()} cores ({platform.machine()}). What the figures mean, and how they "
        "changed over the releases, is in [](benchmarks.md).\n"
    )
    PAGE.write_text(header + "\n" + "\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
