"""The server's own connection to a mirrord agent, speaking mirrord's agent
protocol (`mirrord/protocol/src/codec.rs`) over the session's port-forward.

Order of work, as mirrord's CLI does it (`mirrord/cli/src/execution.rs`):
`SwitchProtocolVersion` → `SwitchProtocolVersionResponse` (an agent whose
version is below `MIN_AGENT_VERSION` is refused), then `GetEnvVarsRequest`.
While the session lives, a `Ping` goes out every `PING_INTERVAL` seconds;
no `Pong` (nor any other byte) for `PONG_TIMEOUT` seconds ends the
connection, as do a dropped socket, an agent `Close`, and bytes the codec
cannot decode. The end is reported once through `ended` as
`(reason, message)` with the contract's reasons.

Traffic messages (mirrored connections and requests) go to `traffic`; the
connection never raises out of its callbacks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from mirrord_ide.agent.protocol import codec
from mirrord_ide.agent.protocol.bincode import DecodeError
from mirrord_ide.agent.protocol.messages import (
    ClientClose,
    DaemonClose,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    LogMessage,
    OtherDaemonMessage,
    Ping,
    Pong,
    ReadyForLogs,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    TcpPortSubscribe,
    TcpSubscribeResult,
)
from mirrord_ide.errors import ClusterUnreachable, Conflict, Timeout

log = logging.getLogger(__name__)

PING_INTERVAL = 1.0
PONG_TIMEOUT = 5.0

CONNECTION_LOST = "connection-lost"
AGENT_EXITED = "agent-exited"

Traffic = Callable[[Any], None]


def version_below(version: str, minimum: str) -> bool:
    """Whether the agent's `version` is below `minimum` (an unreadable one is)."""
    try:
        return not codec.version_at_least(version, minimum)
    except ValueError:
        return True


class AgentError(ClusterUnreachable):
    """The agent connection failed or the agent answered with an error."""


class AgentConnection(asyncio.Protocol):
    """One connection to the agent; create with `connect_agent`."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stream = codec.DaemonStream()
        self._transport: asyncio.Transport | None = None
        self._waiting: dict[type, collections.deque[asyncio.Future[Any]]] = {
            SwitchProtocolVersionResponse: collections.deque(),
            GetEnvVarsResponse: collections.deque(),
            TcpSubscribeResult: collections.deque(),
        }
        self.ended: asyncio.Future[tuple[str, str]] = self._loop.create_future()
        self.traffic: Traffic = _drop
        self.on_log: Callable[[str, str], None] = _log_agent_message
        self.agent_version: str | None = None
        self._last_rx = self._loop.time()
        self._ping_sent: float | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._paused = False
        self.messages_in = 0
        # The socket closed under us (rather than a protocol-level end).
        self.dropped = False

    # -- asyncio.Protocol -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._last_rx = self._loop.time()
        try:
            messages = self._stream.feed(data)
        except DecodeError as error:
            # What came before the bad bytes still counts (it may be the agent's Close).
            self._deliver(list(error.messages))
            self._end(
                CONNECTION_LOST,
                f"the agent sent something this server does not understand ({error}); "
                "the connection was closed",
            )
            return
        except Exception as error:  # noqa: BLE001 - a codec bug must not crash the session
            log.exception("decoding an agent message failed")
            self._end(CONNECTION_LOST, f"an agent message could not be read: {error}")
            return
        self._deliver(messages)

    def _deliver(self, messages: list[Any]) -> None:
        self.messages_in += len(messages)
        for message in messages:
            if self.ended.done():
                return
            try:
                self._dispatch(message)
            except Exception:  # noqa: BLE001 - one bad message must not end the session
                log.exception("handling the agent message %s failed", type(message).__name__)

    def eof_received(self) -> bool | None:
        self.dropped = not self.ended.done()
        self._end(CONNECTION_LOST, "the agent closed the connection")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.dropped = self.dropped or not self.ended.done()
        detail = f": {exc}" if exc else ""
        self._end(CONNECTION_LOST, f"the connection to the agent was lost{detail}")

    # -- messages ---------------------------------------------------------------

    def _dispatch(self, message: Any) -> None:
        kind = type(message)
        if kind is Pong:
            self._ping_sent = None
            return
        waiting = self._waiting.get(kind)
        if waiting is not None:
            while waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_result(message)
                    return
            if kind is TcpSubscribeResult:
                log.info("agent subscription result with no request: %s", message)
            return
        if kind is DaemonClose:
            self._end(CONNECTION_LOST, f"the agent closed the session: {message.message}")
            return
        if kind is LogMessage:
            self.on_log(message.level, message.message)
            return
        if kind is OtherDaemonMessage:
            log.debug("skipping agent message %s", message.name)
            return
        self.traffic(message)

    def send(self, message: Any) -> None:
        """Queue a client message; dropped once the connection has ended."""
        transport = self._transport
        if transport is None or transport.is_closing() or self.ended.done():
            return
        transport.write(codec.encode_client(message))

    async def _request(self, message: Any, answer: type, timeout: float, what: str) -> Any:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._waiting[answer].append(future)
        self.send(message)
        try:
            done, _ = await asyncio.wait(
                {future, self.ended}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not future.done():
                # Cancelled or unanswered: the answer, if it comes, is not this caller's.
                future.cancel()
        if future in done:
            return future.result()
        if self.ended.done():
            _, why = self.ended.result()
            raise AgentError(
                f"{what} failed: {why}",
                hint="check the agent pod's log (`kubectl logs -l app=mirrord`); the agent "
                "image must be mirrord's agent",
            )
        raise Timeout(
            f"{what}: the agent did not answer within {timeout:g}s",
            hint="raise `agent.communication_timeout` or check the agent pod's log",
        )

    async def handshake(self, timeout: float) -> str:
        """Agree on the protocol version; returns the agent's. Refuses an agent
        below `MIN_AGENT_VERSION`."""
        answer = await self._request(
            SwitchProtocolVersion(codec.PROTOCOL_VERSION),
            SwitchProtocolVersionResponse,
            timeout,
            "agent protocol handshake",
        )
        version = str(answer.version)
        self.agent_version = version
        if version_below(version, codec.MIN_AGENT_VERSION):
            raise Conflict(
                f"the agent speaks mirrord protocol {version}, older than {codec.MIN_AGENT_VERSION}"
                f", the oldest this server supports (it asked for {codec.PROTOCOL_VERSION})",
                hint="use a newer agent image (`agent.image`), or install mirrord and use "
                "the mirrord CLI engine",
            )
        # The agent holds its `LogMessage`s until told (`CLIENT_READY_FOR_LOGS`,
        # >= 1.3.1 in `mirrord/protocol/src/codec.rs`), as mirrord's intproxy does.
        self.send(ReadyForLogs())
        return version

    async def get_env(
        self, env_filter: frozenset[str], env_select: frozenset[str], timeout: float
    ) -> GetEnvVarsResponse:
        answer: GetEnvVarsResponse = await self._request(
            GetEnvVarsRequest(env_vars_filter=env_filter, env_vars_select=env_select),
            GetEnvVarsResponse,
            timeout,
            "reading the target's process environment",
        )
        return answer

    async def subscribe(self, port: int, timeout: float) -> str | None:
        """Ask the agent to mirror `port`; None when it accepted, else its error."""
        answer: TcpSubscribeResult = await self._request(
            TcpPortSubscribe(port), TcpSubscribeResult, timeout, f"subscribing to port {port}"
        )
        return answer.error

    # -- flow control -----------------------------------------------------------

    def pause_reading(self) -> None:
        if not self._paused and self._transport is not None and not self._transport.is_closing():
            self._paused = True
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused and self._transport is not None and not self._transport.is_closing():
            self._paused = False
            self._last_rx = self._loop.time()
            self._transport.resume_reading()

    # -- keep-alive and end -----------------------------------------------------

    def start_keepalive(
        self, interval: float = PING_INTERVAL, pong_timeout: float = PONG_TIMEOUT
    ) -> None:
        if self._keepalive is None and not self.ended.done():
            self._keepalive = self._loop.create_task(self._ping_loop(interval, pong_timeout))

    async def _ping_loop(self, interval: float, pong_timeout: float) -> None:
        while not self.ended.done():
            await asyncio.sleep(interval)
            now = self._loop.time()
            if self._ping_sent is not None:
                # Traffic queued ahead of the Pong also shows the agent is alive;
                # while reading is paused for a slow debuggee, nothing is expected.
                silent = now - max(self._ping_sent, self._last_rx)
                if silent >= pong_timeout and not self._paused:
                    self._end(
                        CONNECTION_LOST,
                        f"the agent stopped answering (no reply to a ping in {pong_timeout:g}s)",
                    )
                    return
                continue
            self._ping_sent = now
            self.send(Ping())

    def _end(self, reason: str, message: str) -> None:
        if not self.ended.done():
            self.ended.set_result((reason, message))
        for waiting in self._waiting.values():
            waiting.clear()
        if self._keepalive is not None and self._keepalive is not asyncio.current_task():
            self._keepalive.cancel()
        if self._transport is not None:
            self._transport.abort()

    async def close(self) -> None:
        """Say goodbye (`ClientMessage::Close`) and close the socket."""
        transport = self._transport
        if transport is not None and not transport.is_closing() and not self.ended.done():
            with contextlib.suppress(Exception):
                transport.write(codec.encode_client(ClientClose()))
            self.ended.set_result(("stopped", "the session was stopped"))
            transport.close()
        else:
            self._end("stopped", "the session was stopped")
        keepalive = self._keepalive
        if keepalive is not None and keepalive is not asyncio.current_task():
            keepalive.cancel()
            # `asyncio.wait`, not `await keepalive`: a cancellation of the caller
            # must propagate, not be taken for the keep-alive's own.
            await asyncio.wait({keepalive})
            if not keepalive.cancelled():
                keepalive.exception()  # retrieved: the connection is closed either way


def _drop(message: Any) -> None:
    log.debug("agent traffic with no receiver: %s", type(message).__name__)


def _log_agent_message(level: str, message: str) -> None:
    log.log(
        logging.ERROR if level == "error" else logging.WARNING if level == "warn" else logging.INFO,
        "agent: %s",
        message,
    )


async def connect_agent(host: str, port: int, timeout: float) -> AgentConnection:
    """Open a connection to the agent (the session's port-forward listener)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, protocol = await loop.create_connection(AgentConnection, host, port)
    except TimeoutError:
        raise Timeout(f"connecting to the agent at {host}:{port} timed out") from None
    except OSError as error:
        raise AgentError(
            f"could not connect to the agent at {host}:{port}: {error.strerror or error}"
        ) from None
    return protocol
