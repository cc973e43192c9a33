"""A platform stack's KMS-encrypted secret read by a task in a service stack: passed as an
``ISecret`` it deploys (no cycle); passed as CDK's ``ecs.Secret`` it is the cycle the README
warns about."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from fargate_constructs import FargateService, FargateTaskWithRoles, NetworkedCluster, TaskSize

from .harness import make_app, nag_findings


def _split(secret_value: object) -> tuple[object, Stack, Stack, kms.Key]:
    app = make_app()
    platform = Stack(app, "Platform")
    cluster = NetworkedCluster(platform, "Network")
    key = kms.Key(platform, "SecretKey", enable_key_rotation=True)
    secret = secretsmanager.Secret(platform, "Database", encryption_key=key)
    service = Stack(app, "Service")
    value = secret_value(secret) if callable(secret_value) else secret
    task = FargateTaskWithRoles(
        service,
        "Task",
        image="public.ecr.aws/docker/library/busybox:1.36",
        size=TaskSize(256, 512),
        user="1000",
        secrets={"DB_PASSWORD": value},
    )
    FargateService(service, "Api", cluster=cluster, task=task)
    return app, platform, service, key


def test_a_platform_secret_passed_as_isecret_has_no_cycle() -> None:
    app, platform, service, key = _split(None)
    app.synth()  # a cycle would raise here
    statements = [
        statement
        for policy in Template.from_stack(service)
        .find_resources("AWS::IAM::ManagedPolicy")
        .values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert len(decrypt) == 1
    assert "Fn::ImportValue" in decrypt[0]["Resource"]
    assert decrypt[0]["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Join"][1][0] == (
        "secretsmanager."
    )
    key_policy = json.dumps(
        Template.from_stack(platform).to_json()["Resources"][
            platform.get_logical_id(key.node.default_child)  # type: ignore[arg-type]
        ]["Properties"]["KeyPolicy"]
    )
    assert "ExecutionRole" not in key_policy
    assert [str(f) for f in nag_findings(service)] == []


def test_the_cdk_secret_wrapper_across_stacks_is_the_cycle_documented() -> None:
    app, *_ = _split(ecs.Secret.from_secrets_manager)
    with pytest.raises(RuntimeError, match="DependencyCycle"):
        app.synth()
