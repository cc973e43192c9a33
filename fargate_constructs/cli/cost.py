"""Monthly cost estimate per stack, from synthesized templates and the packaged price table.

Counted: Fargate services' tasks (vCPU and memory x tasks x the architecture's rate, extra ephemeral
storage; the Spot share as a range), NAT gateways, application and network load balancers and
interface VPC endpoints, by the hour; and every monthly charge the library's resources carry:
KMS keys, CloudWatch alarms (per metric, high-resolution ones higher), dashboards, WAF web ACLs
and their rules, EKS control planes (Fargate pods are not in a template: ``sizes --eks`` prices
one), and, at the usage the price table states (``usage_assumptions``), WAF
requests, Container Insights metrics and flow-log ingestion. Not counted: data processed (NAT,
endpoints), load balancer capacity units, log ingestion by tasks, S3, KMS requests, and one-off
tasks (their run time is not in a template). A month is the table's hours_per_month.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..eks_sizing import ContainerRequest, pod_size
from ..pricing import PriceTable, price_table
from .cloud_assembly import StackTemplate, mentions, ref_id

DEFAULT_DESIRED_COUNT = 1  # what ECS starts when a service template has no DesiredCount


@dataclass(frozen=True)
class ServiceCost:
    name: str
    vcpu: float
    memory_gib: float
    architecture: str
    tasks_low: int
    tasks_high: int
    spot_share: float
    """Share of the tasks on Spot at the higher task count."""
    monthly_low: float
    """At the lower task count, Spot at its largest discount."""
    monthly_high: float
    """At the higher task count, Spot at its smallest discount."""


@dataclass(frozen=True)
class Charge:
    """A monthly charge that does not depend on task counts: ``what`` says what was counted
    and, for a usage-priced one, the usage assumed."""

    kind: str
    what: str
    monthly: float


@dataclass(frozen=True)
class StackCost:
    name: str
    services: list[ServiceCost] = field(default_factory=list)
    nat_gateways: int = 0
    load_balancers: int = 0
    interface_endpoint_azs: int = 0
    fixed_monthly: float = 0.0
    """NAT gateways, load balancers and interface endpoints, by the hour."""
    charges: list[Charge] = field(default_factory=list)

    @property
    def charges_monthly(self) -> float:
        return sum(charge.monthly for charge in self.charges)

    @property
    def monthly_low(self) -> float:
        return self.fixed_monthly + self.charges_monthly + sum(s.monthly_low for s in self.services)

    @property
    def monthly_high(self) -> float:
        return (
            self.fixed_monthly + self.charges_monthly + sum(s.monthly_high for s in self.services)
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["monthly_low"] = round(self.monthly_low, 2)
        data["monthly_high"] = round(self.monthly_high, 2)
        return data


def task_hourly(
    prices: PriceTable, cpu: int, memory_mib: int, architecture: str, storage: int
) -> float:
    storage_rate = float(prices.raw["ephemeral_storage_gb_hour_above_20"])
    rate = prices.fargate_rate(architecture)
    return rate.hourly(cpu / 1024, memory_mib / 1024) + max(storage - 20, 0) * storage_rate


def stack_cost(
    stack: StackTemplate, prices: PriceTable | None = None, *, container_insights: bool = False
) -> StackCost:
    """``container_insights``: whether the services' cluster records Container Insights (the
    cluster may be in another stack of the app: see :func:`has_container_insights`)."""
    prices = prices or price_table()
    hours = prices.hours_per_month
    task_definitions = dict(stack.of_type("AWS::ECS::TaskDefinition"))
    scalable_targets = [
        props for _, props in stack.of_type("AWS::ApplicationAutoScaling::ScalableTarget")
    ]
    discount = prices.raw["fargate_spot_discount"]
    services = []
    for logical_id, props in stack.of_type("AWS::ECS::Service"):
        task = task_definitions.get(ref_id(props.get("TaskDefinition")) or "")
        if task is None:
            continue
        cpu, memory = int(task["Cpu"]), int(task["Memory"])
        architecture = task.get("RuntimePlatform", {}).get("CpuArchitecture", "X86_64")
        storage = int(task.get("EphemeralStorage", {}).get("SizeInGiB", 20))
        target = next(
            (t for t in scalable_targets if mentions(t.get("ResourceId"), logical_id)), None
        )
        if target is not None:
            low, high = int(target["MinCapacity"]), int(target["MaxCapacity"])
        else:
            low = high = int(props.get("DesiredCount", DEFAULT_DESIRED_COUNT))
        strategy = props.get("CapacityProviderStrategy", [])
        hourly = task_hourly(prices, cpu, memory, architecture, storage)

        def monthly(
            tasks: int, spot_discount: float, *, hourly: float = hourly, strategy: Any = strategy
        ) -> float:
            spot = _spot_share(strategy, tasks) * tasks
            return (tasks - spot + spot * (1 - spot_discount)) * hourly * hours

        services.append(
            ServiceCost(
                name=logical_id,
                vcpu=cpu / 1024,
                memory_gib=memory / 1024,
                architecture=architecture,
                tasks_low=low,
                tasks_high=high,
                spot_share=_spot_share(strategy, high),
                monthly_low=monthly(low, float(discount["high"])),
                monthly_high=monthly(high, float(discount["low"])),
            )
        )
    for logical_id, props in stack.of_type("AWS::ECS::ExpressGatewayService"):
        # Express Mode's tasks: its size (ECS's defaults when the template leaves them out)
        # and the scaling target's bounds. Its load balancer is ECS's, shared by the Express
        # services of a cluster, and not in the template: not priced.
        cpu, memory = int(props.get("Cpu", 256)), int(props.get("Memory", 512))
        scaling = props.get("ScalingTarget", {})
        low, high = int(scaling.get("MinTaskCount", 1)), int(scaling.get("MaxTaskCount", 1))
        hourly = task_hourly(prices, cpu, memory, "X86_64", 20)
        services.append(
            ServiceCost(
                name=logical_id,
                vcpu=cpu / 1024,
                memory_gib=memory / 1024,
                architecture="X86_64",
                tasks_low=low,
                tasks_high=high,
                spot_share=0.0,
                monthly_low=low * hourly * hours,
                monthly_high=high * hourly * hours,
            )
        )
    nat = sum(1 for _ in stack.of_type("AWS::EC2::NatGateway"))
    balancer_hours = {
        "application": "application_load_balancer",
        "network": "network_load_balancer",
    }
    balancers = [
        balancer_hours[props.get("Type", "application")]
        for _, props in stack.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
        if props.get("Type", "application") in balancer_hours
    ]
    # An ECS Gateway runs at least one application load balancer of its own (ECS adds more,
    # up to MaxAlbCount, as services join): priced as one ALB each.
    balancers += ["application_load_balancer" for _ in stack.of_type("AWS::ECS::Gateway")]
    endpoint_azs = sum(
        len(props.get("SubnetIds", []))
        for _, props in stack.of_type("AWS::EC2::VPCEndpoint")
        if props.get("VpcEndpointType") == "Interface"
    )
    fixed = hours * (
        nat * prices.raw["nat_gateway"]["hour"]
        + sum(prices.raw[kind]["hour"] for kind in balancers)
        + endpoint_azs * prices.raw["interface_endpoint"]["hour_per_az"]
    )
    return StackCost(
        stack.name,
        services,
        nat,
        len(balancers),
        endpoint_azs,
        fixed,
        charges(stack, prices, container_insights=container_insights),
    )


def _insight_clusters(stack: StackTemplate) -> int:
    return sum(
        1
        for _, props in stack.of_type("AWS::ECS::Cluster")
        if any(
            setting.get("Name") == "containerInsights" and setting.get("Value") != "disabled"
            for setting in props.get("ClusterSettings", [])
        )
    )


def has_container_insights(stacks: list[StackTemplate]) -> bool:
    """Whether any cluster of the app records Container Insights (then its services are
    priced with it, whichever stack they are in)."""
    return any(_insight_clusters(stack) for stack in stacks)


def charges(
    stack: StackTemplate, prices: PriceTable, *, container_insights: bool = False
) -> list[Charge]:
    """The stack's monthly charges besides tasks and hourly infrastructure (see the module)."""
    watch = prices.raw["cloudwatch"]
    usage = prices.raw["usage_assumptions"]
    found: list[Charge] = []
    keys = sum(1 for _ in stack.of_type("AWS::KMS::Key"))
    if keys:
        found.append(Charge("kms", f"{keys} KMS key(s)", keys * prices.raw["kms_key_month"]))
    standard = high = 0
    for _, props in stack.of_type("AWS::CloudWatch::Alarm"):
        metrics = [m for m in props.get("Metrics", []) if "MetricStat" in m] or [props]
        for metric in metrics:
            period = metric.get("MetricStat", metric).get("Period", 60)
            if isinstance(period, int) and period < 60:
                high += 1
            else:
                standard += 1
    if standard or high:
        found.append(
            Charge(
                "alarms",
                f"alarms over {standard} metric(s)"
                + (f" and {high} high-resolution one(s)" if high else ""),
                standard * watch["alarm_metric_month"]
                + high * watch["high_resolution_alarm_metric_month"],
            )
        )
    dashboards = sum(1 for _ in stack.of_type("AWS::CloudWatch::Dashboard"))
    if dashboards:
        found.append(
            Charge(
                "dashboards",
                f"{dashboards} dashboard(s) (an account's first 3 are free)",
                dashboards * watch["dashboard_month"],
            )
        )
    waf = prices.raw["waf"]
    for _, props in stack.of_type("AWS::WAFv2::WebACL"):
        rules = len(props.get("Rules", []))
        requests = usage["waf_million_requests_per_web_acl"]
        found.append(
            Charge(
                "waf",
                f"WAF web ACL with {rules} rule(s), assuming {requests:g} million requests",
                waf["web_acl_month"]
                + rules * waf["rule_month"]
                + requests * waf["per_million_requests"],
            )
        )
    clusters = _insight_clusters(stack)
    services = sum(1 for _ in stack.of_type("AWS::ECS::Service")) if container_insights else 0
    if clusters or services:
        per_cluster = usage["container_insights_metrics_per_cluster"]
        per_service = usage["container_insights_metrics_per_service"]
        found.append(
            Charge(
                "container_insights",
                f"Container Insights for {clusters} cluster(s) and {services} service(s), "
                f"assuming {per_cluster} and {per_service} metrics each",
                (clusters * per_cluster + services * per_service) * watch["custom_metric_month"],
            )
        )
    eks_clusters = sum(1 for _ in stack.of_type("AWS::EKS::Cluster"))
    if eks_clusters:
        found.append(
            Charge(
                "eks",
                f"{eks_clusters} EKS control plane(s), standard support (pods: see "
                "`fargate-constructs sizes --eks`)",
                eks_clusters * prices.raw["eks"]["control_plane_hour"] * prices.hours_per_month,
            )
        )
    flow_logs = [
        props
        for _, props in stack.of_type("AWS::EC2::FlowLog")
        if props.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs"
    ]
    if flow_logs:
        gigabytes = len(flow_logs) * usage["flow_log_gb_per_vpc"]
        found.append(
            Charge(
                "flow_logs",
                f"flow-log ingestion, assuming {usage['flow_log_gb_per_vpc']} GB per VPC",
                gigabytes * watch["vended_logs_gb"],
            )
        )
    return found


def add_eks_pods(costs: list[StackCost], pods: int, vcpu: float, memory_gib: float) -> None:
    """Price ``pods`` Fargate pods requesting ``vcpu`` / ``memory_gib`` in every stack with an
    EKS cluster (Kubernetes workloads are not in a template, so their count is given)."""
    size = pod_size([ContainerRequest(vcpu=vcpu, memory_mib=round(memory_gib * 1024))])
    for cost in costs:
        if any(charge.kind == "eks" for charge in cost.charges):
            cost.charges.append(
                Charge(
                    "eks_pods",
                    f"{pods} Fargate pod(s) requesting {vcpu:g} vCPU / {memory_gib:g} GiB, "
                    f"billed as {size} each",
                    pods * size.monthly_price(),
                )
            )


def _spot_share(strategy: list[dict[str, Any]], tasks: int) -> float:
    """Share of ``tasks`` that a capacity provider strategy places on FARGATE_SPOT."""
    if not strategy or tasks == 0:
        return 0.0
    weights = {item["CapacityProvider"]: int(item.get("Weight", 0)) for item in strategy}
    base = {item["CapacityProvider"]: int(item.get("Base", 0)) for item in strategy}
    on_demand_base = min(base.get("FARGATE", 0), tasks)
    spot_base = min(base.get("FARGATE_SPOT", 0), tasks - on_demand_base)
    rest = tasks - on_demand_base - spot_base
    total = sum(weights.values())
    spot = spot_base + (rest * weights.get("FARGATE_SPOT", 0) / total if total else 0)
    return spot / tasks


@dataclass(frozen=True)
class LambdaCost:
    requests: int
    duration_ms: float
    memory_mb: int
    architecture: str
    monthly: float


def lambda_cost(
    requests: int,
    duration_ms: float,
    memory_mb: int,
    architecture: str,
    prices: PriceTable | None = None,
) -> LambdaCost:
    """What ``requests`` invocations a month of ``duration_ms`` at ``memory_mb`` cost on Lambda."""
    prices = prices or price_table()
    rates = prices.raw["lambda"]
    gb_seconds = requests * (duration_ms / 1000) * (memory_mb / 1024)
    monthly = gb_seconds * float(rates["gb_second"][architecture]) + requests / 1e6 * float(
        rates["per_million_requests"]
    )
    return LambdaCost(requests, duration_ms, memory_mb, architecture, monthly)
