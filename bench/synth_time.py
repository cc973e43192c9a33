"""Synth time: ours vs aws_ecs_patterns, for a VPC + cluster + N HTTPS web services (ours on one
shared ALB, ecs_patterns with an ALB each), at N = 1, 10 and 50 by default. Beyond 25 services
both are split: the services go in stacks of 25 beside the platform stack (ecs_patterns cannot
put 50 in one stack: 727 resources, over the 500 limit); --no-split keeps one stack.

Both are built and synthesized in the same process, interleaved, after one warm-up each (the
jsii runtime start is paid once and is not part of either). Prints the median of --runs and
the ratio at each size: it should stay flat as N grows (no check may cost per task x identity).

    .venv/bin/python bench/synth_time.py --runs 5 --services 1 10 50
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from _stacks import layout, new_app, ours, patterns
from aws_cdk import Stack


def timed(build: Callable[..., Stack], services: int, split: bool | None = None) -> float:
    start = time.perf_counter()
    app = new_app()
    build(app, services, split=split)
    app.synth()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--services", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--no-split", dest="split", action="store_const", const=False)
    args = parser.parse_args()
    timed(ours, 1)
    timed(patterns, 1)
    print(f"runs: {args.runs} each, interleaved, after one warm-up; median (min)")
    for count in args.services:
        ours_times, pattern_times = [], []
        for _ in range(args.runs):
            ours_times.append(timed(ours, count, args.split))
            pattern_times.append(timed(patterns, count, args.split))
        mine, theirs = statistics.median(ours_times), statistics.median(pattern_times)
        print(
            f"{count:>3} services{layout(count, args.split)}: "
            f"fargate-constructs {mine * 1000:6.0f} ms "
            f"({min(ours_times) * 1000:.0f}), ecs_patterns {theirs * 1000:6.0f} ms "
            f"({min(pattern_times) * 1000:.0f}), ratio {mine / theirs:.2f}"
        )


if __name__ == "__main__":
    main()
