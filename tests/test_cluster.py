from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template
from hypothesis import given
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import FargateConstructsError, InvalidParameterError, NetworkedCluster
from fargate_constructs.cluster import subnet_prefix_for, usable_ips_per_subnet

from .harness import (
    assert_logical_ids,
    cfn_lint,
    make_app,
    nag_findings,
    normalized,
    synth_warnings,
)

STACKS: dict[str, dict[str, Any]] = {
    "Default": {},
    "NoNat": {"nat_gateways": 0},
    "TwoNat": {"nat_gateways": 2},
    "NatWithEndpoints": {"vpc_endpoints": True},
}
# Turning flow logs off is the user's call; the packs then rightly report it.
NO_FLOW_LOGS = {"flow_logs": False, "container_insights": False}


def _adopted_vpc(stack: Stack, *, private: bool) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack,
        "ExistingVpc",
        vpc_id="vpc-0123456789abcdef0",
        vpc_cidr_block="10.20.0.0/16",
        availability_zones=["us-east-1a", "us-east-1b"],
        public_subnet_ids=["subnet-0000000000000000a", "subnet-0000000000000000b"],
        public_subnet_route_table_ids=["rtb-0000000000000000a", "rtb-0000000000000000b"],
        private_subnet_ids=(
            ["subnet-0000000000000000c", "subnet-0000000000000000d"] if private else None
        ),
        private_subnet_route_table_ids=(
            ["rtb-0000000000000000c", "rtb-0000000000000000d"] if private else None
        ),
    )


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stacks: dict[str, Stack] = {}
        self.clusters: dict[str, NetworkedCluster] = {}
        for name, props in STACKS.items():
            stack = Stack(self.app, name)
            self.stacks[name] = stack
            self.clusters[name] = NetworkedCluster(stack, "Net", **props)
        no_flow_logs = Stack(self.app, "NoFlowLogs")
        self.stacks["NoFlowLogs"] = no_flow_logs
        self.clusters["NoFlowLogs"] = NetworkedCluster(no_flow_logs, "Net", **NO_FLOW_LOGS)
        adopted = Stack(self.app, "Adopted")
        self.stacks["Adopted"] = adopted
        self.clusters["Adopted"] = NetworkedCluster(
            adopted, "Net", vpc=_adopted_vpc(adopted, private=True)
        )
        self.warnings = synth_warnings(self.app)
        self.templates = {name: Template.from_stack(stack) for name, stack in self.stacks.items()}


@pytest.fixture(scope="module")
def synthesized() -> Synthesized:
    return Synthesized()


def _subnets_by_type(template: Template) -> dict[str, int]:
    counts: dict[str, int] = {}
    for subnet in template.find_resources("AWS::EC2::Subnet").values():
        tags = {tag["Key"]: tag["Value"] for tag in subnet["Properties"]["Tags"]}
        subnet_type = tags["aws-cdk:subnet-type"]
        counts[subnet_type] = counts.get(subnet_type, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("Default", {"Public": 2, "Private": 2}),
        ("NoNat", {"Public": 2, "Isolated": 2}),
        ("TwoNat", {"Public": 2, "Private": 2}),
    ],
)
def test_one_public_and_one_private_subnet_per_az(
    synthesized: Synthesized, stack: str, expected: dict[str, int]
) -> None:
    assert _subnets_by_type(synthesized.templates[stack]) == expected


def test_public_subnets_do_not_hand_out_public_ips(synthesized: Synthesized) -> None:
    for subnet in synthesized.templates["Default"].find_resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_subnets_split_the_cidr_evenly(synthesized: Synthesized) -> None:
    blocks = sorted(
        subnet["Properties"]["CidrBlock"]
        for subnet in synthesized.templates["Default"].find_resources("AWS::EC2::Subnet").values()
    )
    assert blocks == ["10.0.0.0/18", "10.0.128.0/18", "10.0.192.0/18", "10.0.64.0/18"]


@pytest.mark.parametrize(("stack", "nat_count"), [("NoNat", 0), ("Default", 1), ("TwoNat", 2)])
def test_nat_gateway_count(synthesized: Synthesized, stack: str, nat_count: int) -> None:
    synthesized.templates[stack].resource_count_is("AWS::EC2::NatGateway", nat_count)


def test_private_subnets_route_through_nat(synthesized: Synthesized) -> None:
    synthesized.templates["Default"].resource_properties_count_is(
        "AWS::EC2::Route",
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": Match.any_value()},
        2,
    )


def _endpoint_services(template: Template) -> set[str]:
    services = set()
    for endpoint in template.find_resources("AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        text = name if isinstance(name, str) else str(name)
        found = re.search(r"\.(ecr\.api|ecr\.dkr|logs|secretsmanager|ssm|s3)\b", text)
        assert found, text
        services.add(f"{found.group(1)}:{endpoint['Properties'].get('VpcEndpointType')}")
    return services


TASK_START_ENDPOINTS = {
    "ecr.api:Interface",
    "ecr.dkr:Interface",
    "logs:Interface",
    "secretsmanager:Interface",
    "ssm:Interface",
    "s3:Gateway",
}


def test_isolated_subnets_get_the_endpoints_tasks_need_to_start(
    synthesized: Synthesized,
) -> None:
    template = synthesized.templates["NoNat"]
    assert _endpoint_services(template) == TASK_START_ENDPOINTS
    template.resource_properties_count_is(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True}, 5
    )


def test_endpoints_admit_only_https_from_the_vpc(synthesized: Synthesized) -> None:
    template = synthesized.templates["NoNat"]
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupIngress": [
                {"CidrIp": "10.0.0.0/16", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"}
            ]
        },
    )


def test_endpoints_are_optional_with_nat(synthesized: Synthesized) -> None:
    synthesized.templates["Default"].resource_count_is("AWS::EC2::VPCEndpoint", 0)
    assert _endpoint_services(synthesized.templates["NatWithEndpoints"]) == TASK_START_ENDPOINTS


def test_task_subnets_follow_nat_choice(synthesized: Synthesized) -> None:
    assert synthesized.clusters["Default"].task_subnet_type == ec2.SubnetType.PRIVATE_WITH_EGRESS
    assert synthesized.clusters["NoNat"].task_subnet_type == ec2.SubnetType.PRIVATE_ISOLATED
    assert synthesized.clusters["Adopted"].task_subnet_type == ec2.SubnetType.PRIVATE_WITH_EGRESS


def test_adopted_vpc_creates_no_network(synthesized: Synthesized) -> None:
    template = synthesized.templates["Adopted"]
    for resource_type in (
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::NatGateway",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::FlowLog",
    ):
        template.resource_count_is(resource_type, 0)
    template.resource_count_is("AWS::ECS::Cluster", 1)
    cluster = synthesized.clusters["Adopted"]
    selected = cluster.vpc.select_subnets(subnet_type=cluster.task_subnet_type)
    assert selected.subnet_ids == ["subnet-0000000000000000c", "subnet-0000000000000000d"]


@pytest.mark.parametrize("stack", ["Default", "NoNat", "Adopted"])
def test_cluster_has_fargate_and_spot_and_container_insights(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.templates[stack]
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )
    template.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        {"CapacityProviders": ["FARGATE", "FARGATE_SPOT"]},
    )


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(
    synthesized: Synthesized,
) -> None:
    template = synthesized.templates["Default"]
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"},
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 365, "KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_flow_logs_and_insights_can_be_turned_off_and_nag_says_so(
    synthesized: Synthesized,
) -> None:
    template = synthesized.templates["NoFlowLogs"]
    template.resource_count_is("AWS::EC2::FlowLog", 0)
    template.resource_count_is("AWS::Logs::LogGroup", 0)
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "disabled"}]},
    )
    rules = sorted(finding.rule_id for finding in nag_findings(synthesized.stacks["NoFlowLogs"]))
    assert rules == [
        "AwsSolutions-ECS4",
        "AwsSolutions-VPC7",
        "HIPAA.Security-VPCFlowLogsEnabled",
        "NIST.800.53.R5-VPCFlowLogsEnabled",
        "PCI.DSS.321-VPCFlowLogsEnabled",
    ]


def test_flow_log_role_trusts_only_flow_logs_of_this_account(
    synthesized: Synthesized,
) -> None:
    # aws:SourceArn as well as aws:SourceAccount (0.7.0 had only the account), as AWS's
    # flow-log role documentation shows against the confused deputy.
    synthesized.templates["Default"].has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                            "ArnLike": {
                                "aws:SourceArn": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            ":ec2:",
                                            {"Ref": "AWS::Region"},
                                            ":",
                                            {"Ref": "AWS::AccountId"},
                                            ":vpc-flow-log/*",
                                        ],
                                    ]
                                }
                            },
                        },
                    }
                ]
            }
        },
    )


def test_log_key_lets_only_this_accounts_log_groups_use_it(synthesized: Synthesized) -> None:
    key = next(iter(synthesized.templates["Default"].find_resources("AWS::KMS::Key").values()))
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    logs_statement = next(
        s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"
    )
    condition = logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert "log-group:*" in str(condition)
    assert "AWS::AccountId" in str(condition)


def test_default_security_group_is_restricted(synthesized: Synthesized) -> None:
    synthesized.templates["Default"].resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_synthesis_emits_no_warnings(synthesized: Synthesized) -> None:
    assert synthesized.warnings == []


@pytest.mark.parametrize("stack", [*STACKS, "Adopted"])
def test_no_unacknowledged_nag_findings(synthesized: Synthesized, stack: str) -> None:
    findings = nag_findings(synthesized.stacks[stack])
    assert [str(finding) for finding in findings] == []


@pytest.mark.parametrize("stack", [*STACKS, "Adopted"])
def test_cfn_lint_is_clean(synthesized: Synthesized, stack: str) -> None:
    findings = cfn_lint(synthesized.templates[stack].to_json())
    assert [str(finding) for finding in findings] == []


def test_default_stack_snapshot(synthesized: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert normalized(synthesized.templates["Default"].to_json()) == json_snapshot


# Logical IDs are a contract with users: a change replaces the resource in their stacks.
DEFAULT_LOGICAL_IDS = {
    "NetLogKey": "AWS::KMS::Key",
    "NetVpc": "AWS::EC2::VPC",
    "NetVpcPublicSubnet1Subnet": "AWS::EC2::Subnet",
    "NetVpcPrivateSubnet1Subnet": "AWS::EC2::Subnet",
    "NetVpcPublicSubnet1NATGateway": "AWS::EC2::NatGateway",
    "NetFlowLogGroup": "AWS::Logs::LogGroup",
    "NetFlowLogRole": "AWS::IAM::Role",
    "NetFlowLog": "AWS::EC2::FlowLog",
    "NetCluster": "AWS::ECS::Cluster",
    "NetCapacityProviders": "AWS::ECS::ClusterCapacityProviderAssociations",
}


def test_logical_ids_are_stable(synthesized: Synthesized) -> None:
    assert_logical_ids(synthesized.templates["Default"].to_json(), DEFAULT_LOGICAL_IDS)


def test_logical_ids_snapshot(synthesized: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert sorted(synthesized.templates["Default"].to_json()["Resources"]) == json_snapshot


# --- bad input: each raises at construction, naming the parameter, the value, what is allowed


def _build(**props: Any) -> None:
    NetworkedCluster(Stack(App(), "Bad"), "Net", **props)


@pytest.mark.parametrize(
    ("props", "fragments"),
    [
        ({"max_azs": 0}, ["max_azs=0", "1 or more", "nearest valid: max_azs=1"]),
        (
            {"nat_gateways": -1},
            ["nat_gateways=-1", "up to max_azs=2", "nearest valid: nat_gateways=0"],
        ),
        (
            {"nat_gateways": 3, "max_azs": 2},
            ["nat_gateways=3", "up to max_azs=2", "nearest valid: nat_gateways=2"],
        ),
        ({"cidr": "banana"}, ["cidr='banana'", "CIDR notation"]),
        ({"cidr": "10.0.0.1/16"}, ["cidr='10.0.0.1/16'", "no host bits", "cidr='10.0.0.0/16'"]),
        ({"cidr": "10.0.0.0/8"}, ["cidr='10.0.0.0/8'", "/16 to /28", "cidr='10.0.0.0/16'"]),
        ({"cidr": "10.0.0.0/30"}, ["cidr='10.0.0.0/30'", "/16 to /28", "cidr='10.0.0.0/28'"]),
        (
            {"cidr": "10.0.0.0/27"},
            [
                "cidr='10.0.0.0/27'",
                "4 subnets of at least /28",
                "nearest valid: cidr='10.0.0.0/26'",
            ],
        ),
        (
            {"cidr": "10.0.0.0/26", "max_azs": 3},
            ["cidr='10.0.0.0/26'", "6 subnets", "nearest valid: cidr='10.0.0.0/25'"],
        ),
        (
            {"nat_gateways": 0, "vpc_endpoints": False},
            ["vpc_endpoints=False", "nat_gateways=0", "never start"],
        ),
    ],
)
def test_bad_input_is_explained(props: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        _build(**props)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message
    assert isinstance(raised.value, FargateConstructsError)
    assert isinstance(raised.value, ValueError)
    assert raised.value.parameter == next(iter(props)) or raised.value.parameter in props


def test_adopted_vpc_without_private_subnets_is_an_error() -> None:
    stack = Stack(App(), "Bad")
    with pytest.raises(InvalidParameterError, match=r"vpc='Bad/ExistingVpc'.*private"):
        NetworkedCluster(stack, "Net", vpc=_adopted_vpc(stack, private=False))


def test_bad_input_creates_nothing() -> None:
    stack = Stack(App(), "Bad")
    with pytest.raises(InvalidParameterError):
        NetworkedCluster(stack, "Net", max_azs=0)
    assert stack.node.try_find_child("Net") is None


@given(
    network=st.builds(
        lambda address, prefix: ipaddress.IPv4Network((address, prefix), strict=False),
        st.integers(0, 2**32 - 1),
        st.integers(16, 28),
    ),
    max_azs=st.integers(1, 6),
)
def test_subnet_split_fits_or_is_refused(network: ipaddress.IPv4Network, max_azs: int) -> None:
    fits = network.prefixlen + (2 * max_azs - 1).bit_length() <= 28
    if not fits:
        with pytest.raises(InvalidParameterError, match="nearest valid: cidr="):
            subnet_prefix_for(str(network), max_azs)
        return
    prefix = subnet_prefix_for(str(network), max_azs)
    assert prefix <= 28
    assert 2 * max_azs * (1 << (32 - prefix)) <= network.num_addresses
    assert usable_ips_per_subnet(prefix) >= 11


def test_the_log_key_denies_grants_not_for_aws_resources() -> None:
    """Control Tower's KMS.PR.3: a principal allowed the key may not hand it on by grant."""
    stack = Stack(make_app(), "Keys")
    cluster = NetworkedCluster(stack, "Network")
    policy = stack.resolve(cluster.log_key.node.default_child.key_policy)  # type: ignore[union-attr]
    (deny,) = [s for s in policy["Statement"] if s.get("Sid") == "DenyGrantsExceptForAwsServices"]
    assert deny == {
        "Sid": "DenyGrantsExceptForAwsServices",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "BoolIfExists": {
                "kms:GrantIsForAWSResource": "false",
                "aws:PrincipalIsAWSService": "false",
            }
        },
    }
