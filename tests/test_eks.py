"""Fargate on EKS: the cluster, its profiles, the pod execution role, IRSA pod roles, and a test
per aws-cdk-lib trap that fails if the trap comes back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from fargate_constructs import (
    ChecksFailedError,
    EksFargateCluster,
    FargateProfile,
    NetworkedCluster,
    PodSelector,
    check,
)

from .harness import (
    assert_explained,
    cfn_lint,
    make_app,
    nag_findings,
    roles_and_trust,
    synth_warnings,
)

ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmin"


class Synthesized:
    def __init__(self) -> None:
        self.app = make_app()
        self.stack = Stack(self.app, "Kube")
        self.network = NetworkedCluster(self.stack, "Net")
        self.eks = EksFargateCluster(
            self.stack,
            "Eks",
            cluster=self.network,
            admin_principal_arn=ADMIN,
            profiles=[
                FargateProfile(
                    name="shop",
                    selectors=[
                        PodSelector(namespace="shop"),
                        PodSelector(namespace="jobs", labels={"team": "data"}),
                    ],
                )
            ],
        )
        self.pod_role = self.eks.pod_role("shop", "web")
        self.template = Template.from_stack(self.stack)
        self.json = self.template.to_json()

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            key: resource
            for key, resource in self.json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def logical_id(self, construct: Any) -> str:
        logical_id: str = self.stack.resolve(construct.node.default_child.logical_id)
        return logical_id


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


def test_cluster_is_private_api_authenticated_encrypted_and_logged(synth: Synthesized) -> None:
    ((_, cluster),) = synth.of_type("AWS::EKS::Cluster").items()
    props = cluster["Properties"]
    assert props["AccessConfig"] == {
        "AuthenticationMode": "API",
        "BootstrapClusterCreatorAdminPermissions": False,
    }
    assert props["ResourcesVpcConfig"]["EndpointPrivateAccess"] is True
    assert props["ResourcesVpcConfig"]["EndpointPublicAccess"] is False
    assert props["EncryptionConfig"] == [
        {
            "Provider": {
                "KeyArn": {"Fn::GetAtt": [synth.logical_id(synth.eks.secrets_key), "Arn"]}
            },
            "Resources": ["secrets"],
        }
    ]
    assert [t["Type"] for t in props["Logging"]["ClusterLogging"]["EnabledTypes"]] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert props["Version"] == "1.34"
    name = props["Name"]
    log_group_id = synth.logical_id(synth.eks.control_plane_log_group)
    log_group = synth.json["Resources"][log_group_id]["Properties"]
    assert log_group["LogGroupName"] == f"/aws/eks/{name}/cluster"
    assert "KmsKeyId" in log_group
    assert log_group["RetentionInDays"] == 365
    assert log_group_id in cluster["DependsOn"]
    assert props["ResourcesVpcConfig"]["SubnetIds"] == [
        {"Ref": synth.logical_id(subnet)} for subnet in synth.network.vpc.private_subnets
    ]


def test_only_the_named_admin_gets_an_access_entry(synth: Synthesized) -> None:
    ((_, entry),) = synth.of_type("AWS::EKS::AccessEntry").items()
    assert entry["Properties"]["PrincipalArn"] == ADMIN
    (policy,) = entry["Properties"]["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "cluster"}
    assert policy["PolicyArn"]["Fn::Join"][1][-1].endswith(
        ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )


def test_no_access_entry_without_an_admin() -> None:
    app = make_app()
    stack = Stack(app, "NoAdmin")
    EksFargateCluster(stack, "Eks", cluster=NetworkedCluster(stack, "Net"))
    assert Template.from_stack(stack).find_resources("AWS::EKS::AccessEntry") == {}


def test_pod_execution_role_trusts_only_this_clusters_profiles(synth: Synthesized) -> None:
    """Trap: aws-cdk-lib's generated pod execution role has no aws:SourceArn condition."""
    role = synth.json["Resources"][synth.logical_id(synth.eks.pod_execution_role)]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    cluster_name = synth.eks.cluster_name
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1][-1] == (
        f":fargateprofile/{cluster_name}/*"
    )
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert role["ManagedPolicyArns"][0]["Fn::Join"][1][-1] == (
        ":iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
    )


def test_pod_logs_may_be_written_only_to_the_pods_log_group(synth: Synthesized) -> None:
    policy = synth.eks.pod_execution_role.managed_policy
    assert policy is not None
    document = synth.json["Resources"][synth.stack.resolve(policy.node.default_child.logical_id)]  # type: ignore[union-attr]
    (statement,) = document["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    assert statement["Resource"] == {
        "Fn::GetAtt": [synth.logical_id(synth.eks.pod_log_group), "Arn"]
    }


def test_profiles_run_in_the_private_subnets_one_at_a_time(synth: Synthesized) -> None:
    """Trap: add_fargate_profile without vpc= emits no subnets."""
    private = [{"Ref": synth.logical_id(s)} for s in synth.network.vpc.private_subnets]
    coredns = synth.eks.profiles["coredns"]
    shop = synth.eks.profiles["shop"]
    coredns_props = synth.json["Resources"][synth.stack.resolve(coredns.logical_id)]
    shop_resource = synth.json["Resources"][synth.stack.resolve(shop.logical_id)]
    assert coredns_props["Properties"]["Subnets"] == private
    assert shop_resource["Properties"]["Subnets"] == private
    assert synth.stack.resolve(coredns.logical_id) in shop_resource["DependsOn"]
    assert shop_resource["Properties"]["Selectors"] == [
        {"Namespace": "shop"},
        {"Namespace": "jobs", "Labels": [{"Key": "team", "Value": "data"}]},
    ]


def test_coredns_runs_on_fargate(synth: Synthesized) -> None:
    """Trap: CoreDNS left on EC2 (no nodes: DNS never starts)."""
    ((_, addon),) = synth.of_type("AWS::EKS::Addon").items()
    assert addon["Properties"]["AddonName"] == "coredns"
    assert json.loads(addon["Properties"]["ConfigurationValues"]) == {"computeType": "Fargate"}
    assert addon["Properties"]["ResolveConflicts"] == "OVERWRITE"
    coredns = synth.eks.profiles["coredns"]
    assert synth.stack.resolve(coredns.logical_id) in addon["DependsOn"]
    props = synth.json["Resources"][synth.stack.resolve(coredns.logical_id)]["Properties"]
    assert props["Selectors"] == [
        {"Namespace": "kube-system", "Labels": [{"Key": "k8s-app", "Value": "kube-dns"}]}
    ]


def test_no_nodes_no_kubectl_lambda_no_pod_identity(synth: Synthesized) -> None:
    """Traps: a kubectl Lambda created without being asked; Pod Identity offered on Fargate."""
    types = {resource["Type"] for resource in synth.json["Resources"].values()}
    assert "AWS::EKS::Nodegroup" not in types
    assert "AWS::EKS::PodIdentityAssociation" not in types
    assert "Custom::AWSCDK-EKS-KubernetesResource" not in types
    assert "AWS::CloudFormation::Stack" not in types  # aws-cdk-lib's kubectl provider stack
    addons = [a["Properties"]["AddonName"] for a in synth.of_type("AWS::EKS::Addon").values()]
    assert "eks-pod-identity-agent" not in addons
    assert not hasattr(synth.eks, "add_pod_identity")
    # Without a kubectl layer the manifests are outputs to apply.
    outputs = synth.json["Outputs"]
    logging = next(o for key, o in outputs.items() if key.startswith("EksPodLogging"))
    assert "aws-logging" in json.dumps(logging)
    assert "auto_create_group false" in json.dumps(logging)


def test_irsa_role_trusts_exactly_one_service_account(synth: Synthesized) -> None:
    role = synth.json["Resources"][synth.logical_id(synth.pod_role)]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    provider_id = synth.logical_id(synth.eks.oidc_provider)
    assert synth.json["Resources"][provider_id]["Type"] == "AWS::IAM::OIDCProvider"
    assert statement["Principal"] == {"Federated": {"Ref": provider_id}}
    conditions_id = statement["Condition"]["StringEquals"]["Fn::GetAtt"][0]
    value = json.dumps(synth.json["Resources"][conditions_id]["Properties"]["Value"])
    assert ':sub\\":\\"system:serviceaccount:shop:web\\"' in value
    assert ':aud\\":\\"sts.amazonaws.com\\"' in value
    # The condition keys are the issuer (the provider's ARN after ':oidc-provider/').
    assert value.count(":oidc-provider/") == 2
    outputs = json.dumps(synth.json["Outputs"])
    assert "eks.amazonaws.com/role-arn" in outputs


def test_roles_and_trust_snapshot(synth: Synthesized, json_snapshot: SnapshotAssertion) -> None:
    roles = roles_and_trust(synth.json, "Eks")
    assert roles == json_snapshot


def test_no_unacknowledged_nag_findings(synth: Synthesized) -> None:
    assert [str(f) for f in nag_findings(synth.stack)] == []


def test_cfn_lint_is_clean(synth: Synthesized) -> None:
    assert [str(f) for f in cfn_lint(synth.json)] == []


def test_a_public_endpoint_for_given_cidrs_only_and_a_warning() -> None:
    app = make_app()
    stack = Stack(app, "Public")
    EksFargateCluster(
        stack,
        "Eks",
        cluster=NetworkedCluster(stack, "Net"),
        public_access_cidrs=["203.0.113.0/24"],
    )
    (cluster,) = Template.from_stack(stack).find_resources("AWS::EKS::Cluster").values()
    vpc_config = cluster["Properties"]["ResourcesVpcConfig"]
    assert vpc_config["EndpointPublicAccess"] is True
    assert vpc_config["PublicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc_config["EndpointPrivateAccess"] is True
    assert [str(f) for f in nag_findings(stack)] == []  # AwsSolutions-EKS1 acknowledged
    warnings = synth_warnings(app)
    assert any("CT.EKS.PR.1" in warning for warning in warnings), warnings


def test_with_a_kubectl_layer_the_manifests_are_applied() -> None:
    app = make_app()
    stack = Stack(app, "WithKubectl")
    layer = lambda_.LayerVersion.from_layer_version_arn(
        stack, "Kubectl", "arn:aws:lambda:us-east-1:123456789012:layer:kubectl:1"
    )
    eks = EksFargateCluster(
        stack, "Eks", cluster=NetworkedCluster(stack, "Net"), kubectl_layer=layer
    )
    eks.pod_role("shop", "web")
    template = Template.from_stack(stack).to_json()
    manifests = [
        json.dumps(r["Properties"])
        for r in template["Resources"].values()
        if r["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
    ]
    assert any("aws-logging" in m for m in manifests)
    assert any("ServiceAccount" in m for m in manifests)
    assert not any(key.startswith("EksPodLogging") for key in template.get("Outputs", {}))


def test_pods_count_against_the_subnets() -> None:
    app = make_app()
    stack = Stack(app, "Crowded")
    EksFargateCluster(stack, "Eks", cluster=NetworkedCluster(stack, "Net"), max_pods=100000)
    with pytest.raises(ChecksFailedError) as raised:
        check(app)
    assert "max_pods 100000" in str(raised.value)


def _cluster(**props: Any) -> Any:
    app = make_app()
    stack = Stack(app, "Bad")
    return lambda: EksFargateCluster(stack, "Eks", cluster=NetworkedCluster(stack, "Net"), **props)


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda: FargateProfile(
                name="many", selectors=[PodSelector(namespace=f"ns{i}") for i in range(6)]
            ),
            ["selectors=6", "1 to 5 selectors per profile", "a second FargateProfile"],
        ),
        (
            lambda: PodSelector(namespace="Shop_App"),
            ["namespace='Shop_App'", "a DNS label", "nearest valid: namespace='shop-app'"],
        ),
        (
            lambda: PodSelector(namespace="shop", labels={f"k{i}": "v" for i in range(6)}),
            ["at most 5 labels per selector"],
        ),
        (
            lambda: PodSelector(namespace="shop", labels={"-app": "web"}),
            ["labels='-app'", "Kubernetes label names", "for label '-app'"],
        ),
        (
            lambda: PodSelector(namespace="shop", labels={"app": "web site"}),
            ["labels='web site'", "Kubernetes label values", "for label 'app'"],
        ),
        (
            lambda: FargateProfile(name="my profile", selectors=[PodSelector(namespace="a")]),
            ["name='my profile'", "nearest valid: 'my-profile'"],
        ),
        (
            _cluster(
                profiles=[FargateProfile(name="coredns", selectors=[PodSelector(namespace="a")])]
            ),
            ["profiles='coredns'", "other than 'coredns'"],
        ),
        (
            _cluster(public_access_cidrs=["0.0.0.0/0"]),
            ["public_access_cidrs='0.0.0.0/0'", "narrower than the whole internet"],
        ),
        (
            _cluster(version="1.19"),
            ["version='1.19'", "a Kubernetes version the installed aws-cdk-lib knows", "1.34"],
        ),
        (_cluster(max_pods=0), ["max_pods=0", "1 or more"]),
    ],
)
def test_bad_eks_input_is_explained(build: Any, fragments: list[str]) -> None:
    assert_explained(build, fragments)


def test_bad_pod_role_is_explained(synth: Synthesized) -> None:
    assert_explained(
        lambda: synth.eks.pod_role("shop", "Web_App"),
        ["service_account='Web_App'", "nearest valid: service_account='web-app'"],
    )
