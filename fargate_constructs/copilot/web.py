"""Load Balanced Web and Backend Services: the HTTP route, a network load balancer, the
task count and its autoscaling."""

from __future__ import annotations

import re
from typing import Any

from .mapper import BY_HAND, Code, Mapper, call, count_range, duration, py


def map_http(m: Mapper) -> None:
    http = m.get("http")
    if http is False or http is None:
        if m.data.get("nlb") is None:
            m.note(("http",), "no load balancer", "http: false makes it a backend service")
        m.plan.kind = "backend"
        return
    if not isinstance(http, dict):
        raise m.fail(("http",), http, "a map (path, healthcheck, alias, ...)")
    public = http.get("public") if isinstance(http.get("public"), dict) else None
    settings = public or http
    route: dict[str, Any] = {}
    health: dict[str, Any] = {}  # TargetHealth(...) fields
    path = settings.get("path", "/")
    m.used.add(("http", "path"))
    route["path_patterns"] = ["/*" if path in ("/", "") else f"/{str(path).strip('/')}*"]
    check = settings.get("healthcheck")
    if isinstance(check, str):
        health["path"] = check
    elif isinstance(check, dict):
        if "path" in check:
            health["path"] = str(check["path"])
        if "success_codes" in check:
            health["healthy_http_codes"] = str(check["success_codes"])
        for key in ("healthy_threshold", "unhealthy_threshold"):
            if isinstance(check.get(key), int):
                health[key] = check[key]
        for key in ("interval", "timeout"):
            if key in check:
                health[key] = duration(check[key], ("http", "healthcheck", key), m)
        if "grace_period" in check:
            m.plan.service["health_check_grace_period"] = duration(
                check["grace_period"], ("http", "healthcheck", "grace_period"), m
            )
        m.rest(
            ("http", "healthcheck"),
            check,
            (
                "path",
                "success_codes",
                "healthy_threshold",
                "unhealthy_threshold",
                "interval",
                "timeout",
                "grace_period",
            ),
            "not mapped",
            "set it on the route",
        )
    m.used.add(("http", "healthcheck"))
    if "deregistration_delay" in settings:
        health["deregistration_delay"] = duration(
            settings["deregistration_delay"], ("http", "deregistration_delay"), m
        )
    if settings.get("stickiness") is True:
        health["stickiness"] = Code("Duration.days(1)")
    alias = settings.get("alias")
    if alias:
        names = alias if isinstance(alias, list) else [alias]
        # A Code (an f-string with the environment) stays code, not a quoted string.
        hosts = [
            a["name"] if isinstance(a, dict) else a if isinstance(a, str) else str(a) for a in names
        ]
        route["host_headers"] = hosts
        m.note(
            ("http", "alias"),
            f"host_headers={hosts}",
            "the shared load balancer "
            "needs a certificate for these names (platform stack) and DNS records "
            "pointing at it (Domain(...) or your DNS)",
        )
    if "targetContainer" in settings and "target_container" not in settings:
        # Copilot's older spelling, which it still accepted.
        settings = {**settings, "target_container": settings["targetContainer"]}
        m.used.add(("http", "targetContainer"))
    target = settings.get("target_container")
    sidecars = py(m.plan.task.get("sidecars", []))
    if target is not None and target != m.plan.name:
        # Copilot names the main container after the service; here it is "app".
        if f"name={py(str(target))}" in sidecars:
            m.plan.service["target_container"] = str(target)
        else:
            m.note(
                ("http", "target_container"),
                "left out (traffic goes to the main container)",
                f"no sidecar {target!r} was converted for this environment: add it to "
                "sidecars= and pass target_container=",
            )
    if "target_port" in settings:
        m.plan.service["target_port"] = int(settings["target_port"])
    version = settings.get("version")
    if isinstance(version, str) and version.lower() in ("grpc", "http2"):
        health["protocol_version"] = Code(f"ProtocolVersion.{version.upper()}")
        m.plan.names.add("ProtocolVersion")
    for key in (
        "stickiness",
        "deregistration_delay",
        "alias",
        "target_container",
        "target_port",
        "version",
        "hosted_zone",
    ):
        m.used.add(("http", key))
    if "hosted_zone" in settings:
        m.note(
            ("http", "hosted_zone"),
            "not mapped",
            "alias records: give the platform's "
            "SharedLoadBalancer domain=Domain(name, zone) or add records by hand",
        )
    if "allowed_source_ips" in settings:
        m.note(
            ("http", "allowed_source_ips"),
            "not mapped",
            "SharedLoadBalancer("
            f"allowed_cidrs={settings['allowed_source_ips']!r}) in the platform stack "
            "limits every service on it",
        )
    for key in settings:
        if key not in (
            "path",
            "healthcheck",
            "deregistration_delay",
            "stickiness",
            "alias",
            "target_container",
            "target_port",
            "version",
            "hosted_zone",
            "allowed_source_ips",
            "targetContainer",
        ):
            prefix = ("http", "public") if public else ("http",)
            m.note(
                (*prefix, key),
                "not mapped",
                BY_HAND.get(
                    f"http.{key}", "no equivalent on SharedLoadBalancer.route(); add it by hand"
                ),
            )
    if public:
        m.used.add(("http", "public"))
    if health:
        route["health"] = call("TargetHealth", health)
        m.plan.names.add("TargetHealth")
    m.plan.route = route


def map_nlb(m: Mapper) -> None:
    nlb = m.get("nlb")
    if nlb is None:
        return
    port_text = str(nlb.get("port", "")) if isinstance(nlb, dict) else ""
    match = re.fullmatch(r"(\d+)(?:/(tcp|udp|tls|tcp_udp))?", port_text.lower())
    if m.plan.route is not None or match is None or match.group(2) in ("tls", "udp", "tcp_udp"):
        m.note(
            ("nlb",),
            "not mapped",
            "a service has one load balancer here: give it load_balancer="
            "NetworkLoadBalancer(protocol=..., port=...) instead of the ALB route"
            + (" (TLS needs certificate=, UDP a TCP health_check_port=)" if match else ""),
        )
        return
    args = [f"port={int(match.group(1))}"]
    check = nlb.get("healthcheck") if isinstance(nlb, dict) else None
    if isinstance(check, dict):
        if isinstance(check.get("port"), int):
            args.append(f"health_check_port={check['port']}")
        health: dict[str, Any] = {}
        for key in ("healthy_threshold", "unhealthy_threshold"):
            if isinstance(check.get(key), int):
                health[key] = check[key]
        for key in ("interval", "timeout"):
            if key in check:
                health[key] = duration(check[key], ("nlb", "healthcheck", key), m)
        if health:
            args.append(f"health={call('TargetHealth', health)}")
            m.plan.names.add("TargetHealth")
    if isinstance(nlb, dict):
        m.rest(
            ("nlb",),
            nlb,
            ("port", "healthcheck"),
            "not mapped",
            "set it on NetworkLoadBalancer(...)",
        )
    m.plan.service["load_balancer"] = Code(f"NetworkLoadBalancer({', '.join(args)})")
    m.plan.names.add("NetworkLoadBalancer")


def map_count(m: Mapper) -> None:
    count = m.get("count")
    if count is None:
        m.plan.service["desired_count"] = 1
        return
    if isinstance(count, int) and not isinstance(count, bool):
        m.plan.service["desired_count"] = count
        return
    if not isinstance(count, dict):
        raise m.fail(("count",), count, "a number or a map (range, cpu_percentage, ...)")
    spot = count.get("spot")
    if isinstance(spot, int):
        m.plan.service["desired_count"] = spot
        m.plan.service["capacity"] = Code("Capacity.spot()")
        m.plan.names.add("Capacity")
        m.used.add(("count", "spot"))
    scaling = _scaling(m, count)
    if scaling is not None:
        m.plan.service.pop("desired_count", None)
        m.plan.service["scaling"] = scaling


def _scaling(m: Mapper, count: dict[str, Any]) -> Code | None:
    range_ = count.get("range")
    if range_ is None:
        return None
    low, high, spot_from = count_range(range_, m)
    m.used.add(("count", "range"))
    tracking = []
    for key, name in (
        ("cpu_percentage", "cpu_percent"),
        ("memory_percentage", "memory_percent"),
    ):
        value = count.get(key)
        value = value.get("value") if isinstance(value, dict) else value
        if isinstance(value, int):
            tracking.append(f"{name}={value}")
            m.used.add(("count", key))
    requests = count.get("requests")
    requests = requests.get("value") if isinstance(requests, dict) else requests
    if isinstance(requests, int) and m.plan.kind == "web":
        tracking.append(f"requests_per_target={requests}")
        m.used.add(("count", "requests"))
    if "response_time" in count:
        m.note(
            ("count", "response_time"),
            "not mapped",
            "no response-time target "
            "tracking here; use requests_per_target or a StepScaling on the target "
            "group's TargetResponseTime",
        )
    if "cooldown" in count:
        m.note(
            ("count", "cooldown"),
            "library defaults (out 60 s, in 300 s)",
            "set TargetTracking(scale_in_cooldown=, scale_out_cooldown=) if needed",
        )
    if spot_from is not None:
        m.plan.service["capacity"] = Code(
            f"Capacity(on_demand_base={max(spot_from - 1, 0)}, on_demand_weight=0, spot_weight=1)"
        )
        m.plan.names.add("Capacity")
    if not tracking:
        tracking.append("cpu_percent=70")
        m.note(
            ("count", "range"),
            "TargetTracking(cpu_percent=70)",
            "Copilot's range had no metric; pick the one that tracks this service's load",
        )
    m.plan.names.update({"AutoScaling", "TargetTracking"})
    return Code(
        f"AutoScaling(min_capacity={low}, max_capacity={high}, "
        f"target_tracking=TargetTracking({', '.join(tracking)}))"
    )
