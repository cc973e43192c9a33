#!/usr/bin/env python3
"""Example app, composed only from fargate_constructs' public API: what `make synth` builds.

A platform stack shared by three service stacks, environment-agnostic unless an account and
region are given as context:

* FargatePlatform: a NetworkedCluster (one NAT gateway, the Service Connect namespace) and one
  public HTTPS load balancer with a WAF web ACL, which every service stack uses;
* FargateWeb: a rolling web service on the shared load balancer that stops a bad deployment
  after two failed tasks and finishes once every new task is healthy, with target-tracking
  autoscaling;
* FargateWorker: a QueueWorker (encrypted SQS queue with a dead-letter queue) on ARM64 and
  mostly FARGATE_SPOT that scales on backlog per task, down to zero;
* FargateBatch: a ScheduledTask started nightly by EventBridge Scheduler, and on demand by a
  launcher role granted with grant_run (the iam:PassRole path);
* FargateEks (only with ``-c eks=true``): a Fargate-only EKS cluster in the same network, one
  profile for the ``shop`` namespace, pod logging, and one IRSA pod role.
* FargateManaged (only with ``-c ecs_managed=true``): the front doors ECS runs itself, in the
  same network: an ECS Gateway with a service connected to it, and an Express Mode service.

The service stacks import the platform's values through CloudFormation exports (strong
references, see cdk.json and the README): deploy the platform first (``cdk deploy --all`` does),
and destroy a service stack before removing it from this file.

Context (``cdk synth -c key=value``):
  account, region       pin the environment (default: environment-agnostic)
  certificate_arn       ACM certificate for the HTTPS listener; otherwise one is requested
  domain_name           for domain_name (DNS validation) - default from cdk.json
  demo=true             plain HTTP, no certificate, no deletion protection (demos only)
  restrict_default_security_group=false
                        skip the Lambda that empties the default security group (emulators)
  services=web,batch    only these service stacks (default: web,worker,batch)
  eks=true              also the FargateEks stack
  ecs_managed=true      also the FargateManaged stack (ECS Gateway, Express Mode)
  eks_admin_role_name   the role given cluster admin on the EKS cluster (default eks-admin)
  launcher_role_name    the role (e.g. your CI's) that may assume the report launcher role
                        (default ci-report-launcher)
  service_connect_namespace=
                        no Cloud Map namespace (emulators); default example.internal
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from fargate_constructs import (
    Architecture,
    AutoScaling,
    BacklogTracking,
    Capacity,
    CircuitBreaker,
    Container,
    EarlySuccess,
    EcsGateway,
    EksFargateCluster,
    ExpressScaling,
    ExpressService,
    FargateConstructsError,
    FargateProfile,
    FargateService,
    FargateTaskWithRoles,
    ManagedPolicyRole,
    ManagedWebAcl,
    NetworkedCluster,
    PodSelector,
    Port,
    QueueWorker,
    RevisionCleanup,
    RollingDeployment,
    ScheduledTask,
    SharedLoadBalancer,
    TargetHealth,
    TargetTracking,
    TaskSize,
    synth,
)

PYTHON_IMAGE = "public.ecr.aws/docker/library/python:3.12-alpine"
# The python image runs as root unless told otherwise; 65534 is "nobody" in nearly every image
# (a numeric uid works even where /etc/passwd does not name it).
NON_ROOT_USER = "65534"
WEB_PORT = 8080


def _context_flag(app: Construct, key: str, default: bool = False) -> bool:
    value = app.node.try_get_context(key)
    if value is None:
        return default
    return str(value).lower() in ("true", "1", "yes")


class PlatformStack(Stack):
    """What every service stack shares: the network and cluster (one NAT gateway), the Service
    Connect namespace, and one HTTPS load balancer with a WAF web ACL."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        demo = _context_flag(self, "demo")
        # restrict_default_security_group=false only for emulators that cannot run its Lambda.
        restrict = _context_flag(self, "restrict_default_security_group", default=True)
        # An empty service_connect_namespace leaves it out (moto cannot create Cloud Map
        # namespaces through CloudFormation).
        namespace = self.node.try_get_context("service_connect_namespace")
        self.network = NetworkedCluster(
            self,
            "Network",
            restrict_default_security_group=restrict,
            service_connect_namespace=(
                "example.internal" if namespace is None else (str(namespace) or None)
            ),
        )
        certificate = None if demo else self._certificate()
        # AWS managed rules: core rule set, IP reputation list, known bad inputs; logged.
        self.web_acl = ManagedWebAcl(self, "WebAcl", log_key=self.network.log_key)
        self.load_balancer = SharedLoadBalancer(
            self,
            "LoadBalancer",
            cluster=self.network,
            certificate=certificate,
            allow_plain_http=demo,
            deletion_protection=not demo,
            web_acl_arn=self.web_acl.arn,
        )

    def _certificate(self) -> str | acm.ICertificate:
        given = self.node.try_get_context("certificate_arn")
        if given:
            return str(given)
        domain = str(self.node.try_get_context("domain_name"))
        return acm.Certificate(
            self,
            "Certificate",
            domain_name=domain,
            validation=acm.CertificateValidation.from_dns(),
        )


class WebStack(Stack):
    """A rolling web service on the platform's load balancer, with autoscaling."""

    def __init__(
        self, scope: Construct, id: str, *, platform: PlatformStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        network = platform.network
        task = FargateTaskWithRoles(
            self,
            "WebTask",
            image=ecs.ContainerImage.from_registry(PYTHON_IMAGE),
            size=TaskSize(256, 512),
            command=["python", "-m", "http.server", str(WEB_PORT), "--directory", "/tmp"],
            container_port=WEB_PORT,
            log_key=network.log_key,
            user=NON_ROOT_USER,
        )
        self.service = FargateService(
            self,
            "Web",
            cluster=network,
            task=task,
            load_balancer=platform.load_balancer.route(priority=10, path_patterns=["/*"]),
            deployment=RollingDeployment(
                # Two failed tasks stop (and roll back) a bad deployment; ECS's default for a
                # 2-task service waits for three.
                circuit_breaker=CircuitBreaker(failed_tasks=2),
                # Done once every new task is healthy; the old ones drain in the background.
                early_success=EarlySuccess(healthy_percent=100, cleanup=RevisionCleanup.DEFERRED),
            ),
            scaling=AutoScaling(
                min_capacity=2,
                max_capacity=10,
                target_tracking=TargetTracking(cpu_percent=60, requests_per_target=1000),
            ),
        )


class WorkerStack(Stack):
    """A queue worker: its own encrypted queue with a dead-letter queue, an ARM64 task on mostly
    Spot, scaled on backlog per task down to zero."""

    def __init__(
        self, scope: Construct, id: str, *, platform: PlatformStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        network = platform.network
        task = FargateTaskWithRoles(
            self,
            "WorkerTask",
            image=ecs.ContainerImage.from_registry(PYTHON_IMAGE),
            size=TaskSize(512, 1024, architecture=Architecture.ARM64),
            command=["python", "-c", "import time; time.sleep(3600)"],
            log_key=network.log_key,
            user=NON_ROOT_USER,
        )
        self.worker = QueueWorker(
            self,
            "Worker",
            cluster=network,
            task=task,  # gets QUEUE_URL and may consume exactly this queue
            capacity=Capacity(on_demand_weight=1, spot_weight=3),
            scaling=AutoScaling(
                min_capacity=0,
                max_capacity=10,
                # A job takes ~6 s and may wait 2 min: 20 jobs per task.
                backlog_tracking=BacklogTracking(backlog_per_task=20),
            ),
        )
        self.queue = self.worker.queue
        self.service = self.worker.service


class BatchStack(Stack):
    """A one-off task, started nightly by EventBridge Scheduler and on demand by a launcher
    role."""

    def __init__(
        self, scope: Construct, id: str, *, platform: PlatformStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        network = platform.network
        self.task = FargateTaskWithRoles(
            self,
            "ReportTask",
            image=ecs.ContainerImage.from_registry(PYTHON_IMAGE),
            size=TaskSize.smallest_for(vcpu=1, memory_gib=3),
            command=["python", "-c", "print('nightly report')"],
            log_key=network.log_key,
            user=NON_ROOT_USER,
            family="nightly-report",
        )
        # Its role may only start this task (RunTask + PassRole) and report failed starts.
        self.nightly = ScheduledTask(
            self,
            "Nightly",
            cluster=network,
            task=self.task,
            schedule="cron(0 2 * * ? *)",
            time_zone="Europe/Berlin",
            flexible_window=Duration.minutes(15),
        )
        # Only the one role named by launcher_role_name may assume the launcher (not every
        # principal of the account): whoever can start the task chooses its command and
        # security groups, which IAM cannot limit for RunTask.
        launcher_role_name = str(
            self.node.try_get_context("launcher_role_name") or "ci-report-launcher"
        )
        self.launcher = ManagedPolicyRole(
            self,
            "LauncherRole",
            assumed_by=iam.AccountPrincipal(self.account).with_conditions(
                {
                    "ArnEquals": {
                        "aws:PrincipalArn": self.format_arn(
                            service="iam",
                            region="",
                            resource="role",
                            resource_name=launcher_role_name,
                        )
                    }
                }
            ),
            description="Starts the report task on demand (CI)",
        )
        # CI waits for the run and may stop it; the schedule above only starts it.
        self.task.grant_run(self.launcher, cluster=network, manage_tasks=True)


class EksStack(Stack):
    """Fargate on EKS beside the ECS services, in the same network: a Fargate-only cluster,
    the ``shop`` namespace on Fargate, pod logs, and a pod role for ``shop/web``."""

    def __init__(
        self, scope: Construct, id: str, *, platform: PlatformStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        admin = str(self.node.try_get_context("eks_admin_role_name") or "eks-admin")
        self.kube = EksFargateCluster(
            self,
            "Kube",
            cluster=platform.network,
            profiles=[FargateProfile(name="shop", selectors=[PodSelector(namespace="shop")])],
            admin_principal_arn=self.format_arn(
                service="iam", region="", resource="role", resource_name=admin
            ),
            max_pods=10,
        )
        # What the shop's web pods may call in AWS is granted on this role.
        self.web_role = self.kube.pod_role("shop", "web")


class ManagedFrontDoorsStack(Stack):
    """The front doors ECS runs itself, beside the services behind the shared load balancer:
    an ECS Gateway (ECS makes its load balancers) with the catalog service connected, and the
    status page on Express Mode. Both in the platform's network and cluster."""

    def __init__(
        self, scope: Construct, id: str, *, platform: PlatformStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        network = platform.network
        self.gateway = EcsGateway(
            self,
            "Gateway",
            cluster=network,
            web_acl_arn=platform.web_acl.arn,
            deletion_protection=not _context_flag(self, "demo"),
        )
        task = FargateTaskWithRoles(
            self,
            "CatalogTask",
            container=Container(
                "catalog",
                PYTHON_IMAGE,
                ports=(Port(WEB_PORT, name="catalog"),),
                command=("python", "-m", "http.server", str(WEB_PORT)),
                user=NON_ROOT_USER,
            ),
            size=TaskSize(256, 512),
            log_key=network.log_key,
        )
        self.catalog = FargateService(
            self,
            "Catalog",
            cluster=network,
            task=task,
            load_balancer=self.gateway.connector(port_name="catalog", health=TargetHealth()),
        )
        self.status = ExpressService(
            self,
            "Status",
            container=Container("status", PYTHON_IMAGE, ports=(WEB_PORT,)),
            size=TaskSize(256, 512),
            cluster=network,
            scaling=ExpressScaling(min_tasks=1, max_tasks=2),
        )


def environment(app: App) -> Environment | None:
    account = app.node.try_get_context("account")
    region = app.node.try_get_context("region")
    if account is None and region is None:
        return None
    return Environment(account=account, region=region)


SERVICE_STACKS: dict[
    str,
    tuple[str, type[WebStack | WorkerStack | BatchStack | EksStack | ManagedFrontDoorsStack], str],
] = {
    "web": ("FargateWeb", WebStack, "web"),
    "worker": ("FargateWorker", WorkerStack, "queue worker"),
    "batch": ("FargateBatch", BatchStack, "scheduled batch task"),
    "eks": ("FargateEks", EksStack, "Fargate on EKS"),
    "ecs_managed": ("FargateManaged", ManagedFrontDoorsStack, "ECS Gateway and Express Mode"),
}
DEFAULT_SERVICES = ("web", "worker", "batch")


def build(app: App) -> dict[str, Stack]:
    """The platform stack and the service stacks named by the ``services`` context
    (comma-separated, default ``web,worker,batch``), ``FargateEks`` with ``eks=true`` and
    ``FargateManaged`` with ``ecs_managed=true``."""
    env = environment(app)
    wanted = str(app.node.try_get_context("services") or ",".join(DEFAULT_SERVICES)).split(",")
    for flag in ("eks", "ecs_managed"):
        if _context_flag(app, flag):
            wanted.append(flag)
    unknown = sorted(set(wanted) - set(SERVICE_STACKS))
    if unknown:
        raise SystemExit(f"error: unknown services {unknown}; known: {', '.join(SERVICE_STACKS)}")
    platform = PlatformStack(
        app,
        "FargatePlatform",
        env=env,
        description="fargate-constructs example: network, cluster, shared load balancer",
    )
    stacks: dict[str, Stack] = {"FargatePlatform": platform}
    for key, (name, kind, what) in SERVICE_STACKS.items():
        if key in wanted:
            stacks[name] = kind(
                app,
                name,
                platform=platform,
                env=env,
                description=f"fargate-constructs example: {what}",
            )
    return stacks


if __name__ == "__main__":
    app = App()
    build(app)
    try:
        synth(app)
    except FargateConstructsError as error:
        # One readable error for `cdk synth`, not a jsii traceback.
        raise SystemExit(f"error: {error}") from None
