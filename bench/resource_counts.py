"""CloudFormation resources for 1, 10 and 50 HTTPS web services in one stack: ours (one shared
load balancer) vs aws_ecs_patterns (one ALB per service), and how many services fit under the
500-resource stack limit. The "dashboard off" row shows what the stack's dashboard adds: one
resource per stack, none per service.

aws-cdk-lib refuses to synthesize a stack over 500 resources, so resources are counted as the
CloudFormation resources in the construct tree; for 1 and 10 services the script checks that
this equals the synthesized template's count.

    .venv/bin/python bench/resource_counts.py
"""

from __future__ import annotations

from _stacks import new_app, ours, patterns, template
from aws_cdk import CfnResource

LIMIT = 500
COUNTS = (1, 10, 50)


def count(build: object, services: int, **kwargs: object) -> int:
    app = new_app()
    stack = build(app, services, split=False, **kwargs)  # type: ignore[operator]
    in_tree = sum(isinstance(node, CfnResource) for node in stack.node.find_all())
    if services <= 10:
        synthesized = len(template(stack)["Resources"])
        assert in_tree == synthesized, (in_tree, synthesized)
    return in_tree


def fit(one: int, ten: int) -> int:
    per_service = (ten - one) / 9
    base = one - per_service
    return int((LIMIT - base) // per_service)


def main() -> None:
    rows = {
        "fargate-constructs (with service alarms)": lambda n: count(ours, n),
        "fargate-constructs (alarms off)": lambda n: count(ours, n, alarms=False),
        "fargate-constructs (dashboard off)": lambda n: count(ours, n, dashboard=False),
        "ecs_patterns ApplicationLoadBalancedFargateService": lambda n: count(patterns, n),
    }
    print(f"{'':52} {'1':>5} {'10':>5} {'50':>5}  per extra service  services under {LIMIT}")
    for label, counter in rows.items():
        values = {n: counter(n) for n in COUNTS}
        per_service = (values[50] - values[10]) / 40
        print(
            f"{label:52} {values[1]:>5} {values[10]:>5} {values[50]:>5}  "
            f"{per_service:>17.1f}  {fit(values[1], values[10]):>18}"
        )


if __name__ == "__main__":
    main()
