"""Stopping the simulated cluster with streams still open: every watch, followed log and
port-forward ends at once, and nothing is left behind (no pending task, no unclosed
transport, no unraisable exception), so a long test session cannot trip over them later."""

from __future__ import annotations

import asyncio
import gc
import http.client
import logging
import ssl
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.stream import portforward

from mirrord_simcluster.seedgen import big_namespace
from mirrord_simcluster.testing import SimCluster, running_cluster
from simcluster.helpers import api_client, start_agent

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def pending_tasks(cluster: SimCluster) -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks(cluster.loop) if not t.done()]


class RawStream:
    """A streaming GET over its own TLS connection, headers read and the body left open."""

    def __init__(self, cluster: SimCluster, path: str):
        context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
        self.conn = http.client.HTTPSConnection(
            cluster.host, cluster.port, context=context, timeout=10
        )
        token = cluster.token_for("admin")
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()

    def readline(self) -> bytes:
        return self.response.readline()

    def read_to_end(self) -> bytes:
        """The rest of the body; raises if the server dropped the connection mid-body."""
        return self.response.read()

    def close(self) -> None:
        self.response.close()
        self.conn.close()


class Debris:
    """What a stopped loop's leftovers would report once collected: asyncio errors ("Task
    was destroyed but it is pending"), ResourceWarnings and unraisable exceptions."""

    def __init__(self, caplog: pytest.LogCaptureFixture, caught: list[warnings.WarningMessage]):
        self.caplog = caplog
        self.caught = caught
        self.unraisable: list[str] = []

    def hook(self, unraisable: Any) -> None:
        self.unraisable.append(f"unraisable: {unraisable.exc_value!r} in {unraisable.object!r}")

    def collect(self) -> list[str]:
        gc.collect()
        found = list(self.unraisable)
        found.extend(f"warning: {w.message}" for w in self.caught)
        found.extend(f"log: {r.getMessage()}" for r in self.caplog.records if r.name == "asyncio")
        return found


@pytest.fixture
def debris(caplog: pytest.LogCaptureFixture) -> Iterator[Debris]:
    caplog.set_level(logging.ERROR, logger="asyncio")
    previous = sys.unraisablehook
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            found = Debris(caplog, caught)
            sys.unraisablehook = found.hook
            yield found
    finally:
        sys.unraisablehook = previous


def test_stop_ends_open_streams_and_leaves_nothing_pending(debris: Debris) -> None:
    with running_cluster() as cluster:
        pod = start_agent(cluster, 40126)
        api = api_client(cluster)
        forward = portforward(
            client.CoreV1Api(api).connect_get_namespaced_pod_portforward,
            pod,
            "shop",
            ports="40126",
        )
        sock = forward.socket(40126)
        sock.settimeout(5)
        sock.sendall(b"\x07")  # Ping
        assert sock.recv(5) == b"\x07"  # Pong
        watch = RawStream(cluster, "/api/v1/pods?watch=true&allowWatchBookmarks=true")
        assert watch.readline()  # the first ADDED event: the stream is live
        logs = RawStream(cluster, f"/api/v1/namespaces/shop/pods/{pod}/log?follow=true")
        assert logs.readline()
        started = time.monotonic()
        cluster.stop()
        took = time.monotonic() - started
    try:
        # Both streams end with a proper end of body, not a dropped connection.
        watch.read_to_end()
        logs.read_to_end()
    finally:
        watch.close()
        logs.close()
        sock.close()
        forward.close()
        forward.websocket.shutdown()  # the client leaves its socket open after a server close
        api.close()
    assert took < 5, f"stopping took {took:.1f}s"
    assert cluster.loop.is_closed()
    assert pending_tasks(cluster) == []
    del cluster
    problems = debris.collect()
    assert problems == [], "\n".join(problems)


def test_stop_is_clean_after_store_changes_from_another_thread(debris: Debris) -> None:
    with running_cluster() as cluster:
        watch = RawStream(cluster, "/api/v1/namespaces/default/pods?watch=true")
        assert watch.readline()
        store = cluster.store
    # Writes after the stop reach no closed event loop (and raise nothing).
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late", "namespace": "default"}}
    pod["spec"] = {"containers": [{"name": "c", "image": "c:1"}]}
    store.put("pods", "default", pod)
    watch.read_to_end()
    watch.close()
    assert pending_tasks(cluster) == []
    del cluster
    problems = debris.collect()
    assert problems == [], "\n".join(problems)


def test_stop_with_a_client_that_stopped_reading(debris: Debris) -> None:
    # A watch replaying thousands of objects to a client that reads none of them: the
    # server's writes stall on a full socket, so only cancelling the handler ends it.
    with running_cluster(big_namespace(pods=3000, deployments=100)) as cluster:
        stalled = RawStream(cluster, "/api/v1/pods?watch=true&resourceVersion=0")
        idle = RawStream(cluster, "/api/v1/namespaces/default/pods?watch=true")
        time.sleep(0.3)  # let the replay fill the socket buffers
        started = time.monotonic()
        cluster.stop()
        took = time.monotonic() - started
    stalled.close()
    idle.close()
    assert took < 5, f"stopping took {took:.1f}s"
    assert pending_tasks(cluster) == []
    del cluster
    problems = debris.collect()
    assert problems == [], "\n".join(problems)
