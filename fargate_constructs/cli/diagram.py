"""A Mermaid graph of a synthesized app: networks, clusters, services and their task
definitions (with sizes), the two roles and what trusts them, load balancers, scaling alarms,
and who may start the tasks (identities allowed to pass the task roles)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .cloud_assembly import StackTemplate, mentions, ref_id


def _node(stack: str, logical_id: str) -> str:
    return re.sub(r"\W", "_", f"{stack}_{logical_id}")


def _label(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _short(logical_id: str) -> str:
    """A logical ID without CDK's 8-character hash suffix."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id) or logical_id


def _trusted_services(role: dict[str, Any]) -> list[str]:
    services: list[str] = []
    for statement in role.get("AssumeRolePolicyDocument", {}).get("Statement", []):
        principal = statement.get("Principal", {})
        found = principal.get("Service", []) if isinstance(principal, dict) else []
        services += found if isinstance(found, list) else [found]
    return [s for s in services if isinstance(s, str)]


def stack_lines(stack: StackTemplate) -> list[str]:
    name = stack.name

    def n(logical_id: str) -> str:
        return _node(name, logical_id)

    lines = [f"  subgraph {_node(name, 'stack')}[{_label(name)}]"]
    edges: list[str] = []

    for vpc_id, vpc in stack.of_type("AWS::EC2::VPC"):
        kinds: dict[str, int] = {}
        for _, subnet in stack.of_type("AWS::EC2::Subnet"):
            tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
            kind = tags.get("aws-cdk:subnet-type", "Subnet")
            kinds[kind] = kinds.get(kind, 0) + 1
        subnets = ", ".join(f"{count} {kind.lower()}" for kind, count in sorted(kinds.items()))
        nat = sum(1 for _ in stack.of_type("AWS::EC2::NatGateway"))
        text = f"VPC {vpc.get('CidrBlock', '')}: {subnets} subnets, {nat} NAT"
        lines.append(f"    {n(vpc_id)}[{_label(text)}]")
    for cluster_id, _ in stack.of_type("AWS::ECS::Cluster"):
        lines.append(f"    {n(cluster_id)}[({_label('ECS cluster')})]")
        for vpc_id, _ in stack.of_type("AWS::EC2::VPC"):
            edges.append(f"  {n(vpc_id)} --- {n(cluster_id)}")

    roles = dict(stack.of_type("AWS::IAM::Role"))
    task_role_ids: dict[str, str] = {}
    for task_id, task in stack.of_type("AWS::ECS::TaskDefinition"):
        platform = task.get("RuntimePlatform", {})
        size = (
            f"{int(task.get('Cpu', 0)) / 1024:g} vCPU / {int(task.get('Memory', 0)) / 1024:g} GiB "
            f"{platform.get('CpuArchitecture', 'X86_64')}"
        )
        lines.append(f"    {n(task_id)}[{_label(f'task {_short(task_id)}: {size}')}]")
        for key, kind in (("TaskRoleArn", "task role"), ("ExecutionRoleArn", "execution role")):
            role_id = ref_id(task.get(key))
            if role_id is None or role_id not in roles:
                continue
            task_role_ids[role_id] = task_id
            trust = ", ".join(_trusted_services(roles[role_id])) or "?"
            lines.append(f"    {n(role_id)}{{{{{_label(f'{kind}: trusts {trust}')}}}}}")
            edges.append(f"  {n(task_id)} -- {kind} --> {n(role_id)}")

    for service_id, service in stack.of_type("AWS::ECS::Service"):
        configuration = service.get("DeploymentConfiguration", {})
        strategy = configuration.get("Strategy", "ROLLING").lower().replace("_", "/")
        lines.append(
            f"    {n(service_id)}([{_label(f'service {_short(service_id)}: {strategy}')}])"
        )
        for key in ("Cluster", "TaskDefinition"):
            target = ref_id(service.get(key))
            if target:
                edges.append(f"  {n(service_id)} --> {n(target)}")
        for balancer in service.get("LoadBalancers", []):
            group = ref_id(balancer.get("TargetGroupArn"))
            if group:
                edges.append(f"  {n(group)} -- traffic --> {n(service_id)}")

    for lb_id, lb in stack.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        scheme = lb.get("Scheme", "internet-facing")
        lines.append(f"    {n(lb_id)}[/{_label(f'load balancer ({scheme})')}/]")
        for listener_id, listener in stack.of_type("AWS::ElasticLoadBalancingV2::Listener"):
            if ref_id(listener.get("LoadBalancerArn")) != lb_id:
                continue
            actions = [listener.get("DefaultActions")]
            actions += [
                rule.get("Actions")
                for _, rule in stack.of_type("AWS::ElasticLoadBalancingV2::ListenerRule")
                if ref_id(rule.get("ListenerArn")) == listener_id
            ]
            for group_id, _ in stack.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"):
                if any(mentions(action, group_id) for action in actions):
                    port = listener.get("Port")
                    edges.append(f"  {n(lb_id)} -- {port} --> {n(group_id)}")
    for group_id, _ in stack.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"):
        lines.append(f"    {n(group_id)}[{_label(f'target group {_short(group_id)}')}]")

    queues = dict(stack.of_type("AWS::SQS::Queue"))
    dead_letter = {
        ref_id(queue.get("RedrivePolicy", {}).get("deadLetterTargetArn"))
        for queue in queues.values()
    }
    for topic_id, _ in stack.of_type("AWS::SNS::Topic"):
        lines.append(f"    {n(topic_id)}>{_label(f'topic {_short(topic_id)}')}]")
    for queue_id in queues:
        if queue_id not in dead_letter:
            lines.append(f"    {n(queue_id)}[({_label(f'queue {_short(queue_id)}')})]")

    policies = dict(stack.of_type("AWS::ApplicationAutoScaling::ScalingPolicy"))
    targets = dict(stack.of_type("AWS::ApplicationAutoScaling::ScalableTarget"))
    for target_id, scalable in targets.items():
        bounds = f"{scalable.get('MinCapacity')} to {scalable.get('MaxCapacity')} tasks"
        lines.append(f"    {n(target_id)}>{_label(f'autoscaling: {bounds}')}]")
        for service_id, _ in stack.of_type("AWS::ECS::Service"):
            if mentions(scalable.get("ResourceId"), service_id):
                edges.append(f"  {n(target_id)} -. scales .-> {n(service_id)}")
        for policy_id, policy in policies.items():
            tracking = policy.get("TargetTrackingScalingPolicyConfiguration")
            if ref_id(policy.get("ScalingTargetId")) == target_id and tracking:
                kind = tracking.get("PredefinedMetricSpecification", {}).get(
                    "PredefinedMetricType"
                ) or _returned_label(
                    tracking.get("CustomizedMetricSpecification", {}).get("Metrics", [])
                )
                text = f"target tracking {kind} at {tracking.get('TargetValue')}"
                lines.append(f"    {n(policy_id)}>{_label(text)}]")
                edges.append(f"  {n(policy_id)} -.-> {n(target_id)}")
    for alarm_id, alarm in stack.of_type("AWS::CloudWatch::Alarm"):
        for policy_id, policy in policies.items():
            if not mentions(alarm.get("AlarmActions"), policy_id):
                continue
            metric_name = alarm.get("MetricName") or _returned_label(alarm.get("Metrics", []))
            lines.append(f"    {n(alarm_id)}>{_label(f'scaling alarm: {metric_name}')}]")
            scaled = ref_id(policy.get("ScalingTargetId"))
            if scaled is not None:
                edges.append(f"  {n(alarm_id)} -.-> {n(scaled)}")

    launchers = _launchers(stack, set(task_role_ids))
    for identity_id, role_ids in launchers.items():
        trust = ", ".join(_trusted_services(roles.get(identity_id, {}))) or "account principals"
        lines.append(
            f"    {n(identity_id)}{{{{{_label(f'launcher {_short(identity_id)} ({trust})')}}}}}"
        )
        for task_id in sorted({task_role_ids[r] for r in role_ids}):
            edges.append(f"  {n(identity_id)} -- passes roles, runs --> {n(task_id)}")
    schedules = [
        (rule_id, f"EventBridge {rule.get('ScheduleExpression', 'event')}", rule.get("Targets", []))
        for rule_id, rule in stack.of_type("AWS::Events::Rule")
    ] + [
        (
            schedule_id,
            " ".join(
                ["Scheduler", schedule.get("ScheduleExpression", "?")]
                + (
                    [schedule["ScheduleExpressionTimezone"]]
                    if "ScheduleExpressionTimezone" in schedule
                    else []
                )
            ),
            [schedule.get("Target", {})],
        )
        for schedule_id, schedule in stack.of_type("AWS::Scheduler::Schedule")
    ]
    for rule_id, text, targets in schedules:
        lines.append(f"    {n(rule_id)}>{_label(text)}]")
        for target in targets:
            started = ref_id(target.get("EcsParameters", {}).get("TaskDefinitionArn"))
            assumed = ref_id(target.get("RoleArn"))
            if started:
                edges.append(f"  {n(rule_id)} -- starts --> {n(started)}")
            if assumed:
                edges.append(f"  {n(rule_id)} -. as .-> {n(assumed)}")
    lines.append("  end")
    unique_edges = list(dict.fromkeys(edges))
    return lines + unique_edges


def _returned_label(queries: list[Any]) -> str:
    """The label (or id) of the metric-math query whose result a policy or alarm uses."""
    for query in queries:
        if isinstance(query, dict) and query.get("ReturnData", True):
            return str(query.get("Label") or query.get("Id") or "metric")
    return "metric"


def _service_connect_edges(stacks: list[StackTemplate]) -> list[str]:
    """``client -- calls name:port --> server`` for each Service Connect server a service may
    call, in its stack or another: an ingress rule into the server's group from the client's
    group on a served port (the rule is in either stack, its groups local or imported)."""
    resolve = _resolver(stacks)
    groups: dict[tuple[str, str], tuple[str, str]] = {}
    servers: dict[tuple[str, str], dict[int, str]] = {}
    for stack in stacks:
        for service_id, service in stack.of_type("AWS::ECS::Service"):
            awsvpc = service.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
            for group in awsvpc.get("SecurityGroups", []):
                where = resolve(stack, group)
                if where is not None and where[0] == stack.name:
                    groups[where] = (stack.name, service_id)
            config = service.get("ServiceConnectConfiguration", {})
            for served in config.get("Services", []):
                for alias in served.get("ClientAliases", []):
                    servers.setdefault((stack.name, service_id), {})[alias.get("Port")] = (
                        f"{alias.get('DnsName')}:{alias.get('Port')}"
                    )
    edges = []
    for stack in stacks:
        for _, rule in stack.of_type("AWS::EC2::SecurityGroupIngress"):
            server = groups.get(resolve(stack, rule.get("GroupId")) or ("", ""))
            client = groups.get(resolve(stack, rule.get("SourceSecurityGroupId")) or ("", ""))
            if server in servers and client is not None:
                names = servers[server]
                # Rules open the container port; the name carries the alias port clients use.
                name = names.get(rule.get("FromPort", 0)) or next(iter(names.values()))
                edges.append(f"  {_node(*client)} -->|{_label('calls ' + name)}| {_node(*server)}")
    return list(dict.fromkeys(edges))


def _launchers(stack: StackTemplate, task_role_ids: set[str]) -> dict[str, set[str]]:
    """Identities whose policies allow iam:PassRole on the task definitions' roles."""
    found: dict[str, set[str]] = {}
    for resource_type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for _, policy in stack.of_type(resource_type):
            passed = {
                role_id
                for statement in policy.get("PolicyDocument", {}).get("Statement", [])
                if "iam:PassRole" in _as_list(statement.get("Action"))
                for role_id in task_role_ids
                if mentions(statement.get("Resource"), role_id)
            }
            if not passed:
                continue
            for identity in _as_list(policy.get("Roles")):
                identity_id = ref_id(identity)
                if identity_id:
                    found.setdefault(identity_id, set()).update(passed)
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def mermaid(stacks: list[StackTemplate]) -> str:
    lines = ["graph LR"]
    for stack in stacks:
        lines += stack_lines(stack)
    lines += cross_stack_lines(stacks)
    lines += _service_connect_edges(stacks)
    lines += _subscription_edges(stacks)
    return "\n".join(lines) + "\n"


Resolver = Callable[[StackTemplate, Any], "tuple[str, str] | None"]


def _resolver(stacks: list[StackTemplate]) -> Resolver:
    """Where a value points: a ``Ref``/``Fn::GetAtt`` of the same stack, or an
    ``Fn::ImportValue`` of another stack's export, as (stack name, logical ID)."""
    exports = _exports(stacks)

    def resolve(stack: StackTemplate, value: Any) -> tuple[str, str] | None:
        local = ref_id(value)
        if local is not None:
            return stack.name, local
        if isinstance(value, dict) and isinstance(value.get("Fn::ImportValue"), str):
            return exports.get(value["Fn::ImportValue"])
        return None

    return resolve


def _subscription_edges(stacks: list[StackTemplate]) -> list[str]:
    """``topic -- subscription --> queue`` for each SQS subscription, in a stack or across."""
    resolve = _resolver(stacks)
    edges = []
    for stack in stacks:
        for _, subscription in stack.of_type("AWS::SNS::Subscription"):
            if subscription.get("Protocol") != "sqs":
                continue
            topic = resolve(stack, subscription.get("TopicArn"))
            queue = resolve(stack, subscription.get("Endpoint"))
            if topic is not None and queue is not None:
                label = "subscription" + (" (filtered)" if subscription.get("FilterPolicy") else "")
                edges.append(f"  {_node(*topic)} -- {label} --> {_node(*queue)}")
    return list(dict.fromkeys(edges))


def _exports(stacks: list[StackTemplate]) -> dict[str, tuple[str, str]]:
    """Export name -> (stack, logical ID) of every exported ``Ref``/``GetAtt``."""
    found = {}
    for stack in stacks:
        for output in stack.template.get("Outputs", {}).values():
            name = output.get("Export", {}).get("Name")
            target = ref_id(output.get("Value"))
            if isinstance(name, str) and target is not None:
                found[name] = (stack.name, target)
    return found


def cross_stack_lines(stacks: list[StackTemplate]) -> list[str]:
    """Edges between stacks, through exports: a service to the cluster it runs in, and a
    load balancer's listener to the target groups other stacks' rules put on it."""
    exports = _exports(stacks)
    by_name = {stack.name: stack for stack in stacks}

    def imported(value: Any) -> tuple[str, str] | None:
        if isinstance(value, dict) and isinstance(value.get("Fn::ImportValue"), str):
            return exports.get(value["Fn::ImportValue"])
        return None

    edges = []
    for stack in stacks:
        for service_id, service in stack.of_type("AWS::ECS::Service"):
            cluster = imported(service.get("Cluster"))
            if cluster is not None:
                edges.append(f"  {_node(stack.name, service_id)} --> {_node(*cluster)}")
        for _, rule in stack.of_type("AWS::ElasticLoadBalancingV2::ListenerRule"):
            listener = imported(rule.get("ListenerArn"))
            if listener is None or listener[0] not in by_name:
                continue
            producer = by_name[listener[0]]
            properties = producer.resources.get(listener[1], {}).get("Properties", {})
            balancer = ref_id(properties.get("LoadBalancerArn"))
            if balancer is None:
                continue
            for group_id, _ in stack.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"):
                if mentions(rule.get("Actions"), group_id):
                    edges.append(
                        f"  {_node(producer.name, balancer)} -- {properties.get('Port')} --> "
                        f"{_node(stack.name, group_id)}"
                    )
    return list(dict.fromkeys(edges))
