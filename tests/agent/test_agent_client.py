"""The server's agent connection against a fake agent on loopback: handshake,
the process env as mirrord builds and adjusts it, keep-alive and its end,
garbage from the agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mirrord_ide.agent.client import AgentConnection, connect_agent
from mirrord_ide.agent.env import apply_process_env
from mirrord_ide.agent.mirror import Mirror
from mirrord_ide.agent.protocol import codec
from mirrord_ide.agent.protocol.messages import (
    ClientClose,
    DaemonClose,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    HttpRequestBody,
    HttpRequestError,
    LogMessage,
    Pong,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    TcpClose,
    TcpData,
    TcpSubscribeResult,
)
from mirrord_ide.agent.settings import env_settings
from mirrord_ide.errors import Conflict, InvalidConfig

from .fake_agent import FakeAgent

PROCESS_ENV = {
    "DB_HOST": "postgres",
    "DB_PASSWORD": "s3cr3t",
    "IMAGE_ONLY": "baked-in",
    "LOG_LEVEL": "info",
    "AWS_PROFILE": "prod",
    "READ_TIMEOUT": "30",
    "PATH": "/usr/bin",
}


@pytest_asyncio.fixture
async def agent() -> AsyncIterator[FakeAgent]:
    fake = FakeAgent(env=PROCESS_ENV)
    await fake.start()
    yield fake
    await fake.close()


async def connect(agent: FakeAgent) -> AgentConnection:
    connection = await connect_agent("127.0.0.1", agent.port, 5)
    await connection.handshake(5)
    return connection


async def process_env(agent: FakeAgent, config: Any, env: dict[str, str] | None = None) -> Any:
    settings = env_settings(config, env)
    connection = await connect(agent)
    try:
        answer = await connection.get_env(settings.process_filter, settings.process_select, 5)
        assert answer.env is not None
        return apply_process_env(answer.env, settings), agent.of_type(GetEnvVarsRequest)[-1]
    finally:
        await connection.close()


async def test_handshake_claims_the_protocol_version(agent: FakeAgent) -> None:
    agent.version = "1.22.0"
    connection = await connect_agent("127.0.0.1", agent.port, 5)
    assert await connection.handshake(5) == "1.22.0"
    assert agent.received[0] == SwitchProtocolVersion(codec.PROTOCOL_VERSION)
    await connection.close()
    await asyncio.wait_for(agent.client_gone.wait(), 5)
    assert isinstance(agent.received[-1], ClientClose)


async def test_an_older_agent_is_refused_naming_both_versions(agent: FakeAgent) -> None:
    agent.version = "1.19.3"
    connection = await connect_agent("127.0.0.1", agent.port, 5)
    with pytest.raises(Conflict) as info:
        await connection.handshake(5)
    assert "1.19.3" in info.value.message and codec.MIN_AGENT_VERSION in info.value.message
    await connection.close()


async def test_default_env_request_selects_everything(agent: FakeAgent) -> None:
    env, request = await process_env(agent, None)
    # mirrord's CLI: no include/exclude → select {"*"}, filter {}.
    assert request == GetEnvVarsRequest(frozenset(), frozenset({"*"}))
    assert env.env["IMAGE_ONLY"] == "baked-in" and "PATH" not in env.env


async def test_include_is_sent_as_select(agent: FakeAgent) -> None:
    env, request = await process_env(agent, {"feature": {"env": {"include": "DB_*;LOG_LEVEL"}}})
    assert request == GetEnvVarsRequest(frozenset(), frozenset({"DB_*", "LOG_LEVEL"}))
    assert env.env == {"DB_HOST": "postgres", "DB_PASSWORD": "s3cr3t", "LOG_LEVEL": "info"}


async def test_exclude_is_sent_as_filter_from_the_env_var(agent: FakeAgent) -> None:
    env, request = await process_env(
        agent, {"feature": {"env": {}}}, {"MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE": "DB_*;AWS_*"}
    )
    assert request == GetEnvVarsRequest(frozenset({"DB_*", "AWS_*"}), frozenset())
    assert set(env.env) == {"IMAGE_ONLY", "LOG_LEVEL", "READ_TIMEOUT"}


async def test_mapping_override_and_unset(agent: FakeAgent) -> None:
    config = {
        "feature": {
            "env": {
                # First matching pattern wins; patterns match anywhere in the name.
                "mapping": {"TIMEOUT": "5", "^READ": "never", "PASS": "hidden"},
                "override": {"LOG_LEVEL": "debug", "EXTRA": "1"},
                "unset": ["aws_profile"],
            }
        }
    }
    env, _ = await process_env(agent, config)
    assert env.env["READ_TIMEOUT"] == "5"
    assert env.env["DB_PASSWORD"] == "hidden"
    assert env.env["LOG_LEVEL"] == "debug" and env.env["EXTRA"] == "1"
    # Unset ignores case, as mirrord's layer does.
    assert "AWS_PROFILE" not in env.env and env.unset == ["aws_profile"]


async def test_disabled_env_excludes_everything(agent: FakeAgent) -> None:
    env, request = await process_env(agent, {"feature": {"env": False}})
    assert request == GetEnvVarsRequest(frozenset({"*"}), frozenset())
    assert env.env == {}


def test_empty_include_asks_nothing_and_both_filters_are_refused() -> None:
    assert not env_settings({"feature": {"env": {"include": []}}}).fetch_process_env
    with pytest.raises(InvalidConfig, match="both `include` and `exclude`"):
        env_settings(
            {"feature": {"env": {"include": "A"}}}, {"MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE": "B"}
        )


async def test_keepalive_pings_and_a_silent_agent_ends_the_connection(agent: FakeAgent) -> None:
    connection = await connect(agent)
    connection.start_keepalive(0.05, 0.3)
    await asyncio.sleep(0.4)
    assert agent.pings >= 3 and not connection.ended.done()
    agent.answer_pings = False
    reason, message = await asyncio.wait_for(connection.ended, 3)
    assert reason == "connection-lost" and "no reply to a ping" in message


async def test_a_dropped_connection_ends_it(agent: FakeAgent) -> None:
    connection = await connect(agent)
    agent.drop_client()
    reason, _ = await asyncio.wait_for(connection.ended, 3)
    assert reason == "connection-lost"


async def test_garbage_from_the_agent_ends_the_connection_cleanly(agent: FakeAgent) -> None:
    connection = await connect(agent)
    seen: list[Any] = []
    connection.traffic = seen.append
    # One write: the message before the bad byte is still delivered.
    agent.push_raw(codec.encode_daemon(TcpData(1, b"before")) + b"\xff")
    reason, message = await asyncio.wait_for(connection.ended, 3)
    assert reason == "connection-lost" and "does not understand" in message
    assert seen == [TcpData(1, b"before")]
    await asyncio.wait_for(agent.client_gone.wait(), 3)


async def test_agent_close_and_log_messages(agent: FakeAgent) -> None:
    connection = await connect(agent)
    logs: list[tuple[str, str]] = []
    connection.on_log = lambda level, text: logs.append((level, text))
    agent.push(LogMessage("warn", "Mirrored connection 3 failed"))
    agent.push(DaemonClose("dirty iptables"))
    reason, message = await asyncio.wait_for(connection.ended, 3)
    assert reason == "connection-lost" and "dirty iptables" in message
    assert logs == [("warn", "Mirrored connection 3 failed")]


async def test_unexpected_messages_do_not_end_the_session(agent: FakeAgent) -> None:
    connection = await connect(agent)
    mirror = Mirror(send=connection.send)
    connection.traffic = mirror.handle
    for message in [
        GetEnvVarsResponse(env={"A": "1"}),
        SwitchProtocolVersionResponse("9.9.9"),
        TcpSubscribeResult(port=80),
        Pong(),
        TcpData(41, b"for nobody"),
        TcpClose(41),
        HttpRequestBody(42, 0, [b"x"], is_last=True),
        HttpRequestError(43, 0, "gone"),
        LogMessage("info", "hello"),
    ]:
        agent.push(message)
    await agent.drain()
    # Still answering: a request after all of that gets its own answer.
    assert await connection.subscribe(8080, 5) is None
    assert not connection.ended.done() and mirror.open_connections == 0
    await connection.close()
