"""The sidecars the library knows how to add: the FireLens log router (AWS for Fluent Bit)
and the AWS Distro for OpenTelemetry collector exporting traces to X-Ray. Each is a value
object that becomes a :class:`~fargate_constructs.containers.Container` with the same
guarantees as any other (logs, memory limit, read-only root, non-root user)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .containers import Container, HealthCheck, check_container_name
from .doors import checked
from .errors import InvalidParameterError
from .validation import expect_int, expect_interface, expect_str

if TYPE_CHECKING:
    from aws_cdk import aws_kinesisfirehose as kinesisfirehose

FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit"
DEFAULT_FLUENT_BIT_TAG = "2.34.3"
ADOT_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector"
DEFAULT_ADOT_TAG = "v0.41.1"
LOG_ROUTER_NAME = "log-router"
COLLECTOR_NAME = "aws-otel-collector"
XRAY_ACTIONS = (
    "xray:GetSamplingRules",
    "xray:GetSamplingStatisticSummaries",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)


def _check_tag(tag: Any) -> str:
    value = expect_str("image_tag", tag)
    if not value or any(ch.isspace() for ch in value) or value == "latest":
        raise InvalidParameterError(
            "image_tag",
            value,
            "a pinned version tag (not 'latest', no spaces)",
            nearest=f"image_tag={DEFAULT_FLUENT_BIT_TAG!r}",
        )
    return value


@checked
@dataclass(frozen=True, kw_only=True)
class FireLens:
    """Route the application containers' logs through a Fluent Bit log router (FireLens).

    :param delivery_stream: a Firehose ``IDeliveryStream`` to send application logs to;
        default: the task's KMS-encrypted CloudWatch log group, one stream per container.
    :param image_tag: AWS for Fluent Bit version (pinned default).
    :param memory_reservation_mib: the router's reservation (default 50).
    :param user: the router's user (default ``"1000"``; ECS runs FireLens as non-root since
        agent 1.96.0, October 2025).

    The router's own logs go to the task's log group (stream prefix ``log-router``). The task
    role gets exactly the destination's write permissions.
    """

    delivery_stream: kinesisfirehose.IDeliveryStream | None = None
    image_tag: str = DEFAULT_FLUENT_BIT_TAG
    memory_reservation_mib: int = 50
    user: str = "1000"

    def __post_init__(self) -> None:
        _check_tag(self.image_tag)
        expect_int("memory_reservation_mib", self.memory_reservation_mib)
        expect_str("user", self.user)
        if self.delivery_stream is not None:
            expect_interface(
                "delivery_stream",
                self.delivery_stream,
                "delivery_stream_name",
                "a kinesisfirehose.IDeliveryStream, or None for the task's log group",
            )

    def container(self) -> Container:
        return Container(
            LOG_ROUTER_NAME,
            f"{FLUENT_BIT_IMAGE}:{self.image_tag}",
            essential=True,
            memory_reservation_mib=self.memory_reservation_mib,
            memory_limit_mib=256,
            user=self.user,
        )


@checked
@dataclass(frozen=True, kw_only=True)
class Tracing:
    """Add the AWS Distro for OpenTelemetry collector as a sidecar that exports traces to
    X-Ray. Applications send OTLP to ``localhost:4317`` (gRPC) or ``localhost:4318`` (HTTP).

    The collector is not essential (tracing never takes the application down), starts before
    the main container, and runs as a non-root user with a read-only root. The task role gets
    the X-Ray write and sampling actions in its customer-managed policy.
    """

    image_tag: str = DEFAULT_ADOT_TAG
    memory_reservation_mib: int = 64
    user: str = "10001"
    name: str = COLLECTOR_NAME

    def __post_init__(self) -> None:
        _check_tag(self.image_tag)
        expect_int("memory_reservation_mib", self.memory_reservation_mib)
        expect_str("user", self.user)
        check_container_name(self.name)

    def container(self) -> Container:
        return Container(
            self.name,
            f"{ADOT_IMAGE}:{self.image_tag}",
            essential=False,
            command=("--config=/etc/ecs/ecs-xray.yaml",),
            memory_reservation_mib=self.memory_reservation_mib,
            memory_limit_mib=256,
            user=self.user,
            health_check=HealthCheck(command=("CMD", "/healthcheck")),
        )
