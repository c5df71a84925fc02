"""The agent-protocol messages the server exchanges with mirrord's agent.

One frozen dataclass per message. The wire form of each (variant indices, field order) lives
in `codec.py`; the definitions follow mirrord's `mirrord/protocol/src/codec.rs` and `tcp.rs`.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- client → agent -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwitchProtocolVersion:
    """`ClientMessage::SwitchProtocolVersion(semver::Version)`: the client's version."""

    version: str


@dataclass(frozen=True, slots=True)
class GetEnvVarsRequest:
    """`ClientMessage::GetEnvVarsRequest`: names to drop (filter) and to keep (select)."""

    env_vars_filter: frozenset[str]
    env_vars_select: frozenset[str]


@dataclass(frozen=True, slots=True)
class Ping:
    """`ClientMessage::Ping`: keep-alive; the agent answers `Pong`."""


@dataclass(frozen=True, slots=True)
class TcpPortSubscribe:
    """`ClientMessage::Tcp(LayerTcp::PortSubscribe(port))`: mirror this port."""

    port: int


@dataclass(frozen=True, slots=True)
class TcpConnectionUnsubscribe:
    """`ClientMessage::Tcp(LayerTcp::ConnectionUnsubscribe(id))`: stop one connection."""

    connection_id: int


@dataclass(frozen=True, slots=True)
class TcpPortUnsubscribe:
    """`ClientMessage::Tcp(LayerTcp::PortUnsubscribe(port))`: stop mirroring this port."""

    port: int


@dataclass(frozen=True, slots=True)
class ClientClose:
    """`ClientMessage::Close`: the client is leaving."""


@dataclass(frozen=True, slots=True)
class ReadyForLogs:
    """`ClientMessage::ReadyForLogs`: the client accepts `LogMessage`s."""


@dataclass(frozen=True, slots=True)
class OtherClientMessage:
    """A known client message variant that this module decodes only by name."""

    name: str


ClientMessage = (
    SwitchProtocolVersion
    | GetEnvVarsRequest
    | Ping
    | TcpPortSubscribe
    | TcpConnectionUnsubscribe
    | TcpPortUnsubscribe
    | ClientClose
    | ReadyForLogs
    | OtherClientMessage
)

# --- agent → client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwitchProtocolVersionResponse:
    """`DaemonMessage::SwitchProtocolVersionResponse(semver::Version)`: the agent's version."""

    version: str


@dataclass(frozen=True, slots=True)
class GetEnvVarsResponse:
    """`DaemonMessage::GetEnvVarsResponse(RemoteResult<RemoteEnvVars>)`.

    Exactly one of `env` (success) and `error` (a description of the agent's
    `ResponseError`) is set.
    """

    env: dict[str, str] | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Pong:
    """`DaemonMessage::Pong`."""


@dataclass(frozen=True, slots=True)
class TcpSubscribeResult:
    """`DaemonMessage::Tcp(DaemonTcp::SubscribeResult(RemoteResult<Port>))`."""

    port: int | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TlsTransport:
    """`IncomingTrafficTransportType::Tls`: the agent terminated TLS on this connection."""

    alpn_protocol: bytes | None = None
    server_name: str | None = None


@dataclass(frozen=True, slots=True)
class TcpNewConnection:
    """`DaemonTcp::NewConnectionV1` / `NewConnectionV2` (both decode to this).

    Addresses are IP literals. `transport` is None for plain TCP (always so in V1). `v2`
    tells which variant was received, and selects the variant when encoding.
    """

    connection_id: int
    remote_address: str
    source_port: int
    destination_port: int
    local_address: str
    transport: TlsTransport | None = None
    v2: bool = True


@dataclass(frozen=True, slots=True)
class TcpData:
    """`DaemonTcp::Data`: bytes the mirrored connection carried."""

    connection_id: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TcpClose:
    """`DaemonTcp::Close`: the mirrored connection closed."""

    connection_id: int


@dataclass(frozen=True, slots=True)
class HttpRequestStart:
    """`DaemonTcp::HttpRequestChunked(ChunkedRequest::StartV2)`: a mirrored HTTP request.

    `port` is the destination port the request was sent to. `headers` keeps the wire order,
    values of one name together (`http::HeaderMap` groups them; names are lower case). `body`
    holds the data frames sent with the start; more arrive as `HttpRequestBody` unless
    `is_last`. `trailers`, when not None, is a trailers frame that ended the body. The source
    and destination addresses are those of the request's TCP connection
    (`HttpRequestMetadata::V1`); `transport` is None for plain TCP.

    Legacy forms (`DaemonTcp::HttpRequest`, `HttpRequestFramed`, `ChunkedRequest::StartV1`)
    decode to this too, with `legacy` set; encoding always produces `StartV2`.
    """

    connection_id: int
    request_id: int
    port: int
    method: str
    uri: str
    version: str
    headers: list[tuple[str, bytes]]
    body: list[bytes]
    is_last: bool
    trailers: list[tuple[str, bytes]] | None = None
    source_address: str = "0.0.0.0"
    source_port: int = 0
    destination_address: str = "0.0.0.0"
    transport: TlsTransport | None = None
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class HttpRequestBody:
    """`ChunkedRequest::Body`: further body data frames of a request (then the trailers)."""

    connection_id: int
    request_id: int
    frames: list[bytes]
    is_last: bool
    trailers: list[tuple[str, bytes]] | None = None


@dataclass(frozen=True, slots=True)
class HttpRequestError:
    """`ChunkedRequest::ErrorV2` (or `ErrorV1`, with an empty message): the request failed."""

    connection_id: int
    request_id: int
    message: str


@dataclass(frozen=True, slots=True)
class DaemonClose:
    """`DaemonMessage::Close(String)`: the agent ends the session."""

    message: str


@dataclass(frozen=True, slots=True)
class LogMessage:
    """`DaemonMessage::LogMessage`: level is "warn", "error" or "info"."""

    level: str
    message: str


@dataclass(frozen=True, slots=True)
class OtherDaemonMessage:
    """A known agent message variant that the server does not use (decoded and skipped)."""

    name: str


DaemonMessage = (
    SwitchProtocolVersionResponse
    | GetEnvVarsResponse
    | Pong
    | TcpSubscribeResult
    | TcpNewConnection
    | TcpData
    | TcpClose
    | HttpRequestStart
    | HttpRequestBody
    | HttpRequestError
    | DaemonClose
    | LogMessage
    | OtherDaemonMessage
)
