"""Synth time of a VPC + cluster + one HTTPS web service: ours vs aws_ecs_patterns.

Both are built and synthesized in the same process, interleaved, after one warm-up each (the
jsii runtime start is paid once and is not part of either). Prints the median of --runs.

    .venv/bin/python bench/synth_time.py --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from _stacks import new_app, ours, patterns
from aws_cdk import App, Stack


def timed(build: Callable[[App], Stack]) -> float:
    start = time.perf_counter()
    app = new_app()
    build(app)
    app.synth()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    timed(ours)
    timed(patterns)
    ours_times, pattern_times = [], []
    for _ in range(args.runs):
        ours_times.append(timed(ours))
        pattern_times.append(timed(patterns))
    mine, theirs = statistics.median(ours_times), statistics.median(pattern_times)
    print(f"runs: {args.runs} each, interleaved, after one warm-up")
    print(f"fargate-constructs: median {mine * 1000:.0f} ms (min {min(ours_times) * 1000:.0f})")
    print(
        f"ecs_patterns:       median {theirs * 1000:.0f} ms (min {min(pattern_times) * 1000:.0f})"
    )
    print(f"ratio ours/theirs: {mine / theirs:.2f}")


if __name__ == "__main__":
    main()
