"""Replaying mirrored traffic to the debuggee, without a layer.

The agent copies what reaches the target's subscribed ports (mirror mode,
`mirrord/agent/src/mirror.rs`): raw TCP as `NewConnection` + `Data` +
`Close`; HTTP, for clients that negotiated 1.19.4 or later, as
`HttpRequestChunked` (`StartV2`, `Body`, `ErrorV2`) with the request already
parsed. Each mirrored connection or request is replayed on a fresh local
connection to `127.0.0.1:<local port>` (the port mapping's local port, else
the same port): bytes in order, an empty `Data` half-closes (the remote
client finished sending), `Close` closes. HTTP requests are rebuilt as
HTTP/1.1 bytes. What the debuggee answers is read and discarded.

A local port with nothing listening is counted and reported once through
`notice`; the mirrored connection is dropped (the agent is told to stop
sending it), never retried. Refusals within `quiet_for` seconds of the
start are only counted: the IDE starts the debuggee after the session is
up, and traffic that arrives before it listens is expected, not a problem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mirrord_ide.agent.protocol.messages import (
    HttpRequestBody,
    HttpRequestError,
    HttpRequestStart,
    TcpClose,
    TcpConnectionUnsubscribe,
    TcpData,
    TcpNewConnection,
)

log = logging.getLogger(__name__)

LOCAL_HOST = "127.0.0.1"
# Bytes held for one local connection (while it connects or while the
# debuggee reads slowly) before reading from the agent pauses.
HIGH_WATER = 4 * 1024 * 1024
LOW_WATER = 1024 * 1024

_CRLF = b"\r\n"
_LAST_CHUNK = b"0\r\n\r\n"


@dataclass(slots=True)
class MirrorStats:
    connections: int = 0  # raw TCP connections replayed
    requests: int = 0  # HTTP requests replayed
    messages: int = 0  # traffic messages handled
    bytes: int = 0  # bytes written to local connections
    unreachable: int = 0  # connections or requests with nothing listening locally
    failed: int = 0  # local connections that failed otherwise
    unreachable_ports: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {
            "connections": self.connections,
            "requests": self.requests,
            "bytes": self.bytes,
            "undelivered": self.unreachable + self.failed,
        }


class _Local(asyncio.Protocol):
    """One replayed connection to the debuggee. Writes before the connection
    is up are held and flushed in order once it is."""

    __slots__ = (
        "mirror",
        "connection_id",
        "port",
        "transport",
        "pending",
        "pending_size",
        "half_close",
        "close_when_flushed",
        "dead",
        "paused",
    )

    def __init__(self, mirror: Mirror, connection_id: int, port: int) -> None:
        self.mirror = mirror
        self.connection_id = connection_id
        self.port = port
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.half_close = False
        self.close_when_flushed = False
        self.dead = False
        self.paused = False

    # -- writing ----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.dead or not data:
            return
        self.mirror.stats.bytes += len(data)
        transport = self.transport
        if transport is not None:
            transport.write(data)
            return
        self.pending.append(data)
        self.pending_size += len(data)
        if self.pending_size > HIGH_WATER and not self.paused:
            self.paused = True
            self.mirror._pause(self)

    def finish_sending(self) -> None:
        """The remote client sent everything: half-close towards the debuggee."""
        if self.dead:
            return
        if self.transport is None:
            self.half_close = True
        elif self.transport.can_write_eof():
            self.transport.write_eof()

    def close(self) -> None:
        """Close once what was written is delivered."""
        if self.dead:
            return
        if self.transport is None:
            self.close_when_flushed = True
        else:
            self.transport.close()

    def abort(self) -> None:
        self.dead = True
        self.pending.clear()
        if self.transport is not None:
            self.transport.abort()
        self._unpause()

    def _unpause(self) -> None:
        if self.paused:
            self.paused = False
            self.mirror._resume(self)

    # -- asyncio.Protocol -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=HIGH_WATER, low=LOW_WATER)
        if self.dead:
            transport.abort()
            return
        if self.pending:
            transport.writelines(self.pending)
            self.pending = []
            self.pending_size = 0
        if not (transport.get_write_buffer_size() > HIGH_WATER):
            self._unpause()
        if self.half_close and transport.can_write_eof():
            transport.write_eof()
        if self.close_when_flushed:
            transport.close()

    def data_received(self, data: bytes) -> None:
        pass  # mirror mode: the debuggee's answer goes nowhere

    def eof_received(self) -> bool | None:
        return True  # keep our side open: the request may still be streaming

    def pause_writing(self) -> None:
        if not self.paused:
            self.paused = True
            self.mirror._pause(self)

    def resume_writing(self) -> None:
        self._unpause()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.dead:
            self.dead = True
            self.mirror._lost(self)
        self._unpause()


class Mirror:
    """Replays one agent connection's mirrored traffic. `handle` takes every
    traffic message; `send` carries client messages back to the agent;
    `pause`/`resume` stop and restart reading from the agent."""

    def __init__(
        self,
        *,
        send: Callable[[Any], None],
        local_port: Callable[[int], int] = lambda port: port,
        notice: Callable[[str], None] = lambda message: None,
        pause: Callable[[], None] = lambda: None,
        resume: Callable[[], None] = lambda: None,
        host: str = LOCAL_HOST,
        quiet_for: float = 0.0,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._report_from = self._loop.time() + quiet_for
        self._send = send
        self._local_port = local_port
        self._notice = notice
        self._pause_agent = pause
        self._resume_agent = resume
        self.host = host
        self.stats = MirrorStats()
        self._locals: dict[int, _Local] = {}
        self._http: dict[int, _HttpState] = {}
        self._paused: set[int] = set()
        self._connecting: set[asyncio.Task[None]] = set()
        self._closed = False
        handlers: dict[type, Callable[[Any], None]] = {
            TcpData: self._on_data,
            TcpNewConnection: self._on_new_connection,
            TcpClose: self._on_close,
            HttpRequestStart: self._on_http_start,
            HttpRequestBody: self._on_http_body,
            HttpRequestError: self._on_http_error,
        }
        self._handlers = handlers

    # -- entry point --------------------------------------------------------------

    def handle(self, message: Any) -> None:
        handler = self._handlers.get(type(message))
        if handler is None:
            log.debug("mirror: ignoring %s", type(message).__name__)
            return
        self.stats.messages += 1
        handler(message)

    # -- raw TCP ------------------------------------------------------------------

    def _on_new_connection(self, message: TcpNewConnection) -> None:
        self.stats.connections += 1
        self._open(message.connection_id, message.destination_port)

    def _on_data(self, message: TcpData) -> None:
        local = self._locals.get(message.connection_id)
        if local is None:
            return
        if message.data:
            local.write(message.data)
        else:
            local.finish_sending()

    def _on_close(self, message: TcpClose) -> None:
        self._http.pop(message.connection_id, None)
        local = self._locals.pop(message.connection_id, None)
        if local is not None:
            local.close()

    # -- HTTP ---------------------------------------------------------------------

    def _on_http_start(self, message: HttpRequestStart) -> None:
        self.stats.requests += 1
        key = message.connection_id
        port = self._local_port(message.port)
        local = self._locals.get(key) or self._open(key, message.port)
        head, state = request_head(message, port)
        self._http[key] = state
        local.write(head)
        for frame in message.body:
            local.write(state.frame(frame))
        if message.is_last:
            local.write(state.end())

    def _on_http_body(self, message: HttpRequestBody) -> None:
        local = self._locals.get(message.connection_id)
        state = self._http.get(message.connection_id)
        if local is None or state is None:
            return
        for frame in message.frames:
            local.write(state.frame(frame))
        if message.is_last:
            local.write(state.end())

    def _on_http_error(self, message: HttpRequestError) -> None:
        # The agent lost the rest of the request: the replay would be a lie.
        self._http.pop(message.connection_id, None)
        local = self._locals.pop(message.connection_id, None)
        if local is not None:
            local.abort()
        log.info(
            "mirrored request %s failed in the agent: %s", message.connection_id, message.message
        )

    # -- local connections ----------------------------------------------------------

    def _open(self, connection_id: int, remote_port: int) -> _Local:
        port = self._local_port(remote_port)
        local = _Local(self, connection_id, port)
        self._locals[connection_id] = local
        if self._closed:
            local.dead = True
            return local
        task = self._loop.create_task(self._connect(local, remote_port))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)
        return local

    async def _connect(self, local: _Local, remote_port: int) -> None:
        try:
            await self._loop.create_connection(lambda: local, self.host, local.port)
        except ConnectionRefusedError:
            self.stats.unreachable += 1
            self._drop(local)
            if self._loop.time() < self._report_from:
                return
            if local.port not in self.stats.unreachable_ports:
                self.stats.unreachable_ports.add(local.port)
                mapped = "" if local.port == remote_port else f" (remote port {remote_port})"
                self._notice(
                    f"mirrored traffic for port {local.port}{mapped} is dropped: nothing listens "
                    f"on {self.host}:{local.port}. Start the debuggee listening there, or map "
                    "the port with feature.network.incoming.port_mapping."
                )
        except OSError as error:
            self.stats.failed += 1
            self._drop(local)
            log.info("mirrored connection to %s:%s failed: %s", self.host, local.port, error)

    def _drop(self, local: _Local) -> None:
        local.abort()
        if self._locals.get(local.connection_id) is local:
            del self._locals[local.connection_id]
            self._http.pop(local.connection_id, None)
            self._send(TcpConnectionUnsubscribe(local.connection_id))

    def _lost(self, local: _Local) -> None:
        """The debuggee closed or reset a replayed connection early."""
        if self._locals.get(local.connection_id) is local:
            del self._locals[local.connection_id]
            self._http.pop(local.connection_id, None)
            self._send(TcpConnectionUnsubscribe(local.connection_id))

    def _pause(self, local: _Local) -> None:
        if not self._paused:
            self._pause_agent()
        self._paused.add(id(local))

    def _resume(self, local: _Local) -> None:
        self._paused.discard(id(local))
        if not self._paused:
            self._resume_agent()

    @property
    def open_connections(self) -> int:
        return len(self._locals)

    def close(self) -> None:
        """Drop every replay (the session ended)."""
        self._closed = True
        for task in list(self._connecting):
            task.cancel()
        for local in list(self._locals.values()):
            local.abort()
        self._locals.clear()
        self._http.clear()
        self._paused.clear()


# -- HTTP/1.1 rebuilding -------------------------------------------------------------


class _HttpState:
    """How one request's body goes on the wire: as is (a content-length is
    known) or chunked."""

    __slots__ = ("chunked", "ended")

    def __init__(self, chunked: bool) -> None:
        self.chunked = chunked
        self.ended = False

    def frame(self, data: bytes) -> bytes:
        if not data or self.ended:
            return b""
        if not self.chunked:
            return data
        return b"%x\r\n%b\r\n" % (len(data), data)

    def end(self) -> bytes:
        if self.ended:
            return b""
        self.ended = True
        return _LAST_CHUNK if self.chunked else b""


# Headers that describe one HTTP/1.1 connection or the body's framing: the
# replay sets its own.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "upgrade", "te"}


def request_head(message: HttpRequestStart, local_port: int) -> tuple[bytes, _HttpState]:
    """The request line and headers of `message` as HTTP/1.1, and how its body
    is framed: kept as is when the request has a content-length, else
    chunked when the body streams over several messages (or was chunked),
    else a content-length for a body that came whole."""
    target = message.uri or "/"
    host: str | None = None
    if "://" in target:
        parts = urlsplit(target)
        host = parts.netloc or None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    elif not target.startswith("/") and target != "*" and message.method != "CONNECT":
        target = "/" + target
    names = {name.lower() for name, _ in message.headers}
    h2 = not message.version.startswith("HTTP/1")
    lines = [b"%s %s HTTP/1.1" % (message.method.encode("ascii", "replace"), _latin1(target))]
    was_chunked = False
    for name, value in message.headers:
        lowered = name.lower()
        if lowered == "transfer-encoding":
            was_chunked = was_chunked or b"chunked" in value.lower()
            continue
        if h2 and lowered in _HOP_BY_HOP:
            continue
        if lowered.startswith(":"):
            continue
        lines.append(_latin1(name) + b": " + value)
    if "host" not in names:
        lines.insert(1, b"Host: " + _latin1(host or f"{LOCAL_HOST}:{local_port}"))
    body_size = sum(len(frame) for frame in message.body)
    if "content-length" in names:
        chunked = False
    elif was_chunked or not message.is_last:
        chunked = True
        lines.append(b"Transfer-Encoding: chunked")
    else:
        chunked = False
        if body_size or message.method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: %d" % body_size)
    return _CRLF.join(lines) + _CRLF + _CRLF, _HttpState(chunked)


def _latin1(text: str) -> bytes:
    return text.encode("latin-1", "replace")
