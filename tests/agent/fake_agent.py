"""A scriptable mirrord agent on a loopback socket, speaking the agent protocol
through the server's own codec: it answers the handshake, env requests,
pings and subscriptions as mirrord's agent does (`mirrord/agent/src/
entrypoint.rs`, `env.rs`), records what the client sent, and lets a test
push any message (or raw bytes) to the client."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
from typing import Any

from mirrord_ide.agent.protocol import codec
from mirrord_ide.agent.protocol.messages import (
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    Ping,
    Pong,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    TcpPortSubscribe,
    TcpSubscribeResult,
)

# Names mirrord's agent never returns (a subset of `EnvFilter`'s list).
AGENT_EXCLUDED = ("HOME", "PATH", "PWD", "RUST_LOG")


def select_env(env: dict[str, str], request: GetEnvVarsRequest) -> dict[str, str]:
    include = request.env_vars_select or frozenset({"*"})
    exclude = (*AGENT_EXCLUDED, *request.env_vars_filter)
    return {
        k: v
        for k, v in env.items()
        if any(fnmatch.fnmatchcase(k, p) for p in include)
        and not any(fnmatch.fnmatchcase(k, p) for p in exclude)
    }


class FakeAgent:
    def __init__(
        self,
        *,
        version: str = codec.PROTOCOL_VERSION,
        env: dict[str, str] | None = None,
        env_error: str | None = None,
        answer_pings: bool = True,
        refuse_ports: frozenset[int] = frozenset(),
        idle_timeout: float | None = None,
    ) -> None:
        self.version = version
        self.env = dict(env or {})
        self.env_error = env_error
        self.answer_pings = answer_pings
        self.refuse_ports = refuse_ports
        # Like the agent's `-t`: a client silent for this long is dropped.
        self.idle_timeout = idle_timeout
        self.dropped_idle = False
        self.received: list[Any] = []
        self.pings = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.connected = asyncio.Event()
        self.client_gone = asyncio.Event()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.connected.set()
        stream = codec.ClientStream()
        try:
            while data := await asyncio.wait_for(reader.read(65536), self.idle_timeout):
                for message in stream.feed(data):
                    self.received.append(message)
                    self._answer(message)
                await writer.drain()
        except TimeoutError:
            self.dropped_idle = True
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            self.client_gone.set()
            writer.close()

    def _answer(self, message: Any) -> None:
        if isinstance(message, SwitchProtocolVersion):
            settled = min((self.version, message.version), key=lambda v: codec.parse_version(v)[:3])
            self.push(SwitchProtocolVersionResponse(settled))
        elif isinstance(message, GetEnvVarsRequest):
            if self.env_error is not None:
                self.push(GetEnvVarsResponse(env=None, error=self.env_error))
            else:
                self.push(GetEnvVarsResponse(env=select_env(self.env, message)))
        elif isinstance(message, Ping):
            self.pings += 1
            if self.answer_pings:
                self.push(Pong())
        elif isinstance(message, TcpPortSubscribe):
            if message.port in self.refuse_ports:
                self.push(TcpSubscribeResult(port=None, error=f"port {message.port} is taken"))
            else:
                self.push(TcpSubscribeResult(port=message.port))

    def push(self, message: Any) -> None:
        self.push_raw(codec.encode_daemon(message))

    def push_raw(self, data: bytes) -> None:
        assert self._writer is not None, "no client connected"
        self._writer.write(data)

    async def drain(self) -> None:
        if self._writer is not None:
            await self._writer.drain()

    def drop_client(self) -> None:
        if self._writer is not None:
            self._writer.transport.abort()

    def of_type(self, kind: type) -> list[Any]:
        return [m for m in self.received if isinstance(m, kind)]

    async def close(self) -> None:
        self.drop_client()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
