"""Port-forward (websocket, as the official client speaks it) to a simulated agent, and logs."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.stream import portforward

from mirrord_simcluster.testing import SimCluster
from simcluster.helpers import core, start_agent

pytestmark = pytest.mark.timeout(60)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@contextlib.contextmanager
def forwarded(cluster: SimCluster, pod: str, port: int) -> Iterator[tuple[Any, socket.socket]]:
    """A port-forward to `port` of the agent pod `pod` in `shop`, and its socket."""
    v1 = core(cluster)
    forward = portforward(v1.connect_get_namespaced_pod_portforward, pod, "shop", ports=str(port))
    sock = forward.socket(port)
    sock.settimeout(5)
    try:
        yield forward, sock
    finally:
        sock.close()
        forward.close()


def test_bytes_flow_both_ways(sim_cluster: SimCluster) -> None:
    # The agent behind the port-forward speaks mirrord's protocol: a version handshake
    # (SwitchProtocolVersion "1.29.0" = 0a 06 "1.29.0", answered by variant 11 with the same
    # version) and, for many pings sent at once, as many pongs (variant 7).
    pod = start_agent(sim_cluster, 40123)
    with forwarded(sim_cluster, pod, 40123) as (forward, sock):
        sock.sendall(b"\x0a\x061.29.0")
        assert recv_exactly(sock, 8) == b"\x0b\x061.29.0"
        sock.sendall(b"\x07" * 20000)
        assert recv_exactly(sock, 20000) == b"\x07" * 20000
    assert forward.error(40123) is None


def test_wrong_port_reports_on_the_error_channel(sim_cluster: SimCluster) -> None:
    pod = start_agent(sim_cluster, 40124)
    with forwarded(sim_cluster, pod, 9999) as (forward, sock):
        assert sock.recv(10) == b""  # the client closes the socket on an error frame
        assert "connection refused" in (forward.error(9999) or "")


def test_agent_logs_ready_line(sim_cluster: SimCluster) -> None:
    pod = start_agent(sim_cluster, 40125)
    text = core(sim_cluster).read_namespaced_pod_log(pod, "shop")
    assert text.strip() == "agent ready - version 3.250.0"
    followed = core(sim_cluster).read_namespaced_pod_log(
        pod, "shop", follow=True, _preload_content=False
    )
    first = followed.readline() if hasattr(followed, "readline") else b""
    assert b"agent ready - version 3.250.0" in first
    followed.release_conn()


def test_logs_of_a_waiting_container_are_400(sim_cluster: SimCluster) -> None:
    from kubernetes import client

    with pytest.raises(client.ApiException) as err:
        core(sim_cluster).read_namespaced_pod_log("image-resizer", "shop")
    assert err.value.status == 400
    assert "is waiting to start: ContainerCreating" in err.value.body
