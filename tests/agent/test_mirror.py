"""Replaying mirrored traffic to a local listener: raw TCP in order with
half-close, HTTP requests rebuilt as HTTP/1.1 (chunked when streamed),
nothing listening reported once, and the whole path from a fake agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from mirrord_ide.agent.client import connect_agent
from mirrord_ide.agent.mirror import Mirror, request_head
from mirrord_ide.agent.protocol.messages import (
    HttpRequestBody,
    HttpRequestError,
    HttpRequestStart,
    TcpClose,
    TcpConnectionUnsubscribe,
    TcpData,
    TcpNewConnection,
)
from support.server import free_port

from .fake_agent import FakeAgent
from .support import Listener


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    local = Listener(answer=b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
    await local.start()
    yield local
    await local.close()


def new_connection(cid: int, port: int) -> TcpNewConnection:
    return TcpNewConnection(cid, "10.0.0.9", 51000 + cid, port, "10.0.0.5", v2=True)


def start(
    cid: int, port: int, *, body: list[bytes], is_last: bool, headers: Any = None
) -> HttpRequestStart:
    return HttpRequestStart(
        connection_id=cid,
        request_id=0,
        port=port,
        method="POST",
        uri="/orders?id=7",
        version="HTTP/1.1",
        headers=headers if headers is not None else [("host", b"shop"), ("x-trace", b"abc")],
        body=body,
        is_last=is_last,
    )


def mirror_to(port: int, sent: list[Any], notices: list[str] | None = None) -> Mirror:
    return Mirror(
        send=sent.append,
        local_port=lambda remote: port,
        notice=(notices if notices is not None else []).append,
    )


async def test_raw_tcp_arrives_in_order_then_half_close(listener: Listener) -> None:
    sent: list[Any] = []
    mirror = mirror_to(listener.port, sent)
    mirror.handle(new_connection(1, 80))
    parts = [b"%05d|" % i for i in range(500)]
    for part in parts:
        mirror.handle(TcpData(1, part))
    mirror.handle(TcpData(1, b""))  # the remote client finished sending
    got = await asyncio.wait_for(listener.done.get(), 5)
    assert got == b"".join(parts)
    mirror.handle(TcpClose(1))
    assert mirror.open_connections == 0 and sent == []
    assert mirror.stats.connections == 1 and mirror.stats.bytes == len(got)


async def test_streamed_http_request_is_chunked(listener: Listener) -> None:
    mirror = mirror_to(listener.port, [])
    mirror.handle(start(3, 80, body=[b"first"], is_last=False))
    mirror.handle(HttpRequestBody(3, 0, [b"second-part", b""], is_last=False))
    mirror.handle(HttpRequestBody(3, 0, [], is_last=True))
    mirror.handle(TcpClose(3))
    got = await asyncio.wait_for(listener.done.get(), 5)
    assert got == (
        b"POST /orders?id=7 HTTP/1.1\r\nhost: shop\r\nx-trace: abc\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"5\r\nfirst\r\nb\r\nsecond-part\r\n0\r\n\r\n"
    )
    assert mirror.stats.requests == 1


async def test_whole_http_request_gets_a_content_length(listener: Listener) -> None:
    mirror = mirror_to(listener.port, [])
    mirror.handle(start(4, 80, body=[b'{"a":', b"1}"], is_last=True))
    mirror.handle(TcpClose(4))
    got = await asyncio.wait_for(listener.done.get(), 5)
    assert got.endswith(b'Content-Length: 7\r\n\r\n{"a":1}')


def test_http2_request_is_rebuilt_with_a_host() -> None:
    message = HttpRequestStart(
        connection_id=1,
        request_id=0,
        port=443,
        method="GET",
        uri="https://api.example:8443/v1/items?x=1",
        version="HTTP/2.0",
        headers=[("accept", b"*/*"), ("te", b"trailers")],
        body=[],
        is_last=True,
    )
    head, _ = request_head(message, 8080)
    assert head == b"GET /v1/items?x=1 HTTP/1.1\r\nHost: api.example:8443\r\naccept: */*\r\n\r\n"


def test_content_length_body_goes_as_is() -> None:
    message = start(
        1, 80, body=[b"ab"], is_last=False, headers=[("Host", b"h"), ("Content-Length", b"4")]
    )
    head, state = request_head(message, 80)
    assert b"chunked" not in head and state.frame(b"cd") == b"cd" and state.end() == b""


async def test_nothing_listening_is_counted_and_reported_once() -> None:
    port = free_port()
    sent: list[Any] = []
    notices: list[str] = []
    mirror = mirror_to(port, sent, notices)
    for cid in (1, 2, 3):
        mirror.handle(new_connection(cid, 80))
        mirror.handle(TcpData(cid, b"hello"))
    for _ in range(100):
        if mirror.stats.unreachable == 3:
            break
        await asyncio.sleep(0.02)
    assert mirror.stats.unreachable == 3
    assert len(notices) == 1 and f"127.0.0.1:{port}" in notices[0]
    assert "remote port 80" in notices[0]
    assert sent == [TcpConnectionUnsubscribe(c) for c in (1, 2, 3)]
    mirror.handle(TcpData(1, b"late"))  # dropped quietly
    assert mirror.open_connections == 0


async def test_nothing_listening_right_after_the_start_is_only_counted() -> None:
    # The IDE starts the debuggee after the session is up: traffic that arrives
    # first is expected to find nothing listening and is not worth a warning.
    port = free_port()
    notices: list[str] = []
    mirror = Mirror(
        send=[].append, local_port=lambda remote: port, notice=notices.append, quiet_for=0.3
    )
    mirror.handle(new_connection(1, 80))
    for _ in range(100):
        if mirror.stats.unreachable == 1:
            break
        await asyncio.sleep(0.01)
    assert mirror.stats.unreachable == 1 and notices == []
    await asyncio.sleep(0.35)
    mirror.handle(new_connection(2, 80))
    for _ in range(100):
        if mirror.stats.unreachable == 2:
            break
        await asyncio.sleep(0.01)
    assert len(notices) == 1 and f"127.0.0.1:{port}" in notices[0]


async def test_agent_error_aborts_the_replay(listener: Listener) -> None:
    mirror = mirror_to(listener.port, [])
    mirror.handle(start(5, 80, body=[b"x"], is_last=False))
    mirror.handle(HttpRequestError(5, 0, "client went away"))
    await asyncio.wait_for(listener.done.get(), 5)
    assert mirror.open_connections == 0


async def test_from_the_agent_connection_to_the_listener(listener: Listener) -> None:
    agent = FakeAgent()
    await agent.start()
    connection = await connect_agent("127.0.0.1", agent.port, 5)
    try:
        await connection.handshake(5)
        mirror = Mirror(
            send=connection.send,
            local_port=lambda remote: listener.port,
            pause=connection.pause_reading,
            resume=connection.resume_reading,
        )
        connection.traffic = mirror.handle
        assert await connection.subscribe(80, 5) is None
        agent.push(new_connection(7, 80))
        for i in range(200):
            agent.push(TcpData(7, b"%04d" % i))
        agent.push(TcpData(7, b""))
        agent.push(TcpClose(7))
        agent.push(start(8, 80, body=[b"a"], is_last=False))
        agent.push(HttpRequestBody(8, 0, [b"bc"], is_last=True))
        agent.push(TcpClose(8))
        first = await asyncio.wait_for(listener.done.get(), 5)
        second = await asyncio.wait_for(listener.done.get(), 5)
        raw, http = (first, second) if first.startswith(b"0000") else (second, first)
        assert raw == b"".join(b"%04d" % i for i in range(200))
        assert http.endswith(b"1\r\na\r\n2\r\nbc\r\n0\r\n\r\n")
    finally:
        await connection.close()
        await agent.close()


async def test_refused_subscription_reports_the_agents_error() -> None:
    agent = FakeAgent(refuse_ports=frozenset({81}))
    await agent.start()
    connection = await connect_agent("127.0.0.1", agent.port, 5)
    try:
        await connection.handshake(5)
        assert await connection.subscribe(80, 5) is None
        assert "81" in str(await connection.subscribe(81, 5))
    finally:
        await connection.close()
        await agent.close()
