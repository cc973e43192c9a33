"""One CloudWatch dashboard per stack, a section per workload (services, queue workers,
scheduled tasks), and a ``Url`` output to open it.

The body is CloudWatch's dashboard JSON, written here rather than with aws-cdk-lib's widget
classes: each widget is a plain dict holding the tokens it graphs (cluster, service, queue and
target group names), and the whole body is rendered once, when the stack is synthesized. A
workload adds one section and no resource; the stack gets one ``AWS::CloudWatch::Dashboard``
and one output.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import jsii
from aws_cdk import Aws, CfnOutput, IStableStringProducer, Lazy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from .doors import checked
from .errors import InvalidParameterError
from .scopes import stack_of

DASHBOARD_ID = "FargateDashboard"
MAX_WIDGETS = 500
"""CloudWatch's limit of widgets on one dashboard."""
GRID_WIDTH = 24
GRAPH_HEIGHT = 6

Widget = dict[str, Any]
MetricRow = list[Any]


def metric(
    namespace: str,
    name: str,
    dimensions: dict[str, str],
    **options: Any,
) -> MetricRow:
    """One row of a graph's ``metrics``: namespace, name, dimension pairs, then options
    (``stat``, ``label``, ``period``, ``id``, ``visible``)."""
    row: MetricRow = [namespace, name]
    for key, value in dimensions.items():
        row += [key, value]
    return [*row, options] if options else row


def graph(title: str, metrics: Sequence[MetricRow], *, width: int = 8, **properties: Any) -> Widget:
    """A time-series graph of ``metrics`` (one-minute periods unless a row says otherwise)."""
    return {
        "type": "metric",
        "width": width,
        "height": GRAPH_HEIGHT,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "region": _region(),
            "period": 60,
            "metrics": _shorthand(metrics),
            **properties,
        },
    }


@functools.cache
def _region() -> str:
    # A static jsii property: one round trip per read, so read once per process.
    return Aws.REGION


@functools.cache
def _partition_and_account() -> tuple[str, str]:
    return Aws.PARTITION, Aws.ACCOUNT_ID


def alarm_arn(name: str) -> str:
    """The ARN of the alarm named ``name`` in the stack's account and region (pseudo
    parameters, read once per process)."""
    partition, account = _partition_and_account()
    return f"arn:{partition}:cloudwatch:{_region()}:{account}:alarm:{name}"


def _shorthand(rows: Sequence[MetricRow]) -> list[MetricRow]:
    """Rows as CloudWatch lets them be written: ``"."`` for a value the row above has in the
    same place (a load balancer's full name is a long expression; this keeps a 45-service
    stack's template small)."""
    written: list[MetricRow] = []
    previous: MetricRow = []
    for row in rows:
        values = [value for value in row if not isinstance(value, dict)]
        options = [value for value in row if isinstance(value, dict)]
        short = [
            "." if index < len(previous) and value == previous[index] else value
            for index, value in enumerate(values)
        ]
        written.append(short + options)
        previous = values
    return written


def alarm_status(title: str, alarm_arns: Sequence[str]) -> Widget:
    """The state of ``alarm_arns`` (OK, ALARM, INSUFFICIENT_DATA) at a glance."""
    return {
        "type": "alarm",
        "width": 8,
        "height": GRAPH_HEIGHT,
        "properties": {"title": title, "alarms": list(alarm_arns)},
    }


def usage_widgets(
    *, cluster_name: str, service_name: str, resolution: timedelta, container_insights: bool
) -> list[Widget]:
    """CPU and memory (at the service's metric resolution) and, with Container Insights,
    running, desired and pending tasks."""
    seconds = int(resolution.total_seconds())
    dimensions = {"ClusterName": cluster_name, "ServiceName": service_name}
    widgets = [
        graph(
            f"CPU and memory (%, {seconds} s)",
            [
                metric("AWS/ECS", "CPUUtilization", dimensions, stat="Average", period=seconds),
                metric("AWS/ECS", "MemoryUtilization", dimensions, stat="Average", period=seconds),
            ],
            yAxis={"left": {"min": 0, "max": 100}},
        )
    ]
    if container_insights:
        widgets.append(
            graph(
                "Tasks: running, desired, pending",
                [
                    metric("ECS/ContainerInsights", name, dimensions, stat="Average")
                    for name in ("RunningTaskCount", "DesiredTaskCount", "PendingTaskCount")
                ],
            )
        )
    return widgets


def load_balancer_widgets(target_groups: Iterable[str], load_balancer: str) -> list[Widget]:
    """Requests, target 4xx/5xx, response time p50/p99 and healthy/unhealthy targets of each
    of ``target_groups`` (full names; blue and green during a blue/green deployment) on the
    application load balancer ``load_balancer`` (its full name)."""
    groups = [{"TargetGroup": group, "LoadBalancer": load_balancer} for group in target_groups]

    def each(name: str, **options: Any) -> list[MetricRow]:
        return [metric("AWS/ApplicationELB", name, dims, **options) for dims in groups]

    return [
        graph("Requests", each("RequestCount", stat="Sum")),
        graph(
            "Target 4xx and 5xx",
            each("HTTPCode_Target_4XX_Count", stat="Sum")
            + each("HTTPCode_Target_5XX_Count", stat="Sum"),
        ),
        graph(
            "Target response time (s): p50, p99",
            each("TargetResponseTime", stat="p50") + each("TargetResponseTime", stat="p99"),
        ),
        graph(
            "Targets: healthy, unhealthy",
            each("HealthyHostCount", stat="Minimum") + each("UnHealthyHostCount", stat="Maximum"),
        ),
    ]


def queue_widgets(
    *,
    queue_name: str,
    dead_letter_queue_name: str,
    cluster_name: str,
    service_name: str,
    container_insights: bool,
) -> list[Widget]:
    """Visible messages, age of the oldest, backlog per running task (with Container
    Insights) and the dead-letter queue's depth."""
    queue = {"QueueName": queue_name}
    widgets = [
        graph(
            "Messages visible",
            [metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, stat="Maximum")],
        ),
        graph(
            "Age of oldest message (s)",
            [metric("AWS/SQS", "ApproximateAgeOfOldestMessage", queue, stat="Maximum")],
        ),
    ]
    if container_insights:
        service = {"ClusterName": cluster_name, "ServiceName": service_name}
        widgets.append(
            graph(
                "Backlog per task",
                [
                    metric(
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        queue,
                        stat="Maximum",
                        id="visible",
                        visible=False,
                    ),
                    metric(
                        "ECS/ContainerInsights",
                        "RunningTaskCount",
                        service,
                        stat="Average",
                        id="running",
                        visible=False,
                    ),
                    [{"expression": "visible / MAX([running, 1])", "label": "Backlog per task"}],
                ],
            )
        )
    widgets.append(dead_letter_widget(dead_letter_queue_name))
    return widgets


def dead_letter_widget(queue_name: str) -> Widget:
    return graph(
        "Dead-letter queue: messages",
        [
            metric(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": queue_name},
                stat="Maximum",
            )
        ],
    )


def schedule_widgets(*, schedule_group: str, dead_letter_queue_name: str) -> list[Widget]:
    """Scheduler's invocations and failed starts (its metrics are per schedule group, so
    they count every schedule of the group) and the runs sent to this task's dead-letter
    queue, which are this task's own failed starts."""
    group = {"ScheduleGroup": schedule_group}
    return [
        graph(
            f"Scheduler (group {schedule_group}): invocations, failed starts",
            [
                metric("AWS/Scheduler", "InvocationAttemptCount", group, stat="Sum"),
                metric("AWS/Scheduler", "TargetErrorCount", group, stat="Sum"),
                metric("AWS/Scheduler", "InvocationDroppedCount", group, stat="Sum"),
            ],
        ),
        graph(
            "Runs not started (sent to the dead-letter queue)",
            [
                metric(
                    "AWS/SQS",
                    "NumberOfMessagesSent",
                    {"QueueName": dead_letter_queue_name},
                    stat="Sum",
                )
            ],
        ),
        dead_letter_widget(dead_letter_queue_name),
    ]


_DASHBOARDS: weakref.WeakKeyDictionary[Stack, ServiceDashboard] = weakref.WeakKeyDictionary()


@jsii.implements(IStableStringProducer)
class _Body:
    def __init__(self, dashboard: ServiceDashboard) -> None:
        self._dashboard = dashboard

    def produce(self) -> str | None:
        return self._dashboard.body()


@checked
class ServiceDashboard(Construct):
    """The stack's CloudWatch dashboard: a text header and a row of graphs per workload,
    added by each :class:`FargateService`, :class:`QueueWorker` and :class:`ScheduledTask`
    (``dashboard=True``, the default), and a ``Url`` output.

    Use :meth:`of` to get (or make) the stack's one dashboard; :meth:`add_section` adds your
    own widgets (CloudWatch dashboard JSON). Attributes: :attr:`dashboard` (the
    ``CfnDashboard``), :attr:`url`.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._sections: list[tuple[str, list[Widget]]] = []
        self.dashboard = cloudwatch.CfnDashboard(
            self, "Resource", dashboard_body=Lazy.string(_Body(self))
        )
        self.url = (
            f"https://console.aws.amazon.com/cloudwatch/home?region={_region()}"
            f"#dashboards:name={self.dashboard.ref}"
        )
        CfnOutput(self, "Url", value=self.url, description="The services' CloudWatch dashboard")
        _DASHBOARDS.setdefault(stack_of(self), self)

    @staticmethod
    def of(scope: Construct) -> ServiceDashboard:
        """The dashboard of ``scope``'s stack, made on first use."""
        stack: Stack = stack_of(scope)
        existing = _DASHBOARDS.get(stack)
        return existing if existing is not None else ServiceDashboard(stack, DASHBOARD_ID)

    @property
    def widget_count(self) -> int:
        return sum(len(widgets) + 1 for _, widgets in self._sections)

    def add_section(self, title: str, widgets: Sequence[Widget]) -> None:
        """A header reading ``title`` and ``widgets`` below it, in rows of 24 columns."""
        if self.widget_count + len(widgets) + 1 > MAX_WIDGETS:
            raise InvalidParameterError(
                "dashboard",
                True,
                f"at most {MAX_WIDGETS} widgets on one CloudWatch dashboard; this stack's "
                f"has {self.widget_count} before {title!r}",
                nearest="dashboard=False for some workloads, or split the stack",
            )
        self._sections.append((title, [dict(widget) for widget in widgets]))

    def body(self) -> str:
        widgets: list[Widget] = []
        y = 0
        for title, section in self._sections:
            widgets.append(
                {
                    "type": "text",
                    "x": 0,
                    "y": y,
                    "width": GRID_WIDTH,
                    "height": 1,
                    "properties": {"markdown": f"## {title}"},
                }
            )
            y += 1
            x = 0
            row_height = 0
            for widget in section:
                if x + widget["width"] > GRID_WIDTH:
                    x, y, row_height = 0, y + row_height, 0
                widgets.append({**widget, "x": x, "y": y})
                x += widget["width"]
                row_height = max(row_height, widget["height"])
            y += row_height
        return stack_of(self).to_json_string({"widgets": widgets})
