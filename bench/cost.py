"""Modeled monthly cost: app.py's web stack vs the aws_ecs_patterns default stack (its VPC with a
NAT gateway per AZ, x86, on demand), both at two 0.25 vCPU / 0.5 GiB tasks, with the command
line's cost model (fargate_constructs.cli.cost).

    .venv/bin/python bench/cost.py
"""

from __future__ import annotations

from _stacks import new_app, patterns, template

import app as example_app  # app.py; bench/_stacks puts the repo on sys.path
from fargate_constructs.cli.cloud_assembly import StackTemplate
from fargate_constructs.cli.cost import stack_cost


def main() -> None:
    app = new_app()
    web = example_app.build(app)["FargateWeb"]
    ours = stack_cost(StackTemplate("FargateWeb", template(web)))
    theirs = stack_cost(StackTemplate("ecs_patterns", template(patterns(new_app(), 1))))
    for cost in (ours, theirs):
        print(
            f"{cost.name:14} ${cost.monthly_low:8.2f} a month at the low task count "
            f"(NAT {cost.nat_gateways}, ALB {cost.load_balancers}; tasks "
            + ", ".join(
                f"{s.tasks_low}x {s.vcpu:g} vCPU/{s.memory_gib:g} GiB {s.architecture}"
                for s in cost.services
            )
            + f"), ${cost.monthly_high:8.2f} at the high"
        )
    print(f"difference at the low count: ${theirs.monthly_low - ours.monthly_low:.2f} a month")


if __name__ == "__main__":
    main()
