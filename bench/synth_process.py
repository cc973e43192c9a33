"""Whole-process synth time, what `cdk synth` pays: a fresh Python process (with the jsii
runtime's Node start) builds VPC + cluster + one HTTPS web service and synthesizes it; ours and
aws_ecs_patterns alternate, --runs fresh processes each. Prints the medians and the ratio.

    .venv/bin/python bench/synth_process.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = """
import sys
sys.path.insert(0, {bench!r})
from _stacks import new_app, {build}
app = new_app()
{build}(app, 1)
app.synth()
"""


def timed(build: str) -> float:
    code = SCRIPT.format(bench=str(Path(__file__).parent), build=build)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(timed("ours"))
        theirs.append(timed("patterns"))
    mine, other = statistics.median(ours), statistics.median(theirs)
    print(f"fresh processes: {args.runs} each, alternating")
    print(f"fargate-constructs: median {mine:.2f} s (min {min(ours):.2f})")
    print(f"ecs_patterns:       median {other:.2f} s (min {min(theirs):.2f})")
    print(f"ratio ours/theirs: {mine / other:.2f}")


if __name__ == "__main__":
    main()
