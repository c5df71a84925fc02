"""Builtin-engine sessions over the simulated cluster, the server's agent
connection going to an in-test agent that speaks the protocol: the result's
engine, capabilities and process env, mirrored traffic reaching a local
listener, keep-alive, and the session ending when the agent goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from mirrord_ide.agent import launcher as launcher_module
from mirrord_ide.agent.client import AgentConnection, connect_agent
from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.protocol.messages import TcpData, TcpNewConnection, TcpPortSubscribe
from mirrord_ide.agent.sessions import SessionManager, StartRequest
from mirrord_ide.cluster.kinds import api_url
from mirrord_ide.errors import Conflict, InvalidConfig
from mirrord_simcluster.testing import SimCluster

from .fake_agent import FakeAgent
from .support import Calls, Listener, agent_objects, make_kube, manager_for, wait_no_agents

pytestmark = pytest.mark.timeout(60)

IMAGE_ENV = {"IMAGE_ONLY": "from-the-image", "LOG_LEVEL": "warn", "AWS_PROFILE": "prod"}


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAgent]:
    """Every launch's agent connection goes to this agent (the port-forward is
    still opened to the simulated agent pod)."""
    fake = FakeAgent(env=IMAGE_ENV)

    async def to_fake(host: str, port: int, timeout: float) -> AgentConnection:
        if not fake.port:
            await fake.start()
        return await connect_agent("127.0.0.1", fake.port, timeout)

    monkeypatch.setattr(launcher_module, "connect_agent", to_fake)
    yield fake


@pytest_asyncio.fixture
async def ended() -> Calls:
    return Calls()


@pytest_asyncio.fixture
async def sessions(
    kube: AgentKube, agent: FakeAgent, ended: Calls
) -> AsyncIterator[SessionManager]:
    manager = manager_for(kube, on_ended=ended, keepalive=(0.1, 1.0))
    yield manager
    await manager.stop_all()
    await agent.close()


def start_request(config: dict[str, Any] | None = None, **kwargs: Any) -> StartRequest:
    return StartRequest(
        config=config, target=kwargs.pop("target", "deployment/api"), namespace="shop", **kwargs
    )


async def test_result_has_engine_capabilities_and_the_process_env(
    cluster: SimCluster, sessions: SessionManager, agent: FakeAgent
) -> None:
    local = Listener()
    await local.start()
    config = {
        "feature": {
            "env": {"override": {"LOG_LEVEL": "debug"}, "unset": ["aws_profile"]},
            "network": {"incoming": {"ports": [8080], "port_mapping": [[local.port, 8080]]}},
        }
    }
    result = await sessions.start(start_request(config))
    assert result["engine"] == "builtin"
    assert result["capabilities"] == {
        "env": "process",
        "incoming": "mirror",
        "outgoing": False,
        "files": False,
    }
    env = result["env"]
    # Only the running process has it: the pod spec does not declare it.
    assert env["IMAGE_ONLY"] == "from-the-image"
    assert env["LOG_LEVEL"] == "debug" and "AWS_PROFILE" not in env
    assert "DB_HOST" not in env  # spec env is not mixed in
    assert result["envToUnset"] == ["aws_profile"]
    assert agent.of_type(TcpPortSubscribe) == [TcpPortSubscribe(8080)]

    agent.push(TcpNewConnection(1, "10.1.0.7", 50000, 8080, "10.1.0.2", v2=True))
    agent.push(TcpData(1, b"GET / HTTP/1.0\r\n\r\n"))
    agent.push(TcpData(1, b""))
    assert await asyncio.wait_for(local.done.get(), 5) == b"GET / HTTP/1.0\r\n\r\n"
    listed = sessions.describe_all()[0]
    assert listed["engine"] == "builtin"
    assert listed["mirrored"]["ports"] == [{"remote": 8080, "local": local.port}]
    assert listed["mirrored"]["connections"] == 1


async def test_steal_is_mirrored_with_a_warning(sessions: SessionManager) -> None:
    config = {"feature": {"network": {"incoming": {"mode": "steal", "ports": [80]}}}}
    result = await sessions.start(start_request(config))
    assert result["capabilities"]["incoming"] == "mirror"
    assert any("steal mode is not offered" in w for w in result["warnings"])


ENV_FILE = "LOG_LEVEL=from-file\nREAD_TIMEOUT=30\nFROM_FILE=1\nIMAGE_ONLY=file\n"


@pytest.mark.parametrize("target", ["deployment/api", None])
async def test_env_file_values_go_over_the_remote_env(
    sessions: SessionManager, tmp_path: Path, target: str | None
) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    config = {
        "feature": {
            "env": {
                "env_file": ".env",
                "mapping": {"_TIMEOUT$": "5"},
                "override": {"FROM_FILE": "overridden"},
            }
        }
    }
    result = await sessions.start(start_request(config, target=target, workspace=str(tmp_path)))
    env = result["env"]
    assert env["LOG_LEVEL"] == "from-file" and env["IMAGE_ONLY"] == "file"
    assert env["AWS_PROFILE"] == "prod"  # the remote variables the file does not name stay
    assert env["READ_TIMEOUT"] == "5" and env["FROM_FILE"] == "overridden"
    assert not any("env file" in w for w in result["warnings"])


async def test_env_file_values_go_over_the_pod_spec_env(
    sessions: SessionManager, agent: FakeAgent, tmp_path: Path
) -> None:
    agent.env_error = "no such process"
    (tmp_path / ".env").write_text("DB_HOST=localhost\n")
    config = {"feature": {"env": {"env_file": ".env"}}}
    result = await sessions.start(start_request(config, workspace=str(tmp_path)))
    assert result["capabilities"]["env"] == "spec"
    assert result["env"]["DB_HOST"] == "localhost"


async def test_the_env_var_names_the_env_file_before_the_config(
    sessions: SessionManager, tmp_path: Path
) -> None:
    (tmp_path / "config.env").write_text("CHOSEN=config\n")
    (tmp_path / "var.env").write_text("CHOSEN=variable\n")
    request = start_request(
        {"feature": {"env": {"env_file": "config.env"}}},
        env={"MIRRORD_OVERRIDE_ENV_VARS_FILE": "var.env"},
        workspace=str(tmp_path),
    )
    result = await sessions.start(request)
    assert result["env"]["CHOSEN"] == "variable"


async def test_a_missing_env_file_fails_before_any_agent_exists(
    cluster: SimCluster, sessions: SessionManager, tmp_path: Path
) -> None:
    before = len(cluster.requests.records())
    config = {"feature": {"env": {"env_file": "absent.env"}}}
    with pytest.raises(InvalidConfig) as caught:
        await sessions.start(start_request(config, workspace=str(tmp_path)))
    assert caught.value.kind == "invalid-config"
    assert f"`{tmp_path / 'absent.env'}`" in caught.value.message
    assert "No such file" in caught.value.message
    assert caught.value.hint is not None and "feature.env.env_file" in caught.value.hint
    assert agent_objects(cluster) == []
    assert [r for r in cluster.requests.records()[before:] if r.method == "POST"] == []
    assert sessions.describe_all() == []


async def test_no_declared_ports_means_no_incoming(sessions: SessionManager) -> None:
    result = await sessions.start(start_request())
    assert result["capabilities"]["incoming"] == "off"
    assert result["warnings"] == []
    assert result["info"] == []


async def test_unreadable_process_env_falls_back_to_the_spec(
    sessions: SessionManager, agent: FakeAgent
) -> None:
    agent.env_error = "permission denied reading /proc/1/environ"
    result = await sessions.start(start_request(target="deployment/api/container/api"))
    assert result["capabilities"]["env"] == "spec"
    assert result["env"]["DB_HOST"] == "postgres" and "IMAGE_ONLY" not in result["env"]
    assert "permission denied" in result["warnings"][0]


async def test_spec_fallback_reports_unreadable_sources(
    cluster: SimCluster, agent: FakeAgent
) -> None:
    agent.env_error = "no such process"
    kube = make_kube(cluster, "nosecrets")
    manager = manager_for(kube)
    try:
        result = await manager.start(start_request())
        assert result["capabilities"]["env"] == "spec"
        assert result["env"]["DB_HOST"] == "postgres"
        assert "DB_PASSWORD" not in result["env"] and "STRIPE_KEY" not in result["env"]
        warnings = "\n".join(result["warnings"])
        assert "`DB_PASSWORD`: secret `shop-db` could not be read: forbidden" in warnings
        assert "secret `stripe` (envFrom) could not be read: forbidden" in warnings
        assert "not found" not in warnings
    finally:
        await manager.stop_all()
        await agent.close()
        kube.close()
        kube.cluster.close()
    assert await wait_no_agents(cluster) == []


async def test_an_old_agent_is_refused_and_removed(
    cluster: SimCluster, sessions: SessionManager, agent: FakeAgent
) -> None:
    agent.version = "1.2.0"
    with pytest.raises(Conflict, match="1.2.0"):
        await sessions.start(start_request())
    assert sessions.describe_all() == []
    assert await wait_no_agents(cluster) == []


@pytest.mark.slow
async def test_keepalive_holds_the_session_past_the_agent_timeout(
    sessions: SessionManager, agent: FakeAgent, ended: Calls
) -> None:
    agent.idle_timeout = 0.6
    await sessions.start(start_request())
    await asyncio.sleep(2.0)
    assert ended.calls == [] and not agent.dropped_idle
    assert len(sessions.describe_all()) == 1 and agent.pings >= 5


@pytest.mark.slow
async def test_without_keepalive_the_agent_drops_the_session(
    kube: AgentKube, agent: FakeAgent, cluster: SimCluster
) -> None:
    ended = Calls()
    manager = manager_for(kube, on_ended=ended, keepalive=(30.0, 60.0))
    agent.idle_timeout = 0.5
    try:
        result = await manager.start(start_request())
        session_id, reason, _ = await ended.wait(5)
        assert (session_id, reason) == (result["sessionId"], "connection-lost")
        assert agent.dropped_idle and manager.describe_all() == []
        assert await wait_no_agents(cluster) == []
    finally:
        await manager.stop_all()
        await agent.close()


async def test_deleting_the_agent_pod_ends_the_session(
    cluster: SimCluster, kube: AgentKube, sessions: SessionManager, ended: Calls
) -> None:
    result = await sessions.start(start_request())
    agent = result["agent"]
    loop = asyncio.get_running_loop()
    began = loop.time()
    await kube.delete(api_url("pod", agent["namespace"], agent["pod"]), "deleting the agent pod")
    session_id, reason, message = await ended.wait(5)
    assert loop.time() - began < 5
    assert (session_id, reason) == (result["sessionId"], "agent-exited")
    assert agent["pod"] in message
    assert sessions.describe_all() == []
    assert await wait_no_agents(cluster) == []


async def test_garbage_from_the_agent_ends_the_session_cleanly(
    cluster: SimCluster, sessions: SessionManager, agent: FakeAgent, ended: Calls
) -> None:
    result = await sessions.start(start_request())
    agent.push_raw(b"\xfe\xfe")
    session_id, reason, message = await ended.wait(5)
    assert (session_id, reason) == (result["sessionId"], "connection-lost")
    assert "not understand" in message
    assert sessions.describe_all() == []
    assert await wait_no_agents(cluster) == []


async def test_stop_reports_stopped(sessions: SessionManager, ended: Calls) -> None:
    result = await sessions.start(start_request())
    assert await sessions.stop(result["sessionId"])
    assert ended.calls == [(result["sessionId"], "stopped", "the session was stopped")]
