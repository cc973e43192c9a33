"""Synthesis cost as jsii round trips (deterministic, unlike time): each service adds the same
number, so no check does work per (task x identity) or per pair of services through jsii.
`bench/round_trips.py` prints the counts; `bench/synth_time.py` the times."""

from __future__ import annotations

import sys

import pytest

from tests.harness import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from _jsii_calls import counted_calls
from _stacks import new_app, ours

PER_SERVICE_BUDGET = 47
"""Round trips one more web service may add (39 in 0.6.0 and 0.7.0, 47 in 0.8.0): 14
constructs, their wiring, its policies in the PassRole check, and (0.8.0) what its dashboard
section graphs (the cluster, service and load balancer names, the target group's full name cut
from its ARN) and sets on the service. More means a new per-service lookup through jsii."""
PER_SERVICE_BESIDE_PLATFORM = 49
"""The same, for services in a stack beside the platform stack (cross-stack references and the
place check), measured as here: 45 in 0.6.0, 41 in 0.7.0 (the load balancer removes exactly
the two rules aws-cdk-lib made for a service, not six candidates), 49 in 0.8.0 (the
dashboard section)."""


@pytest.fixture(scope="module")
def round_trips() -> dict[int, int]:
    # Values the library reads once per process (enum members, the ELB account table) are
    # read by a first build, as in any app; count the builds after it.
    warm_up = new_app()
    ours(warm_up, 2)
    warm_up.synth()
    counts = {}
    for services in (2, 4, 6):
        app = new_app()
        with counted_calls() as calls:
            ours(app, services)
            app.synth()
        counts[services] = calls["total"]
    for services in (2, 4):
        app = new_app()
        with counted_calls() as calls:
            ours(app, services, split=True)
            app.synth()
        counts[-services] = calls["total"]
    return counts


def test_every_service_adds_the_same_round_trips(round_trips: dict[int, int]) -> None:
    assert round_trips[6] - round_trips[4] == round_trips[4] - round_trips[2]


def test_a_service_stays_within_its_round_trip_budget(round_trips: dict[int, int]) -> None:
    per_service = (round_trips[4] - round_trips[2]) / 2
    assert per_service <= PER_SERVICE_BUDGET, round_trips


def test_a_service_beside_the_platform_stays_within_its_budget(
    round_trips: dict[int, int],
) -> None:
    per_service = (round_trips[-4] - round_trips[-2]) / 2
    assert per_service <= PER_SERVICE_BESIDE_PLATFORM, round_trips
