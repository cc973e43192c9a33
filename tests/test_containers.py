"""Tasks of several containers: the seed's blog task, registries, EFS, FireLens and tracing.
One app synthesized once per module; each new shape passes the four packs and cfn-lint."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    AppProtocol,
    Container,
    Dependency,
    EfsVolume,
    FargateService,
    FargateTaskWithRoles,
    FireLens,
    HealthCheck,
    InvalidParameterError,
    LoadBalancer,
    Mount,
    NetworkedCluster,
    OperatingSystem,
    Port,
    SharedVolume,
    TaskSize,
    Tracing,
)

from .harness import (
    CERT,
    NGINX,
    REPO_ROOT,
    WAF,
    assert_explained,
    assert_logical_ids,
    cfn_lint,
    execution_role_start_statements,
    make_app,
    nag_findings,
    normalized,
    synth_warnings,
)

# Any kinesisfirehose construct adds this CIDR mapping to its stack, used or not (aws-cdk-lib).
FIREHOSE_MAPPING = "awscdkawskinesisfirehoseCidrBlocks"
PYTHON = "public.ecr.aws/docker/library/python:3.12-alpine"
MEMCACHED = "public.ecr.aws/docker/library/memcached:1.6-alpine"


def blog_task(stack: Stack, network: NetworkedCluster) -> FargateTaskWithRoles:
    """The seed's blog: nginx (port 80, load balanced) in front of an application server
    (port 8000) and memcached (11211), started in order, each as a non-root user."""
    return FargateTaskWithRoles(
        stack,
        "Blog",
        size=TaskSize(512, 1024),
        log_key=network.log_key,
        volumes=[SharedVolume("static")],
        container=Container(
            "nginx",
            ecs.ContainerImage.from_asset(str(REPO_ROOT / "examples" / "blog" / "nginx")),
            ports=(Port(80, name="http", app_protocol=AppProtocol.HTTP),),
            user="101",
            writable_paths=("/var/cache/nginx", "/var/run/nginx"),
            mounts=(Mount("static", "/usr/share/nginx/html/static", read_only=True),),
            memory_reservation_mib=128,
            health_check=HealthCheck(("CMD-SHELL", "curl -fs http://localhost/healthz || exit 1")),
            depends_on={"app": Dependency.HEALTHY},
        ),
        sidecars=[
            Container(
                "app",
                PYTHON,
                command=("python", "-m", "http.server", "8000", "--directory", "/srv"),
                ports=(8000,),
                user="65534",
                mounts=(Mount("static", "/srv/static"),),
                memory_reservation_mib=384,
                health_check=HealthCheck(
                    ("CMD-SHELL", "wget -qO- http://localhost:8000/ || exit 1"),
                    start_period=timedelta(seconds=10),
                ),
                depends_on={"memcached": Dependency.START},
            ),
            Container(
                "memcached",
                MEMCACHED,
                command=("memcached", "-m", "128"),
                ports=(11211,),
                user="11211",
                memory_limit_mib=256,
                memory_reservation_mib=192,
                writable_paths=(),
                stop_timeout=Duration.seconds(10),
            ),
        ],
    )


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stacks: dict[str, Stack] = {}

        stack = self._stack("Blog")
        network = NetworkedCluster(stack, "Network")
        self.blog = blog_task(stack, network)
        self.blog_service = FargateService(
            stack,
            "Web",
            cluster=network,
            task=self.blog,
            load_balancer=LoadBalancer(certificate_arn=CERT, web_acl_arn=WAF),
        )

        stack = self._stack("Registries")
        self.repository = ecr.Repository(stack, "Repo", image_scan_on_push=True)
        self.credentials_key = kms.Key(stack, "CredentialsKey", enable_key_rotation=True)
        self.credentials = secretsmanager.Secret(
            stack, "DockerHub", encryption_key=self.credentials_key
        )
        _ack_unrotated(self.credentials)
        self.registries = FargateTaskWithRoles(
            stack,
            "Task",
            size=TaskSize(512, 1024),
            container=Container(
                "api", ecs.ContainerImage.from_ecr_repository(self.repository, "v1"), user="1000"
            ),
            sidecars=[
                Container(
                    "agent",
                    "docker.io/example/agent:7",
                    registry_credentials=self.credentials,
                    essential=False,
                    user="1000",
                ),
                Container("proxy", NGINX, essential=False, user="101"),
            ],
        )

        stack = self._stack("Efs")
        network = NetworkedCluster(stack, "Network")
        self.file_system = efs.FileSystem(
            stack, "Files", vpc=network.vpc, encrypted=True, enable_automatic_backups=True
        )
        Validations.of(self.file_system).acknowledge(
            *(
                Acknowledgment(
                    id=f"{pack}-EFSInBackupPlan",
                    reason="test fixture: the user's "
                    "file system, backed up by AWS Backup's automatic plan",
                )
                for pack in ("NIST.800.53.R5", "HIPAA.Security")
            )
        )
        self.access_point = self.file_system.add_access_point(
            "AccessPoint",
            path="/uploads",
            posix_user=efs.PosixUser(uid="1000", gid="1000"),
            create_acl=efs.Acl(owner_uid="1000", owner_gid="1000", permissions="750"),
        )
        self.efs_task = FargateTaskWithRoles(
            stack,
            "Task",
            size=TaskSize(256, 512),
            log_key=network.log_key,
            volumes=[
                EfsVolume("uploads", self.file_system, access_point=self.access_point),
                EfsVolume("shared", self.file_system, read_only=True, root_directory="/shared"),
            ],
            container=Container(
                "app",
                PYTHON,
                user="1000",
                mounts=(Mount("uploads", "/data"), Mount("shared", "/shared", read_only=True)),
            ),
        )
        self.efs_service = FargateService(
            stack, "Worker", cluster=network, task=self.efs_task, desired_count=1
        )

        stack = self._stack("Logging")
        self.logged = FargateTaskWithRoles(
            stack,
            "Task",
            size=TaskSize(512, 1024),
            image=PYTHON,
            user="1000",
            log_router=FireLens(),
            tracing=Tracing(),
        )
        stack = self._stack("Firehose")
        self.stream = firehose.DeliveryStream.from_delivery_stream_name(stack, "Stream", "app-logs")
        self.firehose_logged = FargateTaskWithRoles(
            stack,
            "FirehoseTask",
            size=TaskSize(256, 512),
            image=PYTHON,
            user="1000",
            log_router=FireLens(delivery_stream=self.stream),
        )

        self.warnings = synth_warnings(self.app)
        self.templates = {name: Template.from_stack(s).to_json() for name, s in self.stacks.items()}

    def _stack(self, name: str) -> Stack:
        stack = Stack(self.app, name)
        self.stacks[name] = stack
        return stack

    def logical_id(self, stack: str, construct: Any) -> str:
        logical_id: str = self.stacks[stack].resolve(construct.node.default_child.logical_id)
        return logical_id

    def resources(self, stack: str, type_: str) -> dict[str, Any]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack]["Resources"].items()
            if resource["Type"] == type_
        }

    def containers(self, stack: str, task: FargateTaskWithRoles) -> dict[str, dict[str, Any]]:
        definition = self.resources(stack, "AWS::ECS::TaskDefinition")[
            self.logical_id(stack, task.task_definition)
        ]
        return {c["Name"]: c for c in definition["Properties"]["ContainerDefinitions"]}

    def policy(self, stack: str, role: Any) -> list[dict[str, Any]]:
        role_id = self.logical_id(stack, role)
        for policy in self.resources(stack, "AWS::IAM::ManagedPolicy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"][
                    "Statement"
                ]
                return statements
        return []


def _ack_unrotated(secret: secretsmanager.Secret) -> None:
    Validations.of(secret).acknowledge(
        *(
            Acknowledgment(id=rule, reason="test fixture: registry credentials rotate by hand")
            for rule in (
                "AwsSolutions-SMG4",
                "NIST.800.53.R5-SecretsManagerRotationEnabled",
                "HIPAA.Security-SecretsManagerRotationEnabled",
            )
        )
    )


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def test_synthesis_is_warning_free(synth: Synthesized) -> None:
    warnings = [w for w in synth.warnings if FIREHOSE_MAPPING not in w]
    assert warnings == []


def test_every_new_shape_passes_the_four_packs(synth: Synthesized) -> None:
    findings = nag_findings(synth.app)
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("stack", ["Blog", "Registries", "Efs", "Logging", "Firehose"])
def test_cfn_lint_is_clean(synth: Synthesized, stack: str) -> None:
    findings = [
        finding
        for finding in cfn_lint(synth.templates[stack])
        if not (finding.rule_id == "W7001" and FIREHOSE_MAPPING in finding.path)
    ]
    assert findings == [], "\n".join(map(str, findings))


def test_blog_snapshot(synth: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert normalized(synth.templates["Blog"]) == json_snapshot


def test_blog_containers_start_in_order_with_limits_users_and_logs(synth: Synthesized) -> None:
    containers = synth.containers("Blog", synth.blog)
    assert list(containers) == ["nginx", "app", "memcached"]
    assert containers["nginx"]["DependsOn"] == [{"ContainerName": "app", "Condition": "HEALTHY"}]
    assert containers["app"]["DependsOn"] == [{"ContainerName": "memcached", "Condition": "START"}]
    log_group = synth.logical_id("Blog", synth.blog.log_group)
    for name, container in containers.items():
        # Control Tower CT.ECS.PR: a memory hard limit and a non-root user on every container.
        assert container["Memory"] <= 1024
        assert container["User"] not in ("root", "0")
        assert container["ReadonlyRootFilesystem"] is True
        options = container["LogConfiguration"]["Options"]
        assert options["awslogs-group"] == {"Ref": log_group}
        assert options["awslogs-stream-prefix"] == name
    reservations = sum(c["MemoryReservation"] for c in containers.values())
    assert reservations <= 1024
    assert containers["memcached"]["Memory"] == 256
    assert containers["memcached"]["StopTimeout"] == 10


def test_writable_paths_get_task_private_volumes(synth: Synthesized) -> None:
    containers = synth.containers("Blog", synth.blog)
    assert containers["nginx"]["MountPoints"] == [
        {"ContainerPath": "/var/cache/nginx", "ReadOnly": False, "SourceVolume": "var-cache-nginx"},
        {"ContainerPath": "/var/run/nginx", "ReadOnly": False, "SourceVolume": "var-run-nginx"},
        {
            "ContainerPath": "/usr/share/nginx/html/static",
            "ReadOnly": True,
            "SourceVolume": "static",
        },
    ]
    assert containers["app"]["MountPoints"] == [
        {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "app-tmp"},
        {"ContainerPath": "/srv/static", "ReadOnly": False, "SourceVolume": "static"},
    ]
    assert "MountPoints" not in containers["memcached"]
    definition = synth.resources("Blog", "AWS::ECS::TaskDefinition")[
        synth.logical_id("Blog", synth.blog.task_definition)
    ]
    assert definition["Properties"]["Volumes"] == [
        {"Name": "var-cache-nginx"},
        {"Name": "var-run-nginx"},
        {"Name": "app-tmp"},
        {"Name": "static"},
    ]


def test_non_root_container_on_port_80_may_bind_it(synth: Synthesized) -> None:
    nginx = synth.containers("Blog", synth.blog)["nginx"]
    assert nginx["SystemControls"] == [
        {"Namespace": "net.ipv4.ip_unprivileged_port_start", "Value": "80"}
    ]
    assert nginx["PortMappings"] == [
        {"AppProtocol": "http", "ContainerPort": 80, "Name": "http", "Protocol": "tcp"}
    ]
    assert all(
        "SystemControls" not in c
        for n, c in synth.containers("Blog", synth.blog).items()
        if n != "nginx"
    )


def test_load_balancer_targets_the_main_container(synth: Synthesized) -> None:
    service = synth.resources("Blog", "AWS::ECS::Service")[
        synth.logical_id("Blog", synth.blog_service.service)
    ]
    [target] = service["Properties"]["LoadBalancers"]
    assert (target["ContainerName"], target["ContainerPort"]) == ("nginx", 80)
    assert synth.blog_service.target == ("nginx", 80)


def test_execution_role_pulls_exactly_each_image_and_reads_exactly_its_credentials(
    synth: Synthesized,
) -> None:
    repo = synth.logical_id("Registries", synth.repository)
    secret = synth.logical_id("Registries", synth.credentials)
    log_group = synth.logical_id("Registries", synth.registries.log_group)
    statements = synth.policy("Registries", synth.registries.execution_role)
    assert statements == execution_role_start_statements(repo, log_group, secret)
    containers = synth.containers("Registries", synth.registries)
    assert containers["agent"]["RepositoryCredentials"] == {"CredentialsParameter": {"Ref": secret}}
    assert "RepositoryCredentials" not in containers["proxy"]
    key = synth.resources("Registries", "AWS::KMS::Key")[
        synth.logical_id("Registries", synth.credentials_key)
    ]
    role = synth.logical_id("Registries", synth.registries.execution_role)
    decrypt = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Action"] == "kms:Decrypt" and s["Principal"] == {"AWS": {"Fn::GetAtt": [role, "Arn"]}}
    ]
    assert len(decrypt) == 1
    assert "kms:ViaService" in json.dumps(decrypt[0]["Condition"])


def test_efs_volumes_encrypt_in_transit_and_authorize_with_iam(synth: Synthesized) -> None:
    definition = synth.resources("Efs", "AWS::ECS::TaskDefinition")[
        synth.logical_id("Efs", synth.efs_task.task_definition)
    ]
    file_system = synth.logical_id("Efs", synth.file_system)
    access_point = synth.logical_id("Efs", synth.access_point)
    volumes = {v["Name"]: v for v in definition["Properties"]["Volumes"]}
    assert volumes["uploads"]["EFSVolumeConfiguration"] == {
        "AuthorizationConfig": {"AccessPointId": {"Ref": access_point}, "IAM": "ENABLED"},
        "FilesystemId": {"Ref": file_system},
        "TransitEncryption": "ENABLED",
    }
    assert volumes["shared"]["EFSVolumeConfiguration"]["RootDirectory"] == "/shared"


def test_efs_task_role_mounts_exactly_that_file_system(synth: Synthesized) -> None:
    file_system = synth.logical_id("Efs", synth.file_system)
    access_point = synth.logical_id("Efs", synth.access_point)
    statements = synth.policy("Efs", synth.efs_task.task_role)
    assert statements == [
        {
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Condition": {
                "StringEquals": {
                    "elasticfilesystem:AccessPointArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":elasticfilesystem:",
                                {"Ref": "AWS::Region"},
                                ":",
                                {"Ref": "AWS::AccountId"},
                                ":access-point/",
                                {"Ref": access_point},
                            ],
                        ]
                    }
                }
            },
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [file_system, "Arn"]},
        },
        {
            "Action": "elasticfilesystem:ClientMount",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [file_system, "Arn"]},
        },
    ]


def test_service_reaches_the_file_system_on_2049_only(synth: Synthesized) -> None:
    service_group = synth.logical_id("Efs", synth.efs_service.security_group)
    rules = [
        rule["Properties"]
        for rule in synth.resources("Efs", "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"].get("SourceSecurityGroupId")
        == {"Fn::GetAtt": [service_group, "GroupId"]}
    ]
    assert len(rules) == 1
    assert (rules[0]["FromPort"], rules[0]["ToPort"], rules[0]["IpProtocol"]) == (
        2049,
        2049,
        "tcp",
    )


def test_firelens_routes_application_logs_to_the_encrypted_log_group(synth: Synthesized) -> None:
    containers = synth.containers("Logging", synth.logged)
    assert list(containers) == ["app", "log-router", "aws-otel-collector"]
    router = containers["log-router"]
    assert router["FirelensConfiguration"]["Type"] == "fluentbit"
    assert router["Image"] == "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.34.3"
    assert router["LogConfiguration"]["LogDriver"] == "awslogs"
    assert router["User"] == "1000"
    app = containers["app"]
    assert app["LogConfiguration"]["LogDriver"] == "awsfirelens"
    log_group = synth.logical_id("Logging", synth.logged.log_group)
    assert app["LogConfiguration"]["Options"]["log_group_name"] == {"Ref": log_group}
    assert app["LogConfiguration"]["Options"]["auto_create_group"] == "false"
    statements = synth.policy("Logging", synth.logged.task_role)
    assert {
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
    } in statements


def test_tracing_adds_the_collector_and_only_xray_actions(synth: Synthesized) -> None:
    containers = synth.containers("Logging", synth.logged)
    collector = containers["aws-otel-collector"]
    assert collector["Essential"] is False
    assert collector["Command"] == ["--config=/etc/ecs/ecs-xray.yaml"]
    assert collector["HealthCheck"]["Command"] == ["CMD", "/healthcheck"]
    assert containers["app"]["DependsOn"] == [
        {"ContainerName": "aws-otel-collector", "Condition": "START"}
    ]
    statements = synth.policy("Logging", synth.logged.task_role)
    xray = [s for s in statements if "xray" in json.dumps(s["Action"])]
    assert xray == [
        {
            "Action": [
                "xray:GetSamplingRules",
                "xray:GetSamplingStatisticSummaries",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
            "Effect": "Allow",
            "Resource": "*",
        }
    ]
    assert synth.resources("Logging", "AWS::IAM::Policy") == {}


def test_firelens_to_firehose_grants_exactly_that_stream(synth: Synthesized) -> None:
    statements = synth.policy("Firehose", synth.firehose_logged.task_role)
    assert len(statements) == 1
    assert statements[0]["Action"] == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert ":deliverystream/app-logs" in json.dumps(statements[0]["Resource"])
    app = synth.containers("Firehose", synth.firehose_logged)["app"]
    assert app["LogConfiguration"]["Options"]["delivery_stream"] == "app-logs"


def test_a_container_without_memory_settings_reserves_what_the_others_leave(
    synth: Synthesized,
) -> None:
    containers = synth.containers("Firehose", synth.firehose_logged)
    assert (containers["app"]["Memory"], containers["app"]["MemoryReservation"]) == (512, 462)
    router = containers["log-router"]
    assert (router["Memory"], router["MemoryReservation"]) == (256, 50)


# ---------------------------------------------------------------- bad input


def _task(**props: Any) -> FargateTaskWithRoles:
    app = make_app()
    stack = Stack(app, "Bad")
    props.setdefault("size", TaskSize(512, 1024))
    return FargateTaskWithRoles(stack, "Task", **props)


def _c(name: str, **props: Any) -> Container:
    return Container(name, NGINX, **props)


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda: _c("my app"), ["name='my app' is not valid", "1 to 255 letters", "'my-app'"]),
        (lambda: _c(""), ["name='' is not valid"]),
        (
            lambda: _task(container=_c("a"), sidecars=[_c("a", essential=False)]),
            ["name='a' is not valid", "used once"],
        ),
        (
            lambda: _task(container=_c("a", essential=False)),
            ["essential=False is not valid", "at least one essential"],
        ),
        (
            lambda: _task(container=_c("a", cpu=400), sidecars=[_c("b", cpu=200)]),
            ["cpu=200 is not valid", "at most the task's 512", "nearest valid: cpu=112"],
        ),
        (
            lambda: _task(container=_c("a", memory_limit_mib=4096)),
            ["memory_limit_mib=4096", "at most the task's memory (1024 MiB)"],
        ),
        (
            lambda: _task(
                container=_c("a", memory_reservation_mib=800),
                sidecars=[_c("b", memory_limit_mib=512)],
            ),
            ["memory_reservation_mib=512", "summing to at most the task's memory"],
        ),
        (
            lambda: _c("a", memory_limit_mib=256, memory_reservation_mib=512),
            ["memory_reservation_mib=512", "at most the container's memory_limit_mib (256)"],
        ),
        (lambda: _c("a", memory_limit_mib=2), ["The unit is MiB", "memory_limit_mib=2048"]),
        (
            lambda: _task(container=_c("a", depends_on={"b": Dependency.START})),
            ["depends_on='b' is not valid", "a container of the task (a)"],
        ),
        (
            lambda: _task(
                container=_c("a", depends_on={"b": Dependency.START}),
                sidecars=[_c("b", essential=False, depends_on={"a": Dependency.START})],
            ),
            ["a start order without cycles", "a -> b -> a"],
        ),
        (
            lambda: _task(
                container=_c("a", depends_on={"b": Dependency.HEALTHY}),
                sidecars=[_c("b")],
            ),
            ["HEALTHY only on a container with a health check"],
        ),
        (
            lambda: _task(
                container=_c("a", depends_on={"b": Dependency.SUCCESS}),
                sidecars=[_c("b")],
            ),
            ["SUCCESS only on a non-essential container", "essential=False"],
        ),
        (
            lambda: _task(container=_c("a", ports=(80,)), sidecars=[_c("b", ports=(80,))]),
            ["ports=80 is not valid", "share one network namespace", "nearest valid: ports=[81]"],
        ),
        (
            lambda: _task(
                container=_c("a", ports=(Port(80, name="web"),)),
                sidecars=[_c("b", ports=(Port(81, name="web"),))],
            ),
            ["port name='web' is not valid", "used once in the task"],
        ),
        (lambda: Port(80, name="Web Port"), ["port name='Web Port'", "lowercase"]),
        (
            lambda: _c("a", writable_paths=("var/cache",)),
            ["writable_paths='var/cache' is not valid", "absolute", "'/var/cache'"],
        ),
        (
            lambda: _c("a", writable_paths=("/var/cache", "/var/cache/nginx")),
            ["writable_paths='/var/cache/nginx'", "neither repeat nor contain"],
        ),
        (
            lambda: _task(container=_c("a", mounts=(Mount("static", "/srv"),))),
            ["mounts='static' is not valid", "declare it in FargateTaskWithRoles(volumes"],
        ),
        (
            lambda: _task(
                size=TaskSize(
                    1024, 2048, operating_system=OperatingSystem.WINDOWS_SERVER_2022_CORE
                ),
                container=_c("a", user="1000"),
            ),
            ["user='1000' is not valid", "Windows"],
        ),
        (
            lambda: _task(
                size=TaskSize(
                    1024, 2048, operating_system=OperatingSystem.WINDOWS_SERVER_2022_CORE
                ),
                image=NGINX,
                log_router=FireLens(),
            ),
            ["log_router='FireLens' is not valid", "only for Linux tasks"],
        ),
        (lambda: Container("a", "nginx: 1.27"), ["image='nginx: 1.27' is not valid"]),
        (lambda: Container("a", "my repo/app:1"), ["image='my repo/app:1'"]),
        (
            lambda: _c("a", cpu="1024"),
            ["cpu='1024' is not valid", "nearest valid: cpu=int('1024')"],
        ),
        (
            lambda: _task(image=NGINX, container_port="8080"),
            ["container_port='8080'", "container_port=int('8080')"],
        ),
        (lambda: _task(image=NGINX, size=None, cpu="1024", memory_mib=2048), ["cpu='1024'"]),
        (
            lambda: _task(image=NGINX, size=None, cpu=1024, memory_mib=3),
            ["memory_mib=3 is not valid", "The unit is MiB: 3 GiB is 3072"],
        ),
        (lambda: _c("a", stop_timeout=timedelta(minutes=5)), ["stop_timeout='5 min'", "2 to 120"]),
        (
            lambda: _c("a", health_check=HealthCheck(("CMD", "true"), interval=timedelta(0))),
            ["health_check.interval='0 s'", "5 to 300"],
        ),
        (lambda: _c("a", ports=80), ["ports=80 is not valid", "nearest valid: ports=[80]"]),
        (
            lambda: _task(image=NGINX, container=_c("a")),
            ["image='given' is not valid", "nothing when container= is given"],
        ),
        (
            lambda: _c("a", registry_credentials="arn:aws:secretsmanager:..."),
            ["registry_credentials='arn:aws:secretsmanager:...'", "secretsmanager.ISecret"],
        ),
        (lambda: _c("a", user="my user"), ["user='my user' is not valid"]),
        (
            lambda: _task(
                image=NGINX,
                readonly_root_filesystem=False,
                sidecars=[_c("b", essential=False, readonly_root_filesystem=True)],
                enable_exec=True,
            ),
            ["readonly_root_filesystem=True is not valid for container 'b'", "ECS Exec"],
        ),
    ],
)
def test_bad_container_input_is_explained(make: Any, fragments: list[str]) -> None:
    assert_explained(make, fragments)


def _service_with(task_props: dict[str, Any], **service_props: Any) -> FargateService:
    app = make_app()
    stack = Stack(app, "Bad")
    network = NetworkedCluster(stack, "Network")
    task = FargateTaskWithRoles(stack, "Task", size=TaskSize(512, 1024), **task_props)
    return FargateService(stack, "Service", cluster=network, task=task, **service_props)


@pytest.mark.parametrize(
    ("service_props", "fragments"),
    [
        ({"target_container": "cache"}, ["target_container='cache'", "(a, b)"]),
        ({"target_container": "b", "target_port": 9000}, ["target_port=9000", "(8000)"]),
        ({"target_container": "a"}, ["load_balancer='LoadBalancer'", "has no port"]),
    ],
)
def test_bad_load_balancer_target_is_explained(
    service_props: dict[str, Any], fragments: list[str]
) -> None:
    task_props = {"container": _c("a"), "sidecars": [_c("b", ports=(8000,))]}
    assert_explained(
        lambda: _service_with(
            task_props, load_balancer=LoadBalancer(certificate_arn=CERT), **service_props
        ),
        fragments,
    )


def test_a_sidecar_port_can_be_the_load_balancer_target() -> None:
    task_props = {"container": _c("a"), "sidecars": [_c("b", ports=(8000,))]}
    service = _service_with(
        task_props, load_balancer=LoadBalancer(certificate_arn=CERT), target_container="b"
    )
    assert service.target == ("b", 8000)


def test_file_system_in_another_vpc_is_an_error() -> None:
    app = make_app()
    stack = Stack(app, "Bad")
    network = NetworkedCluster(stack, "Network")
    other = NetworkedCluster(stack, "Other")
    file_system = efs.FileSystem(stack, "Files", vpc=other.vpc, encrypted=True)
    task = FargateTaskWithRoles(
        stack,
        "Task",
        size=TaskSize(256, 512),
        volumes=[EfsVolume("files", file_system)],
        container=_c("a", mounts=(Mount("files", "/data"),)),
    )
    with pytest.raises(InvalidParameterError, match="mount targets in the cluster's VPC"):
        FargateService(stack, "Service", cluster=network, task=task)


def test_logical_ids_of_a_multi_container_task_are_stable(synth: Synthesized) -> None:
    assert_logical_ids(
        synth.templates["Blog"],
        {
            "BlogTaskRole": "AWS::IAM::Role",
            "BlogExecutionRole": "AWS::IAM::Role",
            "BlogExecutionRolePolicy": "AWS::IAM::ManagedPolicy",
            "BlogLogGroup": "AWS::Logs::LogGroup",
            "BlogTaskDefinition": "AWS::ECS::TaskDefinition",
            "WebService": "AWS::ECS::Service",
            "WebSecurityGroup": "AWS::EC2::SecurityGroup",
        },
    )
