"""jsii round trips (calls from Python into the Node runtime) to build and synthesize VPC +
cluster + N HTTPS web services, ours vs aws_ecs_patterns, and where ours come from. Counts are
deterministic, unlike times; each round trip costs about 0.3-1.5 ms. Beyond 25 services both
are split in stacks of 25 beside the platform stack, as in synth_time.py.

    .venv/bin/python bench/round_trips.py --services 1 10 50 --top 15
"""

from __future__ import annotations

import argparse

from _jsii_calls import counted_calls
from _stacks import layout, new_app, ours, patterns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--top", type=int, default=0, help="list the N busiest library lines")
    args = parser.parse_args()
    for build in (ours, patterns):  # what a process reads once is not per service
        warm_up = new_app()
        build(warm_up, 1)
        warm_up.synth()
    previous: tuple[int, int] | None = None
    for count in args.services:
        results = []
        for build in (ours, patterns):
            app = new_app()
            with counted_calls(by_site=build is ours) as calls:
                build(app, count)
                app.synth()
            results.append(calls)
        mine, theirs = results[0]["total"], results[1]["total"]
        growth = ""
        if previous is not None and count != previous[0]:
            growth = f", {(mine - previous[1]) / (count - previous[0]):.1f} per extra service"
        print(
            f"{count:>3} services{layout(count, None)}: "
            f"fargate-constructs {mine} round trips{growth}; "
            f"ecs_patterns {theirs}"
        )
        previous = (count, mine)
        if args.top:
            sites = [(site, n) for site, n in results[0].most_common() if site != "total"]
            for site, n in sites[: args.top]:
                print(f"      {n:5}  {site}")


if __name__ == "__main__":
    main()
