"""Services that talk to each other and to the world: Service Connect between a web service and
two backends (one gRPC), a gRPC service behind an internal ALB, network load balancers (TCP,
UDP, TLS), a custom domain, source restrictions. Synthesized once per module."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    AppProtocol,
    BlueGreenDeployment,
    CanaryDeployment,
    Container,
    Domain,
    FargateService,
    FargateTaskWithRoles,
    HealthCheckProtocol,
    InvalidParameterError,
    LoadBalancer,
    NetworkedCluster,
    NetworkLoadBalancer,
    NlbProtocol,
    Port,
    ProtocolVersion,
    RollingDeployment,
    ServiceConnect,
    SharedLoadBalancer,
    TargetHealth,
    TaskSize,
    Transport,
)

from .harness import (
    CERT,
    assert_explained,
    assert_logical_ids,
    cfn_lint,
    make_app,
    nag_findings,
    normalized,
    synth_warnings,
)

WAF = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop/11111111-2222-3333-4444-5555"
IMAGE = "public.ecr.aws/docker/library/busybox:1.36"
STACKS = ["Shop", "Edge"]


def task(scope: Stack, id: str, *ports: Port) -> FargateTaskWithRoles:
    return FargateTaskWithRoles(
        scope,
        id,
        size=TaskSize(256, 512),
        container=Container("app", IMAGE, ports=list(ports), user="1000"),
    )


def zone(scope: Stack) -> route53.IHostedZone:
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id="Z0123456789ABCDEFGHIJ", zone_name="example.com"
    )


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        shop = Stack(self.app, "Shop")
        self.cluster = NetworkedCluster(shop, "Network", service_connect_namespace="shop.internal")
        self.orders = FargateService(
            shop,
            "Orders",
            cluster=self.cluster,
            task=task(shop, "OrdersTask", Port(50051, app_protocol=AppProtocol.GRPC)),
            service_connect=ServiceConnect(per_request_timeout=Duration.seconds(10)),
        )
        self.stock = FargateService(
            shop,
            "Stock",
            cluster=self.cluster,
            task=task(shop, "StockTask", Port(8080, name="http", app_protocol=AppProtocol.HTTP)),
            service_connect=ServiceConnect(dns_name="stock", alias_port=80),
        )
        self.web = FargateService(
            shop,
            "Web",
            cluster=self.cluster,
            task=task(shop, "WebTask", Port(8080)),
            connects_to=[self.orders],
            load_balancer=LoadBalancer(
                domain=Domain("shop.example.com", zone(shop), extra_names=("www.example.com",)),
                allowed_cidrs=("203.0.113.0/24", "2001:db8::/32"),
                health=TargetHealth(stickiness=Duration.hours(1), slow_start=timedelta(seconds=60)),
                idle_timeout=Duration.seconds(120),
                web_acl_arn=WAF,
            ),
            health_check_grace_period=Duration.seconds(30),
        )
        self.stock.allow_from(self.web)
        internal = SharedLoadBalancer(
            shop,
            "Internal",
            cluster=self.cluster,
            public=False,
            certificate=acm.Certificate.from_certificate_arn(shop, "Imported", CERT),
        )
        self.api = FargateService(
            shop,
            "Api",
            cluster=self.cluster,
            task=task(shop, "ApiTask", Port(9090, app_protocol=AppProtocol.GRPC)),
            load_balancer=internal.route(priority=10, path_patterns=["/shop.Api/*"]),
        )

        edge = Stack(self.app, "Edge")
        cluster = NetworkedCluster(edge, "Network")
        self.mqtt = FargateService(
            edge,
            "Mqtt",
            cluster=cluster,
            task=task(edge, "MqttTask", Port(1883)),
            load_balancer=NetworkLoadBalancer(allowed_cidrs=("198.51.100.0/24",)),
        )
        self.dns = FargateService(
            edge,
            "Dns",
            cluster=cluster,
            task=task(edge, "DnsTask", Port(53, transport=Transport.UDP), Port(8053)),
            load_balancer=NetworkLoadBalancer(
                protocol=NlbProtocol.UDP, public=False, health_check_port=8053
            ),
            deployment=RollingDeployment(min_healthy_percent=0, max_healthy_percent=100),
        )
        self.tls = FargateService(
            edge,
            "Tls",
            cluster=cluster,
            task=task(edge, "TlsTask", Port(8443)),
            load_balancer=NetworkLoadBalancer(
                protocol=NlbProtocol.TLS,
                port=443,
                domain=Domain("mq.example.com", zone(edge)),
                health_check_protocol=HealthCheckProtocol.HTTP,
                health=TargetHealth(path="/healthz"),
            ),
        )
        self.stacks = {"Shop": shop, "Edge": edge}
        self.warnings = synth_warnings(self.app)
        self.templates = {name: Template.from_stack(s) for name, s in self.stacks.items()}

    def resources(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource["Properties"]
            for logical_id, resource in self.templates[stack].to_json()["Resources"].items()
            if resource["Type"] == kind
        }

    def logical_id(self, construct: Any) -> str:
        stack = Stack.of(construct)
        child = construct.node.default_child or construct
        return str(stack.resolve(stack.get_logical_id(child)))


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def _group(synth: Synthesized, service: FargateService) -> dict[str, str]:
    return {"Fn::GetAtt": [synth.logical_id(service.security_group), "GroupId"]}


def test_service_connect_opens_exactly_the_server_port_to_exactly_the_client(
    synth: Synthesized,
) -> None:
    edges = {
        (str(rule["GroupId"]), str(rule["SourceSecurityGroupId"]), rule["FromPort"], rule["ToPort"])
        for rule in synth.resources("Shop", "AWS::EC2::SecurityGroupIngress").values()
        if rule["Description"].startswith("Service Connect")
    }
    web = str(_group(synth, synth.web))
    assert edges == {
        (str(_group(synth, synth.orders)), web, 50051, 50051),
        (str(_group(synth, synth.stock)), web, 8080, 8080),
    }
    groups = synth.resources("Shop", "AWS::EC2::SecurityGroup")
    for backend in (synth.orders, synth.stock):
        # A backend service admits nothing but its declared callers.
        assert "SecurityGroupIngress" not in groups[synth.logical_id(backend.security_group)]


def test_service_connect_configuration_and_proxy_logs(synth: Synthesized) -> None:
    services = synth.resources("Shop", "AWS::ECS::Service")
    namespace = next(iter(synth.resources("Shop", "AWS::ServiceDiscovery::HttpNamespace")))
    assert synth.resources("Shop", "AWS::ServiceDiscovery::HttpNamespace")[namespace] == {
        "Name": "shop.internal"
    }
    expected_services = {
        synth.orders: [
            {
                "ClientAliases": [{"DnsName": "orders", "Port": 50051}],
                "DiscoveryName": "orders",
                "PortName": "app-50051",
                "Timeout": {"PerRequestTimeoutSeconds": 10},
            }
        ],
        synth.stock: [
            {
                "ClientAliases": [{"DnsName": "stock", "Port": 80}],
                "DiscoveryName": "stock",
                "PortName": "http",
            }
        ],
        synth.web: None,
    }
    for service, expected in expected_services.items():
        config = services[synth.logical_id(service.service)]["ServiceConnectConfiguration"]
        assert config["Enabled"] is True
        assert config["Namespace"] == {"Fn::GetAtt": [namespace, "Arn"]}
        assert config.get("Services") == expected
        log = config["LogConfiguration"]
        assert log["LogDriver"] == "awslogs"
        assert log["Options"]["awslogs-group"] == {"Ref": synth.logical_id(service.task.log_group)}
        assert log["Options"]["awslogs-stream-prefix"] == "service-connect"
    assert synth.api.endpoint is None
    assert synth.orders.url == "http://orders:50051"
    assert synth.stock.url == "http://stock:80"


def test_clients_deploy_after_their_servers(synth: Synthesized) -> None:
    template = synth.templates["Shop"].to_json()["Resources"]
    depends_on = template[synth.logical_id(synth.web.service)]["DependsOn"]
    assert synth.logical_id(synth.orders.service) in depends_on
    assert synth.logical_id(synth.stock.service) in depends_on


def test_custom_domain_gets_a_dns_validated_certificate_and_alias_records(
    synth: Synthesized,
) -> None:
    certificates = list(synth.resources("Shop", "AWS::CertificateManager::Certificate").values())
    assert certificates == [
        {
            "DomainName": "shop.example.com",
            "SubjectAlternativeNames": ["www.example.com"],
            "DomainValidationOptions": [
                {"DomainName": "shop.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"},
                {"DomainName": "www.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"},
            ],
            "ValidationMethod": "DNS",
            "Tags": [{"Key": "Name", "Value": "Shop/Web/LoadBalancer/Certificate"}],
        }
    ]
    records = synth.resources("Shop", "AWS::Route53::RecordSet").values()
    assert sorted((r["Name"], r["Type"]) for r in records) == [
        ("shop.example.com.", "A"),
        ("www.example.com.", "A"),
    ]
    alb = synth.logical_id(synth.web.load_balancer)
    for record in records:
        assert record["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"
        assert record["AliasTarget"]["HostedZoneId"] == {
            "Fn::GetAtt": [alb, "CanonicalHostedZoneID"]
        }
    listeners = synth.resources("Shop", "AWS::ElasticLoadBalancingV2::Listener")
    https = next(p for p in listeners.values() if p["Port"] == 443 and p.get("Certificates"))
    assert https["Certificates"] == [
        {"CertificateArn": {"Ref": synth.logical_id(synth.web.attachment.shared.certificate)}}  # type: ignore[union-attr]
    ]
    outputs = synth.templates["Shop"].to_json()["Outputs"]
    assert {"Value": "https://shop.example.com"}.items() <= next(
        o for k, o in outputs.items() if k.startswith("WebLoadBalancerUrl")
    ).items()


def test_allowed_cidrs_are_the_only_client_ingress(synth: Synthesized) -> None:
    groups = synth.resources("Shop", "AWS::EC2::SecurityGroup")
    alb_group = groups[synth.logical_id(synth.web.attachment.shared.security_group)]  # type: ignore[union-attr]
    sources = sorted(
        (rule.get("CidrIp") or rule.get("CidrIpv6"), rule["FromPort"])
        for rule in alb_group["SecurityGroupIngress"]
    )
    assert sources == [
        ("2001:db8::/32", 80),
        ("2001:db8::/32", 443),
        ("203.0.113.0/24", 80),
        ("203.0.113.0/24", 443),
    ]


def test_target_group_options(synth: Synthesized) -> None:
    groups = synth.resources("Shop", "AWS::ElasticLoadBalancingV2::TargetGroup")
    web = groups[synth.logical_id(synth.web.target_group)]
    attributes = {a["Key"]: a["Value"] for a in web["TargetGroupAttributes"]}
    assert attributes["stickiness.enabled"] == "true"
    assert attributes["stickiness.type"] == "lb_cookie"
    assert attributes["stickiness.lb_cookie.duration_seconds"] == "3600"
    assert attributes["slow_start.duration_seconds"] == "60"
    assert "ProtocolVersion" not in web
    api = groups[synth.logical_id(synth.api.target_group)]
    assert api["ProtocolVersion"] == "GRPC"
    assert api["Matcher"] == {"GrpcCode": "12"}
    assert api["HealthCheckPath"] == "/AWS.ALB/healthcheck"
    balancers = synth.resources("Shop", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    web_alb = balancers[synth.logical_id(synth.web.load_balancer)]
    attributes = {a["Key"]: a["Value"] for a in web_alb["LoadBalancerAttributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == "120"


def test_tcp_network_load_balancer(synth: Synthesized) -> None:
    nlb = synth.mqtt.network_load_balancer
    assert nlb is not None
    listeners = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::Listener")
    listener = listeners[synth.logical_id(nlb.listener)]
    assert (listener["Port"], listener["Protocol"]) == (1883, "TCP")
    group = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::TargetGroup")[
        synth.logical_id(nlb.target_group)
    ]
    assert (group["Port"], group["Protocol"], group["TargetType"]) == (1883, "TCP", "ip")
    assert group["HealthCheckProtocol"] == "TCP"
    attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "30"
    balancer = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::LoadBalancer")[
        synth.logical_id(nlb.load_balancer)
    ]
    assert balancer["Type"] == "network"
    assert balancer["SecurityGroups"] == [
        {"Fn::GetAtt": [synth.logical_id(nlb.security_group), "GroupId"]}
    ]
    groups = synth.resources("Edge", "AWS::EC2::SecurityGroup")
    assert groups[synth.logical_id(nlb.security_group)]["SecurityGroupIngress"] == [
        {
            "CidrIp": "198.51.100.0/24",
            "Description": "Clients from 198.51.100.0/24",
            "FromPort": 1883,
            "IpProtocol": "tcp",
            "ToPort": 1883,
        }
    ]
    tasks = groups[synth.logical_id(synth.mqtt.security_group)]["SecurityGroupIngress"]
    assert tasks == [
        {
            "Description": "From the network load balancer",
            "FromPort": 1883,
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {
                "Fn::GetAtt": [synth.logical_id(nlb.security_group), "GroupId"]
            },
            "ToPort": 1883,
        }
    ]
    service = synth.resources("Edge", "AWS::ECS::Service")[synth.logical_id(synth.mqtt.service)]
    assert service["LoadBalancers"][0]["ContainerPort"] == 1883
    assert service["AvailabilityZoneRebalancing"] == "ENABLED"


def test_udp_network_load_balancer_checks_a_tcp_port(synth: Synthesized) -> None:
    nlb = synth.dns.network_load_balancer
    assert nlb is not None
    group = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::TargetGroup")[
        synth.logical_id(nlb.target_group)
    ]
    assert (group["Port"], group["Protocol"]) == (53, "UDP")
    assert (group["HealthCheckProtocol"], group["HealthCheckPort"]) == ("TCP", "8053")
    tasks = synth.resources("Edge", "AWS::EC2::SecurityGroup")[
        synth.logical_id(synth.dns.security_group)
    ]["SecurityGroupIngress"]
    assert sorted((r["IpProtocol"], r["FromPort"]) for r in tasks) == [("tcp", 8053), ("udp", 53)]
    service = synth.resources("Edge", "AWS::ECS::Service")[synth.logical_id(synth.dns.service)]
    # max_healthy_percent=100 leaves ECS no room to rebalance: off, deliberately.
    assert service["AvailabilityZoneRebalancing"] == "DISABLED"


def test_tls_network_load_balancer_ends_tls_with_its_certificate(synth: Synthesized) -> None:
    nlb = synth.tls.network_load_balancer
    assert nlb is not None
    listener = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::Listener")[
        synth.logical_id(nlb.listener)
    ]
    assert (listener["Port"], listener["Protocol"]) == (443, "TLS")
    assert listener["Certificates"] == [
        {"CertificateArn": {"Ref": synth.logical_id(nlb.certificate)}}
    ]
    assert listener["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    group = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::TargetGroup")[
        synth.logical_id(nlb.target_group)
    ]
    assert (group["Port"], group["Protocol"]) == (8443, "TCP")
    assert (group["HealthCheckProtocol"], group["HealthCheckPath"]) == ("HTTP", "/healthz")
    balancer = synth.resources("Edge", "AWS::ElasticLoadBalancingV2::LoadBalancer")[
        synth.logical_id(nlb.load_balancer)
    ]
    attributes = {a["Key"]: a["Value"] for a in balancer["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert synth.tls.url == "tls://mq.example.com:443"


def test_logical_ids_are_stable(synth: Synthesized) -> None:
    assert_logical_ids(
        synth.templates["Shop"].to_json(),
        {
            "NetworkClusterDefaultServiceDiscoveryNamespace": (
                "AWS::ServiceDiscovery::HttpNamespace"
            ),
            "WebServiceConnectToShopOrders[0-9A-F]{8}": "AWS::EC2::SecurityGroupIngress",
            "WebLoadBalancerCertificate": "AWS::CertificateManager::Certificate",
            "WebLoadBalancerAliasshopexamplecom": "AWS::Route53::RecordSet",
        },
    )
    assert_logical_ids(
        synth.templates["Edge"].to_json(),
        {
            "MqttNetworkLoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "MqttNetworkLoadBalancerListener": "AWS::ElasticLoadBalancingV2::Listener",
            "MqttNetworkLoadBalancerTargetGroup": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "MqttNetworkLoadBalancerSecurityGroup": "AWS::EC2::SecurityGroup",
        },
    )


def test_synthesizes_without_warnings(synth: Synthesized) -> None:
    assert synth.warnings == []


@pytest.mark.parametrize("stack", STACKS)
def test_compliance_packs_are_clean(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in nag_findings(synth.stacks[stack])] == []


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_is_clean(synth: Synthesized, stack: str) -> None:
    assert [str(f) for f in cfn_lint(synth.templates[stack].to_json())] == []


@pytest.mark.parametrize("stack", STACKS)
def test_snapshot(synth: Synthesized, stack: str, json_snapshot: SnapshotAssertion) -> None:
    assert normalized(synth.templates[stack].to_json()) == json_snapshot


def test_durations_accept_aws_cdk_duration() -> None:
    health = TargetHealth(interval=Duration.seconds(15), deregistration_delay=Duration.minutes(1))
    assert (health.interval, health.deregistration_delay) == (
        timedelta(seconds=15),
        timedelta(minutes=1),
    )
    assert TargetHealth(stickiness=Duration.days(1)).stickiness == timedelta(days=1)
    assert CanaryDeployment(step_bake_time=Duration.minutes(3)).step_bake_time == timedelta(
        minutes=3
    )
    # A Duration that is not whole seconds is an InvalidParameterError, not a jsii error.
    with pytest.raises(InvalidParameterError, match=r"stickiness='0\.5 s'.*whole seconds"):
        TargetHealth(stickiness=Duration.millis(500))


# Bad input: each a synth-time InvalidParameterError naming parameter, value, allowed, nearest.


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (
            lambda z: Domain("shop_example.com", z),
            ["domain.name='shop_example.com'", "fully qualified DNS name", "'shop-example.com'"],
        ),
        (
            lambda z: Domain("shop.example.org", z),
            [
                "domain.name='shop.example.org'",
                "inside the hosted zone 'example.com'",
                "'shop.example.com'",
            ],
        ),
        (
            lambda z: Domain("shop.example.com", z, extra_names=("api.other.net",)),
            ["domain.extra_names='api.other.net'", "'api.example.com'"],
        ),
        (
            lambda z: LoadBalancer(allowed_cidrs=["10.0.0.1/16"], allow_plain_http=True),
            ["allowed_cidrs='10.0.0.1/16'", "CIDR notation", "'10.0.0.0/16'"],
        ),
        (
            lambda z: LoadBalancer(allowed_cidrs=["everyone"], allow_plain_http=True),
            ["allowed_cidrs='everyone'"],
        ),
        (
            lambda z: LoadBalancer(certificate=CERT + " "),
            ["certificate=", "an ACM certificate ARN", f"nearest valid: certificate='{CERT}'"],
        ),
        (
            lambda z: LoadBalancer(certificate="arn:aws:acm:eu-west-1:123:certificate/abc"),
            ["certificate=", "12-digit account"],
        ),
        (
            lambda z: TargetHealth(stickiness=timedelta(days=8)),
            ["stickiness='8 d'", "1 to 604800"],
        ),
        (
            lambda z: TargetHealth(healthy_grpc_codes="200"),
            ["healthy_grpc_codes='200'", "0 to 99"],
        ),
        (
            lambda z: NetworkLoadBalancer(protocol=NlbProtocol.TLS),
            ["certificate=None", "TLS listener", "protocol=NlbProtocol.TLS"],
        ),
        (
            lambda z: NetworkLoadBalancer(
                protocol=NlbProtocol.UDP, health_check_protocol=HealthCheckProtocol.HTTP
            ),
            ["health_check_protocol='HTTP'", "TCP port of the container", "health_check_port="],
        ),
        (
            lambda z: NetworkLoadBalancer(certificate=CERT),
            ["certificate=", "protocol=NlbProtocol.TLS"],
        ),
        (
            lambda z: ServiceConnect(dns_name="Orders Service"),
            ["dns_name='Orders Service'", "DNS name", "dns_name='orders-service'"],
        ),
    ],
)
def test_bad_values_are_explained(make: Any, fragments: list[str]) -> None:
    stack = Stack(make_app(), "Bad")
    assert_explained(lambda: make(zone(stack)), fragments)


class Bad:
    """A fresh stack with a Service Connect cluster and one server, for the wiring errors."""

    def __init__(self) -> None:
        self.stack = Stack(make_app(), "Bad")
        self.cluster = NetworkedCluster(self.stack, "Net", service_connect_namespace="a.internal")
        self.server = FargateService(
            self.stack,
            "Orders",
            cluster=self.cluster,
            task=task(self.stack, "OrdersTask", Port(8080)),
            service_connect=ServiceConnect(),
        )

    def service(self, id: str, port: Port | None = None, **props: Any) -> FargateService:
        return FargateService(
            self.stack,
            id,
            cluster=props.pop("cluster", self.cluster),
            task=task(self.stack, f"{id}Task", port or Port(8080)),
            **props,
        )


@pytest.fixture(scope="module")
def bad() -> Bad:
    return Bad()


def test_a_client_of_a_server_in_another_cluster_is_refused(bad: Bad) -> None:
    other = NetworkedCluster(bad.stack, "Other", service_connect_namespace="b.internal")
    with pytest.raises(InvalidParameterError) as raised:
        bad.service("Stranger", cluster=other, connects_to=[bad.server])
    assert "connects_to='Bad/Orders'" in str(raised.value)
    assert "servers in the client's cluster and Service Connect namespace" in str(raised.value)


def test_connects_to_takes_a_list(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError, match=r"nearest valid: connects_to=\[orders\]"):
        bad.service("Single", connects_to=bad.server)


def test_calling_a_service_that_is_not_a_server_is_refused(bad: Bad) -> None:
    plain = bad.service("Plain")
    with pytest.raises(InvalidParameterError, match="Service Connect servers"):
        bad.service("Caller", connects_to=[plain])


def test_a_dns_name_is_used_once_per_namespace(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        bad.service("Orders2", service_connect=ServiceConnect(dns_name="orders"))
    assert "dns_name='orders'" in str(raised.value)
    assert "taken by Bad/Orders" in str(raised.value)
    assert "dns_name='orders-2'" in str(raised.value)


def test_service_connect_needs_a_namespace_on_the_cluster(bad: Bad) -> None:
    bare = NetworkedCluster(bad.stack, "Bare")
    with pytest.raises(InvalidParameterError) as raised:
        bad.service("Lonely", cluster=bare, service_connect=ServiceConnect())
    assert "service_connect_namespace='internal'" in str(raised.value)


def test_an_unknown_port_name_is_refused(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        bad.service("Named", service_connect=ServiceConnect(port_name="grpc"))
    assert "port_name='grpc'" in str(raised.value)
    assert "nearest valid: port_name='app-8080'" in str(raised.value)


def test_a_port_name_used_twice_in_a_task_is_refused(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError, match=r"port name='web'.*used once in the task"):
        FargateTaskWithRoles(
            bad.stack,
            "Twice",
            size=TaskSize(256, 512),
            container=Container("app", IMAGE, ports=[Port(8080, name="web")], user="1"),
            sidecars=[Container("proxy", IMAGE, ports=[Port(9090, name="web")], user="1")],
        )


def test_grpc_behind_a_plain_http_listener_is_refused(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        bad.service(
            "Grpc",
            port=Port(9090, app_protocol=AppProtocol.GRPC),
            load_balancer=LoadBalancer(allow_plain_http=True),
        )
    assert "protocol_version='ProtocolVersion.GRPC'" in str(raised.value)
    assert "only from an HTTPS listener" in str(raised.value)


def test_stickiness_with_a_canary_deployment_is_refused(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        bad.service(
            "Sticky",
            load_balancer=LoadBalancer(
                certificate=CERT, health=TargetHealth(stickiness=timedelta(hours=1))
            ),
            deployment=CanaryDeployment(),
        )
    assert "stickiness='1 h'" in str(raised.value)
    assert "BlueGreenDeployment()" in str(raised.value)


def test_a_network_load_balancer_with_blue_green_is_refused(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        bad.service(
            "BlueNlb", load_balancer=NetworkLoadBalancer(), deployment=BlueGreenDeployment()
        )
    assert "deployment='BlueGreenDeployment(...)'" in str(raised.value)
    assert "nearest valid: deployment=RollingDeployment()" in str(raised.value)


def test_a_network_load_balancer_needs_the_port_transport(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError, match="has no UDP port 8080"):
        bad.service(
            "Udp",
            load_balancer=NetworkLoadBalancer(protocol=NlbProtocol.UDP, health_check_port=8080),
        )


def test_az_rebalancing_needs_room_above_100_percent(bad: Bad) -> None:
    with pytest.raises(InvalidParameterError, match=r"az_rebalancing=True.*max_healthy_percent"):
        bad.service(
            "Tight",
            az_rebalancing=True,
            deployment=RollingDeployment(min_healthy_percent=0, max_healthy_percent=100),
        )


def test_grpc_protocol_version_can_be_chosen_on_a_route() -> None:
    route_health = TargetHealth(protocol_version=ProtocolVersion.GRPC)
    props = route_health.target_group_props(route_health.resolved_version(None))
    assert props["health_check"].healthy_grpc_codes == "12"
    assert props["health_check"].path == "/AWS.ALB/healthcheck"


def test_diagram_shows_service_connect_calls_and_nlb_traffic(synth: Synthesized) -> None:
    from fargate_constructs.cli.cloud_assembly import read_assembly
    from fargate_constructs.cli.diagram import mermaid

    text = mermaid(read_assembly(Path(synth.app.synth().directory)))
    web, orders, stock = (
        synth.logical_id(s.service) for s in (synth.web, synth.orders, synth.stock)
    )
    assert f'{web} -->|"calls orders:50051"| {orders}' in text.replace("Shop_", "")
    assert f'{web} -->|"calls stock:80"| {stock}' in text.replace("Shop_", "")
    nlb = synth.mqtt.network_load_balancer
    assert nlb is not None
    lb, group = synth.logical_id(nlb.load_balancer), synth.logical_id(nlb.target_group)
    assert f"{lb} -- 1883 --> {group}" in text.replace("Edge_", "")


def test_client_and_server_in_different_stacks() -> None:
    """The edge's rule lives in the client's stack, so the client stack depends on the server
    stack and never the reverse (no cycle)."""
    app = make_app()
    platform = Stack(app, "Platform")
    cluster = NetworkedCluster(platform, "Network", service_connect_namespace="p.internal")
    backend_stack, web_stack = Stack(app, "Backend"), Stack(app, "Frontend")
    server = FargateService(
        backend_stack,
        "Orders",
        cluster=cluster,
        task=task(backend_stack, "OrdersTask", Port(8080)),
        service_connect=ServiceConnect(),
    )
    client = FargateService(
        web_stack,
        "Web",
        cluster=cluster,
        task=task(web_stack, "WebTask", Port(8080)),
        connects_to=[server],
    )
    assembly = app.synth()
    rules = Template.from_stack(web_stack).find_resources("AWS::EC2::SecurityGroupIngress")
    assert len(rules) == 1
    assert Template.from_stack(backend_stack).find_resources("AWS::EC2::SecurityGroupIngress") == {}
    assert backend_stack in web_stack.dependencies
    assert web_stack not in backend_stack.dependencies
    assert {s.stack_name for s in assembly.stacks} == {"Platform", "Backend", "Frontend"}
    assert client.url is None
