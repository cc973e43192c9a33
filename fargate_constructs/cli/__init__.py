"""The ``fargate-constructs`` command: cost, diagram and sizes.

Reads only ``cdk.out`` and the pure modules (sizing, pricing); it never imports aws_cdk, so it
runs without Node.js. Bad arguments and a missing cdk.out give a one-line error and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ..copilot import ManifestError, import_workspace
from ..eks_sizing import KUBERNETES_OVERHEAD_MIB, ContainerRequest, pod_size
from ..errors import FargateConstructsError
from ..pricing import price_table
from ..sizing import Architecture, TaskSize
from .cloud_assembly import AssemblyError, read_assembly
from .cost import add_eks_pods, has_container_insights, lambda_cost, stack_cost
from .diagram import mermaid


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fargate-constructs")
    except PackageNotFoundError:
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fargate-constructs", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    cost = commands.add_parser("cost", help="monthly cost estimate per stack of a cdk.out")
    cost.add_argument("cdk_out", nargs="?", default="cdk.out", type=Path)
    cost.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cost.add_argument("--lambda-requests", type=_positive_int, help="requests a month, to compare")
    cost.add_argument("--lambda-duration-ms", type=_positive_float, help="average duration")
    cost.add_argument("--lambda-memory-mb", type=_positive_int, default=1024)
    cost.add_argument("--lambda-arm", action="store_true", help="price Lambda on ARM64")
    cost.add_argument(
        "--eks-pods", type=_positive_int, help="Fargate pods per EKS cluster, to price them"
    )
    cost.add_argument("--eks-pod-vcpu", type=_positive_float, default=0.25, help="their requests")
    cost.add_argument("--eks-pod-memory-gib", type=_positive_float, default=0.5)

    diagram = commands.add_parser("diagram", help="a Mermaid graph of a cdk.out")
    diagram.add_argument("cdk_out", nargs="?", default="cdk.out", type=Path)

    sizes = commands.add_parser("sizes", help="valid Fargate sizes and the cheapest fit")
    sizes.add_argument("--vcpu", type=_positive_float, required=True)
    sizes.add_argument("--memory-gib", type=_positive_float, required=True)
    sizes.add_argument("--arm", action="store_true", help="ARM64 (Graviton) prices")
    sizes.add_argument("--json", action="store_true")
    sizes.add_argument(
        "--eks",
        action="store_true",
        help="the size Fargate on EKS bills a pod with these requests for (and its waste)",
    )
    sizes.add_argument("--init-vcpu", type=_positive_float, help="largest init container (EKS)")
    sizes.add_argument("--init-memory-gib", type=_positive_float, help="its memory (EKS)")

    copilot = commands.add_parser("copilot", help="migrate from AWS Copilot")
    copilot_commands = copilot.add_subparsers(
        metavar="import", dest="copilot_command", required=True, parser_class=_Parser
    )
    importer = copilot_commands.add_parser(
        "import", help="write a CDK app of this library from a Copilot workspace"
    )
    importer.add_argument("copilot_dir", type=Path, help="the workspace (or its copilot/ folder)")
    importer.add_argument("--out", type=Path, required=True, help="folder to write the app to")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "cost":
            return _cost(args)
        if args.command == "diagram":
            sys.stdout.write(mermaid(read_assembly(args.cdk_out)))
            return 0
        if args.command == "copilot":
            return _copilot_import(args)
        return _sizes(args)
    except (AssemblyError, FargateConstructsError, ManifestError) as error:
        print(f"fargate-constructs: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as Unix tools do. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _cost(args: argparse.Namespace) -> int:
    if (args.lambda_requests is None) != (args.lambda_duration_ms is None):
        raise AssemblyError("give both --lambda-requests and --lambda-duration-ms, or neither")
    prices = price_table()
    stacks = read_assembly(args.cdk_out)
    insights = has_container_insights(stacks)
    costs = [stack_cost(stack, prices, container_insights=insights) for stack in stacks]
    if args.eks_pods is not None:
        add_eks_pods(costs, args.eks_pods, args.eks_pod_vcpu, args.eks_pod_memory_gib)
    comparison = None
    if args.lambda_requests is not None:
        comparison = lambda_cost(
            args.lambda_requests,
            args.lambda_duration_ms,
            args.lambda_memory_mb,
            "ARM64" if args.lambda_arm else "X86_64",
            prices,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "region": prices.region,
                    "prices_as_of": prices.as_of,
                    "stacks": [cost.to_json() for cost in costs],
                    "lambda": None if comparison is None else vars(comparison),
                },
                indent=2,
                default=str,
            )
        )
        return 0
    print(
        f"Monthly estimate ({prices.region} on-demand prices of {prices.as_of}, "
        f"{prices.hours_per_month} h; data transfer, LCUs and task logs not included)"
    )
    for cost in costs:
        print(f"\n{cost.name}: {_money(cost.monthly_low)} to {_money(cost.monthly_high)}")
        for service in cost.services:
            spot = f", {service.spot_share:.0%} Spot" if service.spot_share else ""
            print(
                f"  service {service.name}: {service.vcpu:g} vCPU / {service.memory_gib:g} GiB "
                f"{service.architecture} x {service.tasks_low}-{service.tasks_high} tasks{spot}: "
                f"{_money(service.monthly_low)} to {_money(service.monthly_high)}"
            )
        print(
            f"  fixed: {cost.nat_gateways} NAT gateway(s), {cost.load_balancers} load "
            f"balancer(s), {cost.interface_endpoint_azs} interface endpoint-AZ(s): "
            f"{_money(cost.fixed_monthly)}"
        )
        for charge in cost.charges:
            print(f"  {charge.what}: {_money(charge.monthly)}")
    total_low = sum(c.monthly_low for c in costs)
    total_high = sum(c.monthly_high for c in costs)
    print(f"\nTotal: {_money(total_low)} to {_money(total_high)} a month")
    if comparison is not None:
        print(
            f"Lambda for the same work ({comparison.requests:,} requests x "
            f"{comparison.duration_ms:g} ms at {comparison.memory_mb} MB "
            f"{comparison.architecture}): {_money(comparison.monthly)} a month"
        )
    return 0


def _copilot_import(args: argparse.Namespace) -> int:
    """Convert what converts; print one line per problem; exit 2 if anything failed."""
    if args.out.exists() and not args.out.is_dir():
        raise ManifestError(f"--out {args.out}: exists and is not a directory")
    try:
        result = import_workspace(args.copilot_dir, args.out)
    except OSError as error:
        raise ManifestError(f"{error.filename}: {error.strerror}") from None
    failed = [*result.errors]
    for service in result.services:
        failed += service.errors
    for line in failed:
        print(f"fargate-constructs: error: {line}", file=sys.stderr)
    converted = len(result.converted)
    unsupported = [s.manifest.name for s in result.services if s.unsupported]
    print(
        f"{converted} of {len(result.services)} services converted for "
        f"{len(result.environments)} environment(s) into {args.out}"
        + (f"; not supported: {', '.join(unsupported)}" if unsupported else "")
        + f". Read {args.out / 'MIGRATION.md'}."
    )
    return 2 if failed else 0


def _eks_sizes(args: argparse.Namespace) -> int:
    containers = [
        ContainerRequest(name="pod", vcpu=args.vcpu, memory_mib=round(args.memory_gib * 1024))
    ]
    if args.init_vcpu is not None or args.init_memory_gib is not None:
        containers.append(
            ContainerRequest(
                name="init",
                vcpu=args.init_vcpu or args.vcpu,
                memory_mib=round((args.init_memory_gib or args.memory_gib) * 1024),
                init=True,
            )
        )
    size = pod_size(containers)
    if args.json:
        print(
            json.dumps(
                {
                    "requested": {
                        "vcpu": size.requested_vcpu,
                        "memory_mib": size.requested_memory_mib,
                    },
                    "billed": {"cpu": size.cpu, "memory_mib": size.memory_mib},
                    "wasted": {"vcpu": size.wasted_vcpu, "memory_mib": size.wasted_memory_mib},
                    "monthly": round(size.monthly_price(), 2),
                    "wasted_share": round(size.wasted_share(), 3),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"EKS bills a pod requesting {size.requested_vcpu:g} vCPU / "
        f"{size.requested_memory_mib / 1024:g} GiB as {size} "
        f"(requests + {KUBERNETES_OVERHEAD_MIB} MiB for the kubelet, kube-proxy and "
        f"containerd, rounded up): {_money(size.monthly_price())} a month per pod"
    )
    print(
        f"Not requested but paid for: {size.wasted_vcpu:g} vCPU and "
        f"{size.wasted_memory_mib} MiB, {size.wasted_share():.0%} of the price"
    )
    return 0


def _sizes(args: argparse.Namespace) -> int:
    if args.eks:
        return _eks_sizes(args)
    architecture = Architecture.ARM64 if args.arm else Architecture.X86_64
    fitting = sorted(
        (
            size
            for size in TaskSize.all_valid(architecture=architecture)
            if size.vcpu >= args.vcpu and size.memory_gib >= args.memory_gib
        ),
        key=lambda size: (size.hourly_price(), size.cpu),
    )
    cheapest = TaskSize.smallest_for(
        vcpu=args.vcpu, memory_gib=args.memory_gib, architecture=architecture
    )
    if args.json:
        print(
            json.dumps(
                {
                    "cheapest": {
                        "cpu": cheapest.cpu,
                        "memory_mib": cheapest.memory_mib,
                        "architecture": cheapest.architecture.value,
                        "monthly": round(cheapest.monthly_price(), 2),
                    },
                    "fitting": [
                        {
                            "cpu": s.cpu,
                            "memory_mib": s.memory_mib,
                            "monthly": round(s.monthly_price(), 2),
                        }
                        for s in fitting
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(
        f"Valid {architecture.value} sizes with at least {args.vcpu:g} vCPU and "
        f"{args.memory_gib:g} GiB, cheapest first:"
    )
    for size in fitting[:10]:
        price = _money(size.monthly_price())
        print(f"  cpu={size.cpu:>5} memory_mib={size.memory_mib:>6}  {price}/month")
    if len(fitting) > 10:
        print(f"  ... and {len(fitting) - 10} more")
    print(
        f"Cheapest fit: TaskSize({cheapest.cpu}, {cheapest.memory_mib}"
        f"{', architecture=Architecture.ARM64' if args.arm else ''}) = {cheapest}, "
        f"{_money(cheapest.monthly_price())} a month per task on demand"
    )
    return 0
