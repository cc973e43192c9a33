"""cdk-monitoring-constructs takes the L2 objects our constructs expose: a MonitoringFacade over
a FargateService behind an ALB, a QueueWorker and a ScheduledTask's dead-letter queue
synthesizes, beside our own dashboard."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk.assertions import Template
from cdk_monitoring_constructs import MonitoringFacade

from fargate_constructs import (
    FargateService,
    LoadBalancer,
    NetworkedCluster,
    QueueWorker,
    ScheduledTask,
)

from .harness import CERT, WAF, make_app, nginx_task


def test_monitoring_facade_over_our_constructs() -> None:
    app = make_app()
    stack = Stack(app, "Monitored")
    net = NetworkedCluster(stack, "Net")
    web = FargateService(
        stack,
        "Web",
        cluster=net,
        task=nginx_task(stack, net, "WebTask", 8080),
        load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
    )
    worker = QueueWorker(stack, "Worker", cluster=net, task=nginx_task(stack, net, "WorkerTask"))
    job = ScheduledTask(
        stack,
        "Nightly",
        cluster=net,
        task=nginx_task(stack, net, "JobTask"),
        schedule="rate(1 day)",
    )
    assert web.load_balancer is not None
    assert web.target_group is not None

    monitoring = MonitoringFacade(stack, "Monitoring")
    monitoring.monitor_simple_fargate_service(fargate_service=web.service)
    monitoring.monitor_fargate_application_load_balancer(
        fargate_service=web.service,
        application_load_balancer=web.load_balancer,
        application_target_group=web.target_group,
    )
    monitoring.monitor_simple_fargate_service(fargate_service=worker.service.service)
    monitoring.monitor_sqs_queue_with_dlq(
        queue=worker.queue, dead_letter_queue=worker.dead_letter_queue
    )
    monitoring.monitor_sqs_queue(queue=job.dead_letter_queue)

    template = Template.from_stack(stack).to_json()
    dashboards = [
        key for key, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    # Ours (one per stack) and the facade's own.
    assert any(key.startswith("FargateDashboard") for key in dashboards)
    assert any(key.startswith("Monitoring") for key in dashboards)
    body = str(
        next(
            r["Properties"]["DashboardBody"]
            for key, r in template["Resources"].items()
            if key.startswith("Monitoring") and r["Type"] == "AWS::CloudWatch::Dashboard"
        )
    )
    for metric in ("CPUUtilization", "HealthyHostCount", "ApproximateNumberOfMessagesVisible"):
        assert metric in body, metric
