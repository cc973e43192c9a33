"""Modeled monthly cost: app.py's platform and web stacks vs the aws_ecs_patterns default stack
(its VPC with a NAT gateway per AZ, x86, on demand), both at two 0.25 vCPU / 0.5 GiB tasks, with
the command line's cost model (fargate_constructs.cli.cost). Ours includes what ecs_patterns
does not make: the WAF web ACL, flow logs, KMS keys, alarms and the dashboard; each is listed.

    .venv/bin/python bench/cost.py
"""

from __future__ import annotations

from _stacks import new_app, patterns, template

import app as example_app  # app.py; bench/_stacks puts the repo on sys.path
from fargate_constructs.cli.cloud_assembly import StackTemplate
from fargate_constructs.cli.cost import StackCost, has_container_insights, stack_cost


def _line(name: str, costs: list[StackCost]) -> float:
    low = sum(c.monthly_low for c in costs)
    high = sum(c.monthly_high for c in costs)
    nat = sum(c.nat_gateways for c in costs)
    balancers = sum(c.load_balancers for c in costs)
    tasks = ", ".join(
        f"{s.tasks_low}x {s.vcpu:g} vCPU/{s.memory_gib:g} GiB {s.architecture}"
        for c in costs
        for s in c.services
    )
    print(
        f"{name:14} ${low:8.2f} a month at the low task count (NAT {nat}, ALB {balancers}; "
        f"tasks {tasks}), ${high:8.2f} at the high"
    )
    for cost in costs:
        for charge in cost.charges:
            print(f"{'':16}{charge.what}: ${charge.monthly:.2f}")
    return low


def main() -> None:
    stacks = example_app.build(new_app())
    ours = [
        StackTemplate(name, template(stacks[name])) for name in ("FargatePlatform", "FargateWeb")
    ]
    insights = has_container_insights(ours)
    theirs = [StackTemplate("ecs_patterns", template(patterns(new_app(), 1)))]
    low_ours = _line(
        "fargate-constructs", [stack_cost(s, container_insights=insights) for s in ours]
    )
    low_theirs = _line(
        "ecs_patterns",
        [stack_cost(s, container_insights=has_container_insights(theirs)) for s in theirs],
    )
    print(f"difference at the low count: ${low_theirs - low_ours:.2f} a month")


if __name__ == "__main__":
    main()
