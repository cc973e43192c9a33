"""Modeled wait per rolling-deployment step, read from the synthesized templates:
deregistration delay + health check interval x healthy threshold + grace period
(ELB/ECS defaults where a template leaves a value out).

    .venv/bin/python bench/rolling_step.py
"""

from __future__ import annotations

from typing import Any

from _stacks import new_app, ours, patterns, template

ELB_DEFAULTS = {"deregistration": 300, "interval": 30, "healthy": 5}


def step(template_json: dict[str, Any]) -> dict[str, int]:
    resources = template_json["Resources"].values()
    (group,) = [
        r["Properties"]
        for r in resources
        if r["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup"
    ]
    (service,) = [r["Properties"] for r in resources if r["Type"] == "AWS::ECS::Service"]
    attributes = {a["Key"]: a["Value"] for a in group.get("TargetGroupAttributes", [])}
    parts = {
        "deregistration delay": int(
            attributes.get("deregistration_delay.timeout_seconds", ELB_DEFAULTS["deregistration"])
        ),
        "interval x healthy threshold": int(
            group.get("HealthCheckIntervalSeconds", ELB_DEFAULTS["interval"])
        )
        * int(group.get("HealthyThresholdCount", ELB_DEFAULTS["healthy"])),
        "grace period": int(service.get("HealthCheckGracePeriodSeconds", 0)),
    }
    parts["total"] = sum(parts.values())
    return parts


def main() -> None:
    for label, build in (("fargate-constructs", ours), ("ecs_patterns", patterns)):
        parts = step(template(build(new_app(), 1)))
        detail = ", ".join(f"{k} {v} s" for k, v in parts.items() if k != "total")
        print(f"{label:20} {parts['total']:>4} s per step ({detail})")


if __name__ == "__main__":
    main()
