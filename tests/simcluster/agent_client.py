"""A blocking agent-protocol client over a port-forwarded socket, for the tests."""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from kubernetes import client
from kubernetes.stream import portforward

from mirrord_ide.agent.protocol import DaemonStream, encode_client
from mirrord_ide.agent.protocol.messages import ClientMessage, DaemonMessage
from mirrord_simcluster.testing import SimCluster
from simcluster.helpers import api_client


class ProtocolSocket:
    """Sends client messages and reads agent messages on one port-forwarded connection."""

    def __init__(self, cluster: SimCluster, namespace: str, pod: str, port: int) -> None:
        self.pod = pod
        self.api = api_client(cluster)
        self.forward: Any = portforward(
            client.CoreV1Api(self.api).connect_get_namespaced_pod_portforward,
            pod,
            namespace,
            ports=str(port),
        )
        self.sock: socket.socket = self.forward.socket(port)
        self.sock.settimeout(5)
        self.stream = DaemonStream()
        self.pending: list[DaemonMessage] = []
        self.eof = False

    def send(self, *messages: ClientMessage) -> None:
        self.sock.sendall(b"".join(encode_client(m) for m in messages))

    def recv(self, timeout: float = 5.0) -> DaemonMessage:
        deadline = time.monotonic() + timeout
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no message from the agent")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                self.eof = True
                raise EOFError("the agent closed the connection")
            self.pending += self.stream.feed(data)
        return self.pending.pop(0)

    def recv_until_eof(self, timeout: float = 5.0) -> list[DaemonMessage]:
        got: list[DaemonMessage] = []
        try:
            while True:
                got.append(self.recv(timeout))
        except EOFError:
            return got

    def close(self) -> None:
        self.sock.close()
        self.forward.close()
        # The client leaves its websocket open when the server closed the stream first.
        with contextlib.suppress(Exception):
            self.forward.websocket.shutdown()
        self.api.close()
