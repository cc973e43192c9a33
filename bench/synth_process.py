"""Whole-process synth time, what `cdk synth` pays: a fresh Python process (with the jsii
runtime's Node start) builds VPC + cluster + N HTTPS web services and synthesizes them; ours and
aws_ecs_patterns alternate (paired), --runs fresh processes each, at each N of --services
(beyond 25 services both split in stacks of 25, as in synth_time.py). Prints the medians, the
ratio of medians and the range of the paired ratios.

    .venv/bin/python bench/synth_process.py --runs 5 --services 1 10 50
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
{build}(app, {services})
app.synth()
"""


def timed(build: str, services: int) -> float:
    code = SCRIPT.format(bench=str(Path(__file__).parent), build=build, services=services)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    print(f"fresh processes: {args.runs} pairs per size, ours then ecs_patterns")
    for count in args.services:
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed("ours", count))
            theirs.append(timed("patterns", count))
        mine, other = statistics.median(ours), statistics.median(theirs)
        pairs = sorted(a / b for a, b in zip(ours, theirs, strict=True))
        print(
            f"{count:>3} services: fargate-constructs median {mine:.2f} s (min {min(ours):.2f}), "
            f"ecs_patterns median {other:.2f} s (min {min(theirs):.2f}), "
            f"ratio {mine / other:.2f} (paired {pairs[0]:.2f}-{pairs[-1]:.2f})"
        )


if __name__ == "__main__":
    main()
