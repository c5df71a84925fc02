"""Builtin-engine sessions against the simulated cluster's own agent (which
speaks mirrord's agent protocol): the running process's env, a session
outliving the agent's `-t` timeout, mirrored TCP and HTTP replayed to a
local listener, nothing listening reported once, the agent pod deleted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.sessions import SessionManager, StartRequest
from mirrord_ide.cluster.kinds import api_url
from mirrord_ide.errors import Forbidden
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture
from support.server import free_port

from .support import Calls, Listener, make_kube, manager_for, wait_no_agents

pytestmark = pytest.mark.timeout(60)

SEED: dict[str, Any] = {
    "options": {"schedule_delay": 0.05},
    "default_user": "admin",
    "users": [
        {"name": "admin", "admin": True},
        {
            "name": "noforward",
            "rules": [
                {
                    "verbs": ["*"],
                    "resources": ["namespaces", "nodes", "pods", "pods/log", "deployments", "jobs"],
                }
            ],
        },
    ],
    "nodes": [{"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}}],
    "namespaces": [
        {
            "name": "web",
            "deployments": [
                {
                    "name": "app",
                    "replicas": 1,
                    "containers": [
                        {
                            "name": "app",
                            "image": "ghcr.io/acme/web:2.0.0",
                            "ports": [8080],
                            "imageEnv": {"BUILD_ID": "image-42", "AWS_PROFILE": "prod"},
                            "env": {"LOG_LEVEL": "info", "DB_URL": "postgres://db", "PORT": "8080"},
                        }
                    ],
                }
            ],
        }
    ],
}


cluster = cluster_fixture(SEED)


@pytest_asyncio.fixture
async def ended() -> Calls:
    return Calls()


@pytest_asyncio.fixture
async def notices() -> Calls:
    return Calls()


@pytest_asyncio.fixture
async def sessions(
    cluster: SimCluster, kube: AgentKube, ended: Calls, notices: Calls
) -> AsyncIterator[SessionManager]:
    manager = manager_for(kube, on_ended=ended, on_notice=notices, quiet_start=0.0)
    yield manager
    await manager.stop_all()
    assert await wait_no_agents(cluster) == []


def target_pod(cluster: SimCluster) -> str:
    (pod,) = [p["metadata"]["name"] for p in cluster.store.list("pods", "web")
              if p["metadata"].get("labels", {}).get("app") == "app"]  # fmt: skip
    return str(pod)


async def send(cluster: SimCluster, data: bytes) -> int:
    return await asyncio.to_thread(cluster.send_traffic, "web", target_pod(cluster), 8080, data)


def mapped(port: int, **incoming: Any) -> dict[str, Any]:
    return {"feature": {"network": {"incoming": {"port_mapping": [[port, 8080]], **incoming}}}}


async def test_env_of_the_running_process(sessions: SessionManager) -> None:
    config = {
        "feature": {
            "env": {
                "exclude": ["DB_*"],
                "mapping": {"^LOG_": "debug"},
                "override": {"PORT": "9090"},
                "unset": "aws_profile",
            }
        }
    }
    result = await sessions.start(
        StartRequest(config=config, target="deployment/app", namespace="web")
    )
    env = result["env"]
    assert result["engine"] == "builtin" and result["capabilities"]["env"] == "process"
    assert env["BUILD_ID"] == "image-42"  # baked into the image: only the process has it
    assert env["LOG_LEVEL"] == "debug" and env["PORT"] == "9090"
    assert "DB_URL" not in env and "AWS_PROFILE" not in env
    assert result["envToUnset"] == ["aws_profile"]
    # The declared container port is mirrored by default.
    assert result["capabilities"]["incoming"] == "mirror"


@pytest.mark.slow
async def test_the_session_outlives_the_agents_timeout(
    cluster: SimCluster, sessions: SessionManager, ended: Calls
) -> None:
    config = {"agent": {"communication_timeout": 1}}
    result = await sessions.start(
        StartRequest(config=config, target="deployment/app", namespace="web")
    )
    await asyncio.sleep(2.5)
    assert ended.calls == []
    assert [s["sessionId"] for s in sessions.describe_all()] == [result["sessionId"]]
    pod = cluster.store.get("pods", "web", result["agent"]["pod"]) or {}
    assert pod.get("status", {}).get("phase") == "Running"


async def test_mirrored_tcp_and_chunked_http_reach_the_debuggee(
    cluster: SimCluster, sessions: SessionManager
) -> None:
    local = Listener()
    await local.start()
    await sessions.start(
        StartRequest(config=mapped(local.port), target="deployment/app", namespace="web")
    )
    assert await send(cluster, b"PING 1\r\nPING 2\r\n") == 1
    assert await asyncio.wait_for(local.done.get(), 5) == b"PING 1\r\nPING 2\r\n"
    request = (
        b"POST /orders HTTP/1.1\r\nHost: app.web\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
    )
    assert await send(cluster, request) == 1
    replayed = await asyncio.wait_for(local.done.get(), 5)
    head, _, body = replayed.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /orders HTTP/1.1\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b'4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
    stats = sessions.describe_all()[0]["mirrored"]
    assert stats["connections"] == 1 and stats["requests"] == 1 and stats["undelivered"] == 0


async def test_nothing_listening_is_reported_once(
    cluster: SimCluster, sessions: SessionManager, notices: Calls
) -> None:
    closed_port = free_port()
    result = await sessions.start(
        StartRequest(config=mapped(closed_port), target="deployment/app", namespace="web")
    )
    for i in range(3):
        await send(cluster, b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
    for _ in range(100):
        if sessions.describe_all()[0]["mirrored"]["undelivered"] == 3:
            break
        await asyncio.sleep(0.05)
    assert sessions.describe_all()[0]["mirrored"]["undelivered"] == 3
    assert len(notices.calls) == 1
    session_id, message = notices.calls[0]
    assert session_id == result["sessionId"] and f"127.0.0.1:{closed_port}" in message


async def test_a_refused_port_forward_is_a_forbidden_error(cluster: SimCluster) -> None:
    kube = make_kube(cluster, "noforward")
    manager = manager_for(kube)
    try:
        with pytest.raises(Forbidden, match="forbidden") as info:
            await manager.start(StartRequest(target="deployment/app", namespace="web"))
        assert "portforward" in info.value.message
    finally:
        await manager.stop_all()
        kube.close()
        kube.cluster.close()
    assert await wait_no_agents(cluster) == []


async def test_deleting_the_agent_pod_ends_the_session_within_5s(
    cluster: SimCluster, kube: AgentKube, sessions: SessionManager, ended: Calls
) -> None:
    result = await sessions.start(StartRequest(target="deployment/app", namespace="web"))
    agent = result["agent"]
    loop = asyncio.get_running_loop()
    began = loop.time()
    await kube.delete(api_url("pod", agent["namespace"], agent["pod"]), "deleting the agent pod")
    await asyncio.wait_for(ended.event.wait(), 5)
    assert loop.time() - began < 5
    assert ended.calls[0][:2] == (result["sessionId"], "agent-exited")
    assert sessions.describe_all() == []
