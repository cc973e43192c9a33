"""Fargate on EKS with the guarantees the ECS constructs give: a Fargate-only cluster in a
:class:`NetworkedCluster`'s private subnets, the pod execution role done right, pod roles
through IRSA, encrypted logs, and no kubectl Lambda unless manifests are to be applied.

aws-cdk-lib's ``aws_eks_v2`` does most of it; this module avoids its traps: ``FargateCluster``
needs a kubectl provider (it patches CoreDNS through kubectl), its generated pod execution role
has no ``aws:SourceArn`` condition, ``add_fargate_profile`` without ``vpc=`` emits no subnets,
and EKS Pod Identity, which it offers, does not work on Fargate (its agent is a DaemonSet).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from aws_cdk import Annotations, CfnJson, CfnOutput, CfnResource, Fn, Names, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .cluster import NetworkedCluster
from .compliance import (
    EKS_CLUSTER_POLICY,
    EKS_FARGATE_POD_EXECUTION_POLICY,
    EKS_IRSA_CONDITIONS,
    EKS_PUBLIC_ENDPOINT,
    REDUNDANT_DEPENDS_ON,
    acknowledge,
    ignore_lint_check,
)
from .doors import checked
from .errors import InvalidParameterError
from .log_groups import DEFAULT_LOG_RETENTION, create_key, create_log_group
from .roles import ManagedPolicyRole, account_service_principal
from .scopes import remember_scope

DEFAULT_KUBERNETES_VERSION = "1.34"
"""Pinned, not "the newest aws-cdk-lib knows": a library upgrade must never upgrade a
control plane. Changing it is a CHANGELOG entry."""
CFN_JSON_PROVIDER = "AWSCDKCfnUtilsProviderCustomResourceProvider"
COREDNS_PODS = 2
"""The coredns add-on's replicas, each a Fargate pod."""
MAX_SELECTORS = 5
MAX_LABELS = 5
FARGATE_PODS_SERVICE = "eks-fargate-pods.amazonaws.com"
POD_EXECUTION_POLICY = "AmazonEKSFargatePodExecutionRolePolicy"
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
CONTROL_PLANE_LOGS = (
    eks.ClusterLoggingTypes.API,
    eks.ClusterLoggingTypes.AUDIT,
    eks.ClusterLoggingTypes.AUTHENTICATOR,
    eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    eks.ClusterLoggingTypes.SCHEDULER,
)
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$")
_PROFILE_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")


def _check_dns_label(parameter: str, value: str) -> None:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        spelled = re.sub(r"[^a-z0-9-]", "-", value.lower()).strip("-")[:63] or "default"
        raise InvalidParameterError(
            parameter,
            value,
            "a Kubernetes namespace: a DNS label of lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters",
            nearest=f"{parameter}={spelled!r}",
        )


@checked
@dataclass(frozen=True, kw_only=True)
class PodSelector:
    """Pods a Fargate profile runs: those in ``namespace`` carrying every label in ``labels``.

    :param namespace: a Kubernetes namespace (a DNS label).
    :param labels: up to 5 labels the pod must carry (none: every pod of the namespace).
    """

    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_dns_label("namespace", self.namespace)
        object.__setattr__(self, "labels", dict(self.labels))
        if len(self.labels) > MAX_LABELS:
            raise InvalidParameterError(
                "labels",
                dict(self.labels),
                f"at most {MAX_LABELS} labels per selector (EKS's limit)",
                given=f"namespace={self.namespace!r}",
                nearest=f"{MAX_LABELS} of them",
            )
        rule = "at most 63 characters: letters, digits, '-', '_', '.', starting and ending with a "
        for key, value in self.labels.items():
            for what, text, pattern in (
                ("names", key.rsplit("/", 1)[-1], _LABEL_NAME),
                ("values", value, _LABEL_VALUE),
            ):
                if len(text) > 63 or not pattern.match(text):
                    raise InvalidParameterError(
                        "labels",
                        text,
                        f"Kubernetes label {what} ({rule}letter or digit)",
                        given=f"label {key!r}",
                    )

    def cfn(self) -> eks.CfnFargateProfile.SelectorProperty:
        return eks.CfnFargateProfile.SelectorProperty(
            namespace=self.namespace,
            labels=[
                eks.CfnFargateProfile.LabelProperty(key=key, value=value)
                for key, value in self.labels.items()
            ]
            or None,
        )


@checked
@dataclass(frozen=True, kw_only=True)
class FargateProfile:
    """Which pods run on Fargate. A profile is immutable in EKS: changing anything about it
    (its name, selectors or subnets) replaces it, and EKS creates or deletes one profile of a
    cluster at a time (the library orders them).

    :param name: the profile's name (letters, digits, '-', '_'; at most 100 characters).
    :param selectors: 1 to 5 :class:`PodSelector`.
    """

    name: str
    selectors: Sequence[PodSelector]

    def __post_init__(self) -> None:
        object.__setattr__(self, "selectors", tuple(self.selectors))
        if len(self.name) > 100 or not _PROFILE_NAME.match(self.name):
            raise InvalidParameterError(
                "name",
                self.name,
                "a Fargate profile name: a letter or digit, then letters, digits, '-' or '_', "
                "at most 100 characters",
                nearest=repr(re.sub(r"[^A-Za-z0-9_-]", "-", self.name).strip("-_")[:100] or "pods"),
            )
        if not 1 <= len(self.selectors) <= MAX_SELECTORS:
            raise InvalidParameterError(
                "selectors",
                len(self.selectors),
                f"1 to {MAX_SELECTORS} selectors per profile (EKS's limit); more pods need "
                "another profile",
                given=f"profile {self.name!r}",
                nearest=f"selectors=[...{MAX_SELECTORS} of them], and a second FargateProfile",
            )


DEFAULT_PROFILES = (FargateProfile(name="default", selectors=[PodSelector(namespace="default")]),)
_COREDNS = PodSelector(namespace="kube-system", labels={"k8s-app": "kube-dns"})


class _PodDemand:
    """The cluster's pods as the subnet-capacity check counts them (one IP each)."""

    def __init__(self, path: str, max_pods: int) -> None:
        self._path = path
        self._pods = max_pods

    @property
    def peak_tasks(self) -> int:
        return self._pods + COREDNS_PODS

    @property
    def peak_explained(self) -> str:
        return (
            f"{self._path}: max_pods {self._pods} + {COREDNS_PODS} CoreDNS pods (each Fargate "
            "pod takes one IP)"
        )


@checked
class EksFargateCluster(Construct):
    """A Fargate-only EKS cluster in ``cluster``'s VPC and private subnets.

    * No nodes and no kubectl Lambda (unless ``kubectl_layer`` is given): CoreDNS runs on
      Fargate through the managed ``coredns`` add-on (``computeType: Fargate``) and a
      ``kube-system`` profile for its pods.
    * API authentication with access entries; nobody is admin unless ``admin_principal_arn``
      is given (the creator gets no implicit admin).
    * Control-plane logs (all five types) to a log group the library makes first, encrypted
      with the network's log key and kept ``log_retention``; Kubernetes secrets encrypted with
      a KMS key of the cluster's own (grants only for AWS services).
    * The API endpoint is private, or public for ``public_access_cidrs`` only.
    * One pod execution role for every profile: trusted by ``eks-fargate-pods.amazonaws.com``
      only for this cluster's profiles (``aws:SourceArn``), ECR pull as AWS's managed policy
      grants it, log writes only on the pods' log group.
    * Pods get AWS permissions through IRSA (:meth:`pod_role`); EKS Pod Identity does not work
      on Fargate and is not offered.

    :param cluster: the :class:`NetworkedCluster` whose VPC and private subnets to use.
    :param profiles: :class:`FargateProfile` (default: every pod of ``default``).
    :param version: Kubernetes version (default 1.34); one the installed aws-cdk-lib knows.
    :param admin_principal_arn: an IAM role or user ARN given cluster admin (access entry
        with AmazonEKSClusterAdminPolicy).
    :param public_access_cidrs: make the API endpoint public for these CIDRs only (default
        none: private only).
    :param max_pods: pods that may run at once, counted against the subnets' IPs (default 20).
    :param pod_logging: a KMS-encrypted log group for the pods' logs, write access on it for
        the pod execution role, and the ``aws-observability`` namespace and ``aws-logging``
        ConfigMap that point Fargate's Fluent Bit at it (default True).
    :param kubectl_layer: a kubectl Lambda layer (``aws_cdk.lambda_layer_kubectl_v34``): then
        the cluster gets a kubectl provider, the one reason one is created, and applies the
        logging manifests and service accounts itself. Without it they are stack outputs
        (YAML) to ``kubectl apply``.
    :param log_retention: retention of the control-plane and pod log groups (default 1 year).

    Attributes: :attr:`eks_cluster` (``aws_eks_v2.Cluster``), :attr:`pod_execution_role`,
    :attr:`secrets_key`, :attr:`control_plane_log_group`, :attr:`pod_log_group`,
    :attr:`oidc_provider`, :attr:`profiles` (``CfnFargateProfile`` by name),
    :attr:`cluster_name`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: NetworkedCluster,
        profiles: Sequence[FargateProfile] = DEFAULT_PROFILES,
        version: str = DEFAULT_KUBERNETES_VERSION,
        admin_principal_arn: str | None = None,
        public_access_cidrs: Sequence[str] = (),
        max_pods: int = 20,
        pod_logging: bool = True,
        kubectl_layer: lambda_.ILayerVersion | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    ) -> None:
        kubernetes_version = _version(version)
        profiles = tuple(profiles)
        _check_profiles(profiles)
        if max_pods < 1:
            raise InvalidParameterError("max_pods", max_pods, "1 or more", nearest="max_pods=1")
        for cidr in public_access_cidrs:
            _check_public_cidr(cidr)
        super().__init__(scope, id)
        remember_scope(self, scope)
        self.cluster = cluster
        self.cluster_name = Names.unique_resource_name(self, max_length=100, separator="-")
        private = ec2.SubnetSelection(subnet_type=cluster.task_subnet_type)

        self.control_plane_log_group = create_log_group(
            self,
            "ControlPlaneLogs",
            key=cluster.log_key,
            retention=log_retention,
            name=f"/aws/eks/{self.cluster_name}/cluster",
        )
        self.secrets_key = create_key(
            self, "SecretsKey", description=f"Encrypts Kubernetes secrets of {self.node.path}"
        )
        self.eks_cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=self.cluster_name,
            version=kubernetes_version,
            vpc=cluster.vpc,
            vpc_subnets=[private],
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            bootstrap_cluster_creator_admin_permissions=False,
            endpoint_access=(
                eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*public_access_cidrs)
                if public_access_cidrs
                else eks.EndpointAccess.PRIVATE
            ),
            cluster_logging=list(CONTROL_PLANE_LOGS),
            secrets_encryption_key=self.secrets_key,
            kubectl_provider_options=(
                eks.KubectlProviderOptions(kubectl_layer=kubectl_layer)
                if kubectl_layer is not None
                else None
            ),
        )
        # EKS writes into this group; it must exist (encrypted, with retention) first.
        self.eks_cluster.node.add_dependency(self.control_plane_log_group)
        cfn_cluster = self.eks_cluster.node.default_child
        assert isinstance(cfn_cluster, eks.CfnCluster)
        # aws-cdk-lib makes the cluster depend on the whole VPC, its subnets included.
        ignore_lint_check(cfn_cluster, "W3005", REDUNDANT_DEPENDS_ON)
        acknowledge(self.eks_cluster.role, EKS_CLUSTER_POLICY)
        if public_access_cidrs:
            acknowledge(cfn_cluster, EKS_PUBLIC_ENDPOINT)
            # Not acknowledged for Control Tower: an organization that enforces CT.EKS.PR.1
            # refuses this cluster at deploy whatever this stack says.
            Annotations.of(self).add_warning_v2(
                "fargate-constructs:eksPublicEndpoint",
                "the Kubernetes API endpoint is public (for public_access_cidrs only); AWS "
                "Control Tower's CT.EKS.PR.1 refuses a public endpoint where an organization "
                "enforces it. Leave public_access_cidrs empty to reach it from inside the VPC.",
            )
        if admin_principal_arn is not None:
            eks.AccessEntry(
                self,
                "Admin",
                cluster=_as_icluster(self.eks_cluster),
                principal=admin_principal_arn,
                access_policies=[
                    eks.AccessPolicy.from_access_policy_name(
                        CLUSTER_ADMIN_POLICY, access_scope_type=eks.AccessScopeType.CLUSTER
                    )
                ],
            )

        self.pod_log_group: logs.LogGroup | None = None
        self.pod_execution_role = self._pod_execution_role()
        if pod_logging:
            self.pod_log_group = create_log_group(
                self,
                "PodLogs",
                key=cluster.log_key,
                retention=log_retention,
                name=f"/aws/eks/{self.cluster_name}/pods",
            )
            self.pod_execution_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[self.pod_log_group.log_group_arn],
                )
            )
        self.profiles: dict[str, eks.CfnFargateProfile] = {}
        previous: Construct | None = None
        coredns_profile = FargateProfile(name="coredns", selectors=[_COREDNS])
        for profile in (coredns_profile, *profiles):
            made = eks.CfnFargateProfile(
                self,
                f"Profile{profile.name}",
                cluster_name=self.eks_cluster.cluster_name,
                fargate_profile_name=profile.name,
                pod_execution_role_arn=self.pod_execution_role.role_arn,
                selectors=[selector.cfn() for selector in profile.selectors],
                subnets=cluster.vpc.select_subnets(subnet_type=private.subnet_type).subnet_ids,
            )
            if self.pod_execution_role.managed_policy is not None:
                made.node.add_dependency(self.pod_execution_role.managed_policy)
            if previous is not None:
                # EKS creates or deletes one Fargate profile of a cluster at a time.
                made.node.add_dependency(previous)
            previous = made
            self.profiles[profile.name] = made
        coredns = eks.Addon(
            self,
            "CoreDns",
            cluster=_as_icluster(self.eks_cluster),
            addon_name="coredns",
            configuration_values={"computeType": "Fargate"},
        )
        # EKS bootstraps its own CoreDNS Deployment, annotated for EC2; the add-on takes it
        # over instead of failing on the conflict.
        cfn_addon = coredns.node.default_child
        assert isinstance(cfn_addon, eks.CfnAddon)
        cfn_addon.add_property_override("ResolveConflicts", "OVERWRITE")
        coredns.node.add_dependency(self.profiles["coredns"])

        self.oidc_provider = eks.OidcProviderNative(
            self, "OidcProvider", url=self.eks_cluster.cluster_open_id_connect_issuer_url
        )
        if self.pod_log_group is not None:
            self._manifests(
                "PodLogging",
                [
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {
                            "name": "aws-observability",
                            "labels": {"aws-observability": "enabled"},
                        },
                    },
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": "aws-logging", "namespace": "aws-observability"},
                        "data": {
                            "output.conf": (
                                "[OUTPUT]\n    Name cloudwatch_logs\n    Match *\n"
                                f"    region {self.eks_cluster.env.region}\n"
                                f"    log_group_name {self.pod_log_group.log_group_name}\n"
                                "    log_stream_prefix pod-\n    auto_create_group false\n"
                            )
                        },
                    },
                ],
            )
        cluster._register_demand(_PodDemand(self.node.path, max_pods))

    def _pod_execution_role(self) -> ManagedPolicyRole:
        role = ManagedPolicyRole(
            self,
            "PodExecutionRole",
            # Only this cluster's Fargate profiles (aws:SourceArn), as AWS documents against
            # the confused deputy; aws-cdk-lib's generated role has no condition.
            assumed_by=account_service_principal(
                self,
                FARGATE_PODS_SERVICE,
                source_service="eks",
                source_resource="fargateprofile",
                source_resource_name=f"{self.cluster_name}/*",
            ),
            description=f"Fargate starts the pods of {self.node.path}",
        )
        role.add_managed_policy(
            iam.ManagedPolicy.from_aws_managed_policy_name(POD_EXECUTION_POLICY)
        )
        acknowledge(role, EKS_FARGATE_POD_EXECUTION_POLICY)
        return role

    @checked
    def pod_role(self, namespace: str, service_account: str) -> ManagedPolicyRole:
        """An IAM role that exactly the pods of ``service_account`` in ``namespace`` assume
        (IRSA: ``system:serviceaccount:<namespace>:<name>``, audience ``sts.amazonaws.com``);
        grant on it as on any role. The ServiceAccount that names it is applied (with
        ``kubectl_layer``) or written as a stack output."""
        _check_dns_label("namespace", namespace)
        _check_dns_label("service_account", service_account)
        role_id = f"PodRole{_camel(namespace)}{_camel(service_account)}"
        if self.node.try_find_child(role_id) is not None:
            raise InvalidParameterError(
                "service_account",
                service_account,
                "a service account that has no pod role yet",
                given=f"namespace={namespace!r}",
            )
        issuer = self.oidc_provider.oidc_provider_issuer
        conditions = CfnJson(
            self,
            f"{role_id}Conditions",
            value={
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            },
        )
        provider = Stack.of(self).node.try_find_child(
            "AWSCDKCfnUtilsProviderCustomResourceProvider"
        )
        if provider is not None:
            acknowledge(provider, EKS_IRSA_CONDITIONS)
            handler = provider.node.try_find_child("Handler")
            if isinstance(handler, CfnResource):
                ignore_lint_check(handler, "W3005", REDUNDANT_DEPENDS_ON)
        role = ManagedPolicyRole(
            self,
            role_id,
            assumed_by=iam.FederatedPrincipal(
                self.oidc_provider.oidc_provider_arn,
                conditions={"StringEquals": conditions},
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            ),
            description=f"Pods of {namespace}/{service_account} in {self.node.path}",
        )
        self._manifests(
            f"{role_id}ServiceAccount",
            [
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {
                        "name": service_account,
                        "namespace": namespace,
                        "annotations": {"eks.amazonaws.com/role-arn": role.role_arn},
                    },
                }
            ],
        )
        return role

    def _manifests(self, id: str, manifests: list[dict[str, Any]]) -> None:
        if self.eks_cluster.kubectl_provider is not None:
            self.eks_cluster.add_manifest(id, *manifests)
            return
        CfnOutput(
            self,
            id,
            description=f"kubectl apply -f (JSON manifests for {self.cluster_name})",
            value=Fn.to_json_string({"apiVersion": "v1", "kind": "List", "items": manifests}),
        )


def _as_icluster(cluster: eks.Cluster) -> eks.ICluster:
    # aws-cdk-lib's stubs do not show Cluster as an ICluster (kubectl_provider_options).
    return cast(eks.ICluster, cluster)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _version(given: str) -> eks.KubernetesVersion:
    known = {
        name[1:].replace("_", "."): name
        for name in dir(eks.KubernetesVersion)
        if re.fullmatch(r"V\d+_\d+", name)
    }
    if given not in known:
        ordered = sorted(known, key=lambda v: tuple(int(p) for p in v.split(".")))
        raise InvalidParameterError(
            "version",
            given,
            "a Kubernetes version the installed aws-cdk-lib knows: " + ", ".join(ordered),
            nearest=f"version={DEFAULT_KUBERNETES_VERSION!r}",
        )
    version: eks.KubernetesVersion = getattr(eks.KubernetesVersion, known[given])
    return version


def _check_profiles(profiles: tuple[FargateProfile, ...]) -> None:
    names = [profile.name for profile in profiles]
    for name in names:
        if name == "coredns" or names.count(name) > 1:
            raise InvalidParameterError(
                "profiles",
                name,
                "distinct profile names other than 'coredns' (the library's profile for CoreDNS)",
                nearest=f"FargateProfile(name='{name}-2', ...)",
            )


def _check_public_cidr(cidr: str) -> None:
    import ipaddress

    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise InvalidParameterError(
            "public_access_cidrs", cidr, "IPv4 CIDR blocks such as '203.0.113.0/24'"
        ) from None
    if network.prefixlen == 0:
        raise InvalidParameterError(
            "public_access_cidrs",
            cidr,
            "CIDR blocks narrower than the whole internet (leave public_access_cidrs empty "
            "for a private endpoint)",
            nearest="public_access_cidrs=['203.0.113.0/24'] (your office or CI range)",
        )
