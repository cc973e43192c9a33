"""The stack's dashboard at 45 web services (the most that fit in one stack beside their
load balancer): widgets against CloudWatch's 500, and what the dashboard adds to the template.

    .venv/bin/python bench/dashboard_size.py [--services 45]
"""

from __future__ import annotations

import argparse
import json

from _stacks import new_app, ours, template
from aws_cdk import CfnResource

from fargate_constructs import ServiceDashboard
from fargate_constructs.dashboard import MAX_WIDGETS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=45)
    services = parser.parse_args().services
    stack = ours(new_app(), services, split=False)
    resources = sum(isinstance(node, CfnResource) for node in stack.node.find_all())
    widgets = ServiceDashboard.of(stack).widget_count
    body = template(stack)
    dashboard = next(
        r for r in body["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    )
    total = len(json.dumps(body, separators=(",", ":")))
    part = len(json.dumps(dashboard, separators=(",", ":")))
    print(f"{services} web services in one stack: {resources} resources (limit 500)")
    print(f"dashboard widgets: {widgets} (CloudWatch's limit {MAX_WIDGETS})")
    print(
        f"template: {total / 1000:.0f} KB compact JSON, of which the dashboard "
        f"{part / 1000:.0f} KB ({part / total:.0%}); CloudFormation's limit is 1,000 KB"
    )


if __name__ == "__main__":
    main()
