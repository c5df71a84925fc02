"""Fault injection: latency, 500s, connection resets, dropped and expired watches."""

from __future__ import annotations

import json
import time

import pytest
import urllib3
from kubernetes import client

from mirrord_simcluster.faults import Faults
from mirrord_simcluster.testing import SimCluster
from simcluster.helpers import core

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def no_retries(v1: client.CoreV1Api) -> client.CoreV1Api:
    v1.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    return v1


def test_latency_applies_to_the_chosen_verb_only(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    sim_cluster.faults.add(resource="pods", verb="list", latency=0.4)
    started = time.monotonic()
    v1.list_namespaced_pod("default")
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    v1.list_namespaced_config_map("default")
    v1.read_namespaced_pod("debug-shell", "default")
    assert time.monotonic() - started < 0.4


def test_errors_500_with_status_body(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    sim_cluster.faults.add(resource="pods", error_rate=1.0, times=2)
    for _ in range(2):
        with pytest.raises(client.ApiException) as err:
            v1.list_namespaced_pod("default")
        assert err.value.status == 500
        assert json.loads(err.value.body)["reason"] == "InternalError"
    assert v1.list_namespaced_pod("default").items  # the rule is used up


def test_error_share_is_deterministic_with_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = Faults(seed=seed)
        faults.add(error_rate=0.5)
        return [faults.decide("pods", "list").error for _ in range(50)]

    assert pattern(7) == pattern(7)
    assert 10 < sum(pattern(7)) < 40


def test_connection_reset(sim_cluster: SimCluster) -> None:
    v1 = no_retries(core(sim_cluster))
    rule = sim_cluster.faults.add(resource="namespaces", verb="list", reset_rate=1.0)
    with pytest.raises((urllib3.exceptions.HTTPError, ConnectionError, OSError)):
        v1.list_namespace(_request_timeout=5)
    sim_cluster.faults.remove(rule)
    assert v1.list_namespace().items


def test_dropped_watch_ends_early(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    sim_cluster.faults.add(resource="pods", verb="watch", drop_watch_after=0.3)
    started = time.monotonic()
    response = v1.list_namespaced_pod(
        "default", watch=True, resource_version=rv, timeout_seconds=30, _preload_content=False
    )
    assert response.data == b""
    assert time.monotonic() - started < 5


def test_forced_gone_on_watch(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    sim_cluster.faults.add(resource="pods", verb="watch", gone=True, times=1)
    response = v1.list_namespaced_pod(
        "default", watch=True, resource_version=rv, timeout_seconds=5, _preload_content=False
    )
    (event,) = [json.loads(line) for line in response.data.splitlines()]
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
    # The next watch works again.
    response = v1.list_namespaced_pod(
        "default", watch=True, resource_version=rv, timeout_seconds=1, _preload_content=False
    )
    assert b"ERROR" not in response.data
