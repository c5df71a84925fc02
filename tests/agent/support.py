"""A simulated cluster seeded for agent launch tests, and helpers around it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.sessions import SessionManager
from mirrord_ide.cluster.client import ClusterClient
from mirrord_ide.cluster.kubeconfig import KubeSettings
from mirrord_simcluster.testing import SimCluster
from mirrord_simcluster.testing import agent_objects as agent_objects
from mirrord_simcluster.testing import wait_no_agents as wait_no_agents
from support.cluster import NODES, container, seed, shop_api, shop_namespace, workload

SCHEDULE_DELAY = 0.05

SEED = seed(
    {"name": "agents"},
    shop_namespace(
        "s3cr3t",
        "sk_test",
        api=shop_api(
            sidecars=["istio"], env_from=[{"configMap": "cart-settings"}, {"secret": "stripe"}]
        ),
        shop_config={"DB_PORT": "5432"},
        configmaps=[{"name": "cart-settings", "data": {"CART_TTL": "30m"}}],
        deployments=[
            {
                "name": "broken",
                "replicas": 2,
                "ready": 0,
                "containers": [container("app", "ghcr.io/acme/broken:1")],
            },
            {
                "name": "empty",
                "replicas": 0,
                "containers": [container("app", "ghcr.io/acme/empty:1")],
            },
        ],
        statefulsets=[
            {"name": "db", "replicas": 1, "containers": [container("postgres", "postgres:16")]}
        ],
        rollouts=[workload("search", "ghcr.io/acme/search:1")],
        pods=[
            {
                "name": "solo",
                "containers": [
                    container("app", "ghcr.io/acme/solo:1", env={"MODE": "solo"}),
                    container("worker", "ghcr.io/acme/worker:1"),
                ],
                "annotations": {"kubectl.kubernetes.io/default-container": "worker"},
                "node": "node-2",
            },
            {
                "name": "waiting",
                "state": "pending",
                "containers": [container("app", "ghcr.io/acme/solo:1")],
            },
        ],
    ),
    users=[
        {"name": "admin", "admin": True},
        {"name": "viewer", "rules": [{"verbs": ["get", "list", "watch"], "resources": ["*"]}]},
        {
            # Everything a launch needs except reading secrets.
            "name": "nosecrets",
            "rules": [
                {
                    "verbs": ["*"],
                    "resources": [
                        "namespaces",
                        "nodes",
                        "pods",
                        "pods/log",
                        "pods/portforward",
                        "deployments",
                        "replicasets",
                        "jobs",
                        "configmaps",
                    ],
                }
            ],
        },
    ],
    nodes=NODES,
    schedule_delay=SCHEDULE_DELAY,
)


def make_kube(cluster: SimCluster, user: str | None = None) -> AgentKube:
    path = cluster.kubeconfig_for(user) if user else cluster.kubeconfig_path
    client = ClusterClient.from_settings(KubeSettings(kubeconfig=str(path)))
    return AgentKube(client)


def manager_for(kube: AgentKube, **kwargs: Any) -> SessionManager:
    async def factory() -> AgentKube:
        return kube

    return SessionManager(factory, **kwargs)


class Calls:
    """A callback that records its calls: a session manager's `on_ended`, `on_notice`."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.event = asyncio.Event()

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)
        self.event.set()

    async def wait(self, timeout: float) -> tuple[Any, ...]:
        """The first call, once there is one."""
        await asyncio.wait_for(self.event.wait(), timeout)
        return self.calls[0]


class Listener:
    """The local debuggee: queues each accepted connection's bytes once it closes, and
    answers `answer` once something arrived."""

    def __init__(self, answer: bytes = b"") -> None:
        self.answer = answer
        self.done: asyncio.Queue[bytes] = asyncio.Queue()
        self.port = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = bytearray()
        answered = False
        while chunk := await reader.read(65536):
            data += chunk
            if self.answer and not answered:
                answered = True
                writer.write(self.answer)
        await self.done.put(bytes(data))
        writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


HOLDER = Path(__file__).with_name("agent_holder.py")


def spawn_holder(cluster: SimCluster) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(
        [sys.executable, str(HOLDER), str(cluster.kubeconfig_path), "shop"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        proc.wait()
        raise AssertionError("the holder process exited before starting its session")
    return proc, json.loads(line)
