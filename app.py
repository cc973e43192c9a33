#!/usr/bin/env python3
"""Example app: what `make synth` synthesizes into cdk.out/.

Stacks are environment-agnostic unless an account and region are given as context:
    cdk synth -c account=123456789012 -c region=eu-west-1
"""

from __future__ import annotations

from aws_cdk import App, Environment, Stack

from fargate_constructs import NetworkedCluster


def environment(app: App) -> Environment | None:
    account = app.node.try_get_context("account")
    region = app.node.try_get_context("region")
    if account is None and region is None:
        return None
    return Environment(account=account, region=region)


def build(app: App) -> None:
    env = environment(app)
    network = Stack(
        app,
        "FargateNetwork",
        env=env,
        description="fargate-constructs example: VPC and ECS cluster",
    )
    NetworkedCluster(network, "Network")


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
