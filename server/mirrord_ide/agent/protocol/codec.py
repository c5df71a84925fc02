"""Encoding and decoding of whole agent-protocol messages.

mirrord's `ProtocolCodec` (`mirrord/protocol/src/codec.rs`) writes each `ClientMessage` /
`DaemonMessage` with bincode 2 `config::standard()`, back to back with no length prefix, so a
reader cannot skip a message it does not understand: an unknown variant ends the stream with a
`DecodeError`. Variant indices below are declaration positions in mirrord's
`mirrord/protocol/src/codec.rs`, `tcp.rs` and `error.rs` (crate version 1.29.0).

The HTTP request inside `ChunkedRequestStartV2` (`InternalHttpRequest`, `#[bincode(with_serde)]`)
goes through serde with the `http_serde` helpers: method, URI and version as strings
("HTTP/1.1"), the header map as a map from name to the sequence of that name's values
(byte strings: bincode's serializer is not human-readable), body frames as a serde enum
(`Data(bytes)` = 0, `Trailers(header map)` = 1).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TypeVar

from .bincode import DecodeError, NeedMore, Reader, Writer
from .messages import (
    ClientClose,
    ClientMessage,
    DaemonClose,
    DaemonMessage,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    HttpRequestBody,
    HttpRequestError,
    HttpRequestStart,
    LogMessage,
    OtherClientMessage,
    OtherDaemonMessage,
    Ping,
    Pong,
    ReadyForLogs,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    TcpClose,
    TcpConnectionUnsubscribe,
    TcpData,
    TcpNewConnection,
    TcpPortSubscribe,
    TcpPortUnsubscribe,
    TcpSubscribeResult,
    TlsTransport,
)

__all__ = [
    "HTTP_CHUNKED_V2_VERSION",
    "MIN_AGENT_VERSION",
    "PROTOCOL_VERSION",
    "ClientStream",
    "DaemonStream",
    "DecodeError",
    "NeedMore",
    "decode_client",
    "decode_daemon",
    "encode_client",
    "encode_daemon",
    "parse_version",
    "version_at_least",
    "version_matches",
]

T = TypeVar("T")

# The mirrord-protocol version whose message set this module implements (the crate version of
# `mirrord/protocol/Cargo.toml` the definitions were read from). Every message an agent may
# send to a mirror-only client claiming it decodes here: responses to requests this module
# never sends cannot arrive, and `OperatorPing` (>= 1.19.8) decodes as `OtherDaemonMessage`.
PROTOCOL_VERSION = "1.29.0"

# `MODE_AGNOSTIC_HTTP_REQUESTS` (`tcp.rs`): from this version the agent mirrors HTTP requests as
# `HttpRequestChunked(StartV2 / Body)` and connections as `NewConnectionV2`
# (`mirrord/agent/src/mirror.rs`); below it, mirrored HTTP is dropped with a log message.
HTTP_CHUNKED_V2_VERSION = "1.19.4"

# An agent answering with an older version cannot mirror HTTP in the form this module reads.
MIN_AGENT_VERSION = HTTP_CHUNKED_V2_VERSION

HTTP_VERSIONS = frozenset({"HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0"})

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def parse_version(text: str) -> tuple[int, int, int, bool]:
    """(major, minor, patch, is_release) of a semver string; ValueError if it is not one."""
    match = _SEMVER.fullmatch(text)
    if match is None:
        raise ValueError(f"not a semantic version: {text!r}")
    return int(match[1]), int(match[2]), int(match[3]), match[4] is None


def version_at_least(version: str, minimum: str) -> bool:
    """Whether `version` is `minimum` or later (a pre-release sorts before its release)."""
    return parse_version(version) >= parse_version(minimum)


def version_matches(version: str, minimum: str) -> bool:
    """Whether `version` matches the requirement `>=minimum` as the `semver` crate decides
    it (the agent's gates): a pre-release never matches a requirement without one."""
    parsed = parse_version(version)
    return parsed[3] and parsed >= parse_version(minimum)


# --- shared pieces ----------------------------------------------------------------------------


def _read_semver(r: Reader) -> str:
    text = r.read_str()
    try:
        parse_version(text)
    except ValueError as exc:
        raise DecodeError(str(exc)) from None
    return text


def _write_semver(w: Writer, version: str) -> None:
    parse_version(version)
    w.str(version)


def _read_ip(r: Reader) -> str:
    tag = r.read_enum()
    if tag == 0:
        return str(ipaddress.IPv4Address(r.read_raw(4)))
    if tag == 1:
        return str(ipaddress.IPv6Address(r.read_raw(16)))
    raise DecodeError(f"unknown IpAddr variant {tag}")


def _write_ip(w: Writer, address: str) -> None:
    ip = ipaddress.ip_address(address)
    w.enum(0 if ip.version == 4 else 1)
    w.raw(ip.packed)


def _read_socket_addr(r: Reader) -> tuple[str, int]:
    # `SocketAddr`: V4 = 0 (4 octets, port), V6 = 1 (16 octets, port); bincode drops the V6
    # flow info and scope id.
    ip = _read_ip(r)
    return ip, r.read_u16()


def _write_socket_addr(w: Writer, address: str, port: int) -> None:
    _write_ip(w, address)
    w.varint(port)


def _read_transport(r: Reader) -> TlsTransport | None:
    # `IncomingTrafficTransportType`: Tcp = 0, Tls { alpn_protocol, server_name } = 1.
    tag = r.read_enum()
    if tag == 0:
        return None
    if tag == 1:
        return TlsTransport(r.read_option(r.read_bytes), r.read_option(r.read_str))
    raise DecodeError(f"unknown IncomingTrafficTransportType variant {tag}")


def _write_transport(w: Writer, transport: TlsTransport | None) -> None:
    if transport is None:
        w.enum(0)
        return
    w.enum(1)
    w.option(transport.alpn_protocol, w.bytes)
    w.option(transport.server_name, w.str)


def _read_result(r: Reader, ok: Callable[[], T]) -> tuple[T | None, str | None]:
    """`Result<T, ResponseError>`: Ok = 0, Err = 1."""
    tag = r.read_enum()
    if tag == 0:
        return ok(), None
    if tag == 1:
        return None, _read_response_error(r)
    raise DecodeError(f"unknown Result variant {tag}")


def _write_error(w: Writer, message: str) -> None:
    # Errors are sent as `ResponseError::SystemFailure { can_retry: false, code: 0, message }`
    # (index 13), the variant that carries free text.
    w.enum(1)
    w.enum(13)
    w.bool(False)
    w.varint(0)
    w.str(message)


# --- ResponseError (error.rs), decoded to a description ---------------------------------------

_IO_ERROR_KINDS = (
    "NotFound",
    "PermissionDenied",
    "ConnectionRefused",
    "ConnectionReset",
    "HostUnreachable",
    "NetworkUnreachable",
    "ConnectionAborted",
    "NotConnected",
    "AddrInUse",
    "AddrNotAvailable",
    "NetworkDown",
    "BrokenPipe",
    "AlreadyExists",
    "WouldBlock",
    "NotADirectory",
    "IsADirectory",
    "DirectoryNotEmpty",
    "ReadOnlyFilesystem",
    "FilesystemLoop",
    "StaleNetworkFileHandle",
    "InvalidInput",
    "InvalidData",
    "TimedOut",
    "WriteZero",
    "StorageFull",
    "NotSeekable",
    "FilesystemQuotaExceeded",
    "FileTooLarge",
    "ResourceBusy",
    "ExecutableFileBusy",
    "Deadlock",
    "CrossesDevices",
    "TooManyLinks",
    "InvalidFilename",
    "ArgumentListTooLong",
    "Interrupted",
    "Unsupported",
    "UnexpectedEof",
    "OutOfMemory",
    "Other",
)  # then Unknown(String) at index 40

_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


def _read_unix_or_ip(r: Reader) -> str:
    # `SocketAddress`: Ip(SocketAddr) = 0, Unix(UnixAddr) = 1; `UnixAddr`: Pathname(PathBuf,
    # encoded as a string) = 0, Abstract(Vec<u8>) = 1, Unnamed = 2.
    tag = r.read_enum()
    if tag == 0:
        ip, port = _read_socket_addr(r)
        return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    if tag != 1:
        raise DecodeError(f"unknown SocketAddress variant {tag}")
    unix = r.read_enum()
    if unix == 0:
        return r.read_str()
    if unix == 1:
        return "@" + r.read_bytes().decode("utf-8", "replace")
    if unix == 2:
        return "(unnamed unix socket)"
    raise DecodeError(f"unknown UnixAddr variant {unix}")


_MAX_FILTER_DEPTH = 32


def _read_http_filter(r: Reader, depth: int = 0) -> str:
    # `HttpFilter`: Header = 0, Path = 1, Composite { all, filters } = 2, Method = 3,
    # Body = 4, HeaderJq = 5.
    if depth > _MAX_FILTER_DEPTH:
        raise DecodeError("HTTP filter nested too deeply")
    tag = r.read_enum()
    if tag == 0:
        return f"header={r.read_str()}"
    if tag == 1:
        return f"path={r.read_str()}"
    if tag == 2:
        all_ = r.read_bool()
        filters = r.read_seq(lambda: _read_http_filter(r, depth + 1))
        joined = ", ".join(f"({f})" for f in filters)
        return f"{'all' if all_ else 'any'} of {joined}"
    if tag == 3:
        method = r.read_enum()
        if method < len(_HTTP_METHODS):
            return f"method={_HTTP_METHODS[method]}"
        if method == len(_HTTP_METHODS):
            return f"method={r.read_str()}"
        raise DecodeError(f"unknown HttpMethodFilter variant {method}")
    if tag == 4:
        body = r.read_enum()
        if body != 0:
            raise DecodeError(f"unknown HttpBodyFilter variant {body}")
        query = r.read_str()
        return f"body json {query} matches {r.read_str()}"
    if tag == 5:
        return f"header_jq={r.read_str()}"
    raise DecodeError(f"unknown HttpFilter variant {tag}")


def _read_blocked_action(r: Reader) -> str:
    # `BlockedAction`: Steal(StealType) = 0, Mirror(Port) = 1, OutgoingTcp = 2, OutgoingUdp = 3;
    # `StealType`: All(Port) = 0, FilteredHttp(Port, Filter) = 1, FilteredHttpEx(Port,
    # HttpFilter) = 2.
    tag = r.read_enum()
    if tag == 0:
        steal = r.read_enum()
        port = r.read_u16()
        if steal == 0:
            return f"stealing traffic from port {port}"
        if steal == 1:
            return f"stealing traffic from port {port} filtered by header={r.read_str()}"
        if steal == 2:
            return f"stealing traffic from port {port} filtered by {_read_http_filter(r)}"
        raise DecodeError(f"unknown StealType variant {steal}")
    if tag == 1:
        return f"mirroring traffic from port {r.read_u16()}"
    if tag in (2, 3):
        kind = "TCP" if tag == 2 else "UDP"
        return f"outgoing {kind} connection to {_read_unix_or_ip(r)}"
    raise DecodeError(f"unknown BlockedAction variant {tag}")


def _policy(name: str | None) -> str:
    return f'the mirrord policy "{name}"' if name else "a mirrord policy"


def _read_response_error(r: Reader) -> str:
    tag = r.read_enum()
    if tag == 0:
        return f"ids exhausted: {r.read_str()}"
    if tag in (1, 2, 3):
        what = ("resource not found", "not a directory", "not a file")[tag - 1]
        return f"{what}: {r.read_u64()}"
    if tag == 4:
        raw = r.read_option(lambda: r.read_zigzag(32))
        kind_tag = r.read_enum()
        if kind_tag < len(_IO_ERROR_KINDS):
            kind = _IO_ERROR_KINDS[kind_tag]
        elif kind_tag == len(_IO_ERROR_KINDS):
            kind = r.read_str()
        else:
            raise DecodeError(f"unknown ErrorKindInternal variant {kind_tag}")
        return f"remote I/O error: {kind}" + (f" (errno {raw})" if raw is not None else "")
    if tag == 5:
        kind_tag = r.read_enum()
        names = {1: "no connections", 3: "protocol error", 4: "timeout", 5: "unknown error"}
        if kind_tag == 0:
            detail = r.read_str()
        elif kind_tag == 2:
            detail = f"no records found {r.read_u16()}"
        elif kind_tag in names:
            detail = names[kind_tag]
        elif kind_tag == 6:
            detail = "DNS configuration file not found"
        elif kind_tag == 7:
            detail = "permission denied reading DNS configuration"
        else:
            raise DecodeError(f"unknown ResolveErrorKindInternal variant {kind_tag}")
        return f"DNS lookup failed: {detail}"
    if tag == 6:
        remote = r.read_enum()
        if remote == 0:
            return "no DNS nameserver found"
        if remote == 1:
            return f"address parsing failed: {r.read_str()}"
        if remote in (2, 3):
            addr = _read_unix_or_ip(r)
            return f"invalid address {addr}" if remote == 2 else f"connect to {addr} timed out"
        if remote == 4:
            regex = r.read_str()
            return f"bad HTTP filter regex {regex!r}: {r.read_str()}"
        if remote == 5:
            flt = _read_http_filter(r)
            return f"bad HTTP filter {flt}: {r.read_str()}"
        raise DecodeError(f"unknown RemoteError variant {remote}")
    if tag == 7:
        return f"port {r.read_u16()} is already stolen by another mirrord client"
    if tag == 8:
        return "operation not supported by mirrord"
    if tag in (9, 12):
        action = _read_blocked_action(r)
        policy = r.read_option(r.read_str)
        text = f"{action} is forbidden by {_policy(policy)} for this target"
        return text + (f" ({r.read_str()})" if tag == 12 else "")
    if tag == 10:
        return f"path prefix error: {r.read_str()}"
    if tag == 11:
        return "the file has to be opened locally"
    if tag == 13:
        r.read_bool()  # can_retry
        r.read_u32()  # code
        return r.read_str()
    raise DecodeError(f"unknown ResponseError variant {tag}")


# --- InternalHttpRequest (serde) ---------------------------------------------------------------


def _read_header_map(r: Reader) -> list[tuple[str, bytes]]:
    headers: list[tuple[str, bytes]] = []
    for _ in range(r.read_len()):
        name = r.read_str()
        for value in r.read_seq(r.read_bytes):
            headers.append((name, value))
    return headers


def _write_header_map(w: Writer, headers: list[tuple[str, bytes]]) -> None:
    grouped: dict[str, list[bytes]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    w.varint(len(grouped))
    for name, values in grouped.items():
        w.str(name)
        w.seq(values, w.bytes)


def _read_frames(r: Reader) -> tuple[list[bytes], list[tuple[str, bytes]] | None]:
    """A serde `Vec<InternalHttpBodyFrame>`: data frames and the trailers, if any."""
    data: list[bytes] = []
    trailers: list[tuple[str, bytes]] | None = None
    count = r.read_len()
    if count > r.remaining:
        raise NeedMore
    for _ in range(count):
        tag = r.read_u32()
        if tag == 0:
            data.append(r.read_bytes())
        elif tag == 1:
            trailers = (trailers or []) + _read_header_map(r)
        else:
            raise DecodeError(f"unknown InternalHttpBodyFrame variant {tag}")
    return data, trailers


def _write_frames(w: Writer, data: list[bytes], trailers: list[tuple[str, bytes]] | None) -> None:
    w.varint(len(data) + (trailers is not None))
    for chunk in data:
        w.enum(0)
        w.bytes(chunk)
    if trailers is not None:
        w.enum(1)
        _write_header_map(w, trailers)


def _read_request_head(r: Reader) -> tuple[str, str, list[tuple[str, bytes]], str]:
    method = r.read_str()
    uri = r.read_str()
    headers = _read_header_map(r)
    version = r.read_str()
    if version not in HTTP_VERSIONS:
        raise DecodeError(f"unknown HTTP version {version!r}")
    if not method:
        raise DecodeError("empty HTTP method")
    return method, uri, headers, version


# --- DaemonTcp ---------------------------------------------------------------------------------


def _read_new_connection_v1(r: Reader, v2: bool) -> TcpNewConnection:
    # `NewTcpConnectionV1`: connection_id, remote_address, destination_port, source_port,
    # local_address (in this order).
    cid = r.read_u64()
    remote = _read_ip(r)
    dport = r.read_u16()
    sport = r.read_u16()
    local = _read_ip(r)
    transport = _read_transport(r) if v2 else None
    return TcpNewConnection(cid, remote, sport, dport, local, transport, v2)


def _read_legacy_request(r: Reader, body_kind: int) -> HttpRequestStart:
    """`HttpRequest<B>`: serde InternalHttpRequest, connection_id, request_id, port."""
    method, uri, headers, version = _read_request_head(r)
    trailers = None
    if body_kind == 0:  # Payload
        body = [r.read_bytes()]
    else:  # InternalHttpBody / Vec<InternalHttpBodyFrame>
        body, trailers = _read_frames(r)
    cid = r.read_u64()
    rid = r.read_u16()
    port = r.read_u16()
    return HttpRequestStart(
        cid,
        rid,
        port,
        method,
        uri,
        version,
        headers,
        body,
        is_last=body_kind != 2,
        trailers=trailers,
        legacy=True,
    )


def _read_chunked(r: Reader) -> DaemonMessage:
    # `ChunkedRequest`: StartV1 = 0, Body = 1, ErrorV1 = 2, StartV2 = 3, ErrorV2 = 4.
    tag = r.read_enum()
    if tag == 3:
        cid = r.read_u64()
        rid = r.read_u16()
        method, uri, headers, version = _read_request_head(r)
        body, trailers = _read_frames(r)
        is_last = r.read_bool()
        meta = r.read_enum()
        if meta != 0:
            raise DecodeError(f"unknown HttpRequestMetadata variant {meta}")
        src, sport = _read_socket_addr(r)
        dst, dport = _read_socket_addr(r)
        transport = _read_transport(r)
        return HttpRequestStart(
            cid,
            rid,
            dport,
            method,
            uri,
            version,
            headers,
            body,
            is_last,
            trailers,
            src,
            sport,
            dst,
            transport,
        )
    if tag == 1:
        # `ChunkedRequestBodyV1`: frames (serde), is_last, connection_id, request_id.
        frames, trailers = _read_frames(r)
        is_last = r.read_bool()
        return HttpRequestBody(r.read_u64(), r.read_u16(), frames, is_last, trailers)
    if tag == 4:
        return HttpRequestError(r.read_u64(), r.read_u16(), r.read_str())
    if tag == 2:
        return HttpRequestError(r.read_u64(), r.read_u16(), "")
    if tag == 0:
        return _read_legacy_request(r, 2)
    raise DecodeError(f"unknown ChunkedRequest variant {tag}")


def _read_daemon_tcp(r: Reader) -> DaemonMessage:
    # `DaemonTcp`: NewConnectionV1 = 0, Data = 1, Close = 2, SubscribeResult = 3,
    # HttpRequest = 4, HttpRequestFramed = 5, HttpRequestChunked = 6, NewConnectionV2 = 7.
    tag = r.read_enum()
    if tag == 1:
        cid = r.read_u64()
        return TcpData(cid, r.read_bytes())
    if tag == 6:
        return _read_chunked(r)
    if tag == 2:
        return TcpClose(r.read_u64())
    if tag == 7:
        return _read_new_connection_v1(r, True)
    if tag == 0:
        return _read_new_connection_v1(r, False)
    if tag == 3:
        port, error = _read_result(r, r.read_u16)
        return TcpSubscribeResult(port, error)
    if tag in (4, 5):
        return _read_legacy_request(r, tag - 4)
    raise DecodeError(f"unknown DaemonTcp variant {tag}")


# --- DaemonMessage -----------------------------------------------------------------------------

_DAEMON_NAMES = (
    "Close",
    "Tcp",
    "TcpSteal",
    "TcpOutgoing",
    "UdpOutgoing",
    "LogMessage",
    "File",
    "Pong",
    "GetEnvVarsResponse",
    "GetAddrInfoResponse",
    "PauseTarget",
    "SwitchProtocolVersionResponse",
    "Vpn",
    "OperatorPing",
    "ReverseDnsLookup",
    "SeqpacketOutgoing",
)

_LOG_LEVELS = ("warn", "error", "info")


def _read_daemon(r: Reader) -> DaemonMessage:
    tag = r.read_enum()
    if tag == 1:
        return _read_daemon_tcp(r)
    if tag == 7:
        return Pong()
    if tag == 0:
        return DaemonClose(r.read_str())
    if tag == 5:
        message = r.read_str()
        level = r.read_enum()
        if level >= len(_LOG_LEVELS):
            raise DecodeError(f"unknown LogLevel variant {level}")
        return LogMessage(_LOG_LEVELS[level], message)
    if tag == 8:
        env, error = _read_result(r, lambda: r.read_map(r.read_str, r.read_str))
        return GetEnvVarsResponse(env, error)
    if tag == 11:
        return SwitchProtocolVersionResponse(_read_semver(r))
    if tag == 2:
        _read_daemon_tcp(r)
        return OtherDaemonMessage("TcpSteal")
    if tag == 10:
        # `DaemonPauseTarget::PauseResponse { changed, container_paused }`.
        if r.read_enum() != 0:
            raise DecodeError("unknown DaemonPauseTarget variant")
        r.read_bool()
        r.read_bool()
        return OtherDaemonMessage("PauseTarget")
    if tag == 13:
        r.read_u128()
        return OtherDaemonMessage("OperatorPing")
    if tag < len(_DAEMON_NAMES):
        raise DecodeError(f"unsupported agent message {_DAEMON_NAMES[tag]} (variant {tag})")
    raise DecodeError(f"unknown agent message variant {tag}")


def _write_daemon(w: Writer, msg: DaemonMessage) -> None:
    if isinstance(msg, TcpData):
        w.enum(1)
        w.enum(1)
        w.varint(msg.connection_id)
        w.bytes(msg.data)
    elif isinstance(msg, HttpRequestStart):
        w.enum(1)
        w.enum(6)
        w.enum(3)
        w.varint(msg.connection_id)
        w.varint(msg.request_id)
        if msg.version not in HTTP_VERSIONS:
            raise ValueError(f"unknown HTTP version {msg.version!r}")
        w.str(msg.method)
        w.str(msg.uri)
        _write_header_map(w, msg.headers)
        w.str(msg.version)
        _write_frames(w, msg.body, msg.trailers)
        w.bool(msg.is_last)
        w.enum(0)
        _write_socket_addr(w, msg.source_address, msg.source_port)
        _write_socket_addr(w, msg.destination_address, msg.port)
        _write_transport(w, msg.transport)
    elif isinstance(msg, HttpRequestBody):
        w.enum(1)
        w.enum(6)
        w.enum(1)
        _write_frames(w, msg.frames, msg.trailers)
        w.bool(msg.is_last)
        w.varint(msg.connection_id)
        w.varint(msg.request_id)
    elif isinstance(msg, HttpRequestError):
        w.enum(1)
        w.enum(6)
        w.enum(4)
        w.varint(msg.connection_id)
        w.varint(msg.request_id)
        w.str(msg.message)
    elif isinstance(msg, TcpClose):
        w.enum(1)
        w.enum(2)
        w.varint(msg.connection_id)
    elif isinstance(msg, TcpNewConnection):
        w.enum(1)
        w.enum(7 if msg.v2 else 0)
        w.varint(msg.connection_id)
        _write_ip(w, msg.remote_address)
        w.varint(msg.destination_port)
        w.varint(msg.source_port)
        _write_ip(w, msg.local_address)
        if msg.v2:
            _write_transport(w, msg.transport)
        elif msg.transport is not None:
            raise ValueError("NewConnectionV1 cannot carry a TLS transport")
    elif isinstance(msg, TcpSubscribeResult):
        w.enum(1)
        w.enum(3)
        if msg.error is not None:
            _write_error(w, msg.error)
        elif msg.port is not None:
            w.enum(0)
            w.varint(msg.port)
        else:
            raise ValueError("TcpSubscribeResult needs a port or an error")
    elif isinstance(msg, Pong):
        w.enum(7)
    elif isinstance(msg, SwitchProtocolVersionResponse):
        w.enum(11)
        _write_semver(w, msg.version)
    elif isinstance(msg, GetEnvVarsResponse):
        w.enum(8)
        if msg.error is not None:
            _write_error(w, msg.error)
        elif msg.env is not None:
            w.enum(0)
            w.map(msg.env, w.str, w.str)
        else:
            raise ValueError("GetEnvVarsResponse needs env or an error")
    elif isinstance(msg, DaemonClose):
        w.enum(0)
        w.str(msg.message)
    elif isinstance(msg, LogMessage):
        w.enum(5)
        w.str(msg.message)
        w.enum(_LOG_LEVELS.index(msg.level))
    else:
        raise ValueError(f"cannot encode agent message {msg!r}")


# --- ClientMessage -----------------------------------------------------------------------------

_CLIENT_NAMES = (
    "Close",
    "Tcp",
    "TcpSteal",
    "TcpOutgoing",
    "UdpOutgoing",
    "FileRequest",
    "GetEnvVarsRequest",
    "Ping",
    "GetAddrInfoRequest",
    "PauseTargetRequest",
    "SwitchProtocolVersion",
    "ReadyForLogs",
    "Vpn",
    "GetAddrInfoRequestV2",
    "OperatorPong",
    "ReverseDnsLookup",
    "SeqpacketOutgoing",
    "ShareLink",
)


def _read_client(r: Reader) -> ClientMessage:
    tag = r.read_enum()
    if tag == 7:
        return Ping()
    if tag == 1:
        # `LayerTcp`: PortSubscribe = 0, ConnectionUnsubscribe = 1, PortUnsubscribe = 2,
        # PortSubscribeFilteredHttp(Port, HttpFilter) = 3.
        sub = r.read_enum()
        if sub == 0:
            return TcpPortSubscribe(r.read_u16())
        if sub == 1:
            return TcpConnectionUnsubscribe(r.read_u64())
        if sub == 2:
            return TcpPortUnsubscribe(r.read_u16())
        if sub == 3:
            port = r.read_u16()
            return OtherClientMessage(
                f"Tcp.PortSubscribeFilteredHttp({port}, {_read_http_filter(r)})"
            )
        raise DecodeError(f"unknown LayerTcp variant {sub}")
    if tag == 6:
        filter_ = r.read_seq(r.read_str)
        select = r.read_seq(r.read_str)
        return GetEnvVarsRequest(frozenset(filter_), frozenset(select))
    if tag == 10:
        return SwitchProtocolVersion(_read_semver(r))
    if tag == 0:
        return ClientClose()
    if tag == 11:
        return ReadyForLogs()
    if tag == 9:
        r.read_bool()
        return OtherClientMessage("PauseTargetRequest")
    if tag == 14:
        r.read_u128()
        return OtherClientMessage("OperatorPong")
    if tag < len(_CLIENT_NAMES):
        raise DecodeError(f"unsupported client message {_CLIENT_NAMES[tag]} (variant {tag})")
    raise DecodeError(f"unknown client message variant {tag}")


def _write_client(w: Writer, msg: ClientMessage) -> None:
    if isinstance(msg, Ping):
        w.enum(7)
    elif isinstance(msg, TcpPortSubscribe):
        w.enum(1)
        w.enum(0)
        w.varint(msg.port)
    elif isinstance(msg, TcpConnectionUnsubscribe):
        w.enum(1)
        w.enum(1)
        w.varint(msg.connection_id)
    elif isinstance(msg, TcpPortUnsubscribe):
        w.enum(1)
        w.enum(2)
        w.varint(msg.port)
    elif isinstance(msg, GetEnvVarsRequest):
        w.enum(6)
        w.seq(sorted(msg.env_vars_filter), w.str)
        w.seq(sorted(msg.env_vars_select), w.str)
    elif isinstance(msg, SwitchProtocolVersion):
        w.enum(10)
        _write_semver(w, msg.version)
    elif isinstance(msg, ClientClose):
        w.enum(0)
    elif isinstance(msg, ReadyForLogs):
        w.enum(11)
    else:
        raise ValueError(f"cannot encode client message {msg!r}")


# --- public API --------------------------------------------------------------------------------


def _check_u16(value: int) -> None:
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"port or request id out of range: {value}")


def encode_client(msg: ClientMessage) -> bytes:
    """One `ClientMessage` as bincode bytes. ValueError for a value that cannot be encoded."""
    if isinstance(msg, TcpPortSubscribe | TcpPortUnsubscribe):
        _check_u16(msg.port)
    w = Writer()
    _write_client(w, msg)
    return w.getvalue()


def encode_daemon(msg: DaemonMessage) -> bytes:
    """One `DaemonMessage` as bincode bytes. ValueError for a value that cannot be encoded."""
    if isinstance(msg, HttpRequestStart | HttpRequestBody | HttpRequestError):
        _check_u16(msg.request_id)
    w = Writer()
    _write_daemon(w, msg)
    return w.getvalue()


def decode_client(buf: bytes | bytearray | memoryview, pos: int = 0) -> tuple[ClientMessage, int]:
    """The `ClientMessage` at `pos` and the position after it.

    Raises `NeedMore` if `buf` ends inside the message, `DecodeError` if it is malformed.
    """
    r = Reader(buf, pos)
    return _read_client(r), r.pos


def decode_daemon(buf: bytes | bytearray | memoryview, pos: int = 0) -> tuple[DaemonMessage, int]:
    """The `DaemonMessage` at `pos` and the position after it.

    Raises `NeedMore` if `buf` ends inside the message, `DecodeError` if it is malformed.
    """
    r = Reader(buf, pos)
    return _read_daemon(r), r.pos


class _Stream:
    """Splits a byte stream into messages, keeping a partial message between feeds."""

    __slots__ = ("_pending", "_failed")

    def __init__(self) -> None:
        self._pending = b""
        self._failed: DecodeError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole message."""
        return len(self._pending)

    def _read(self, r: Reader) -> object:
        raise NotImplementedError

    def _feed(self, data: bytes) -> list[object]:
        if self._failed is not None:
            raise DecodeError(f"stream already failed: {self._failed}")
        src = self._pending + data if self._pending else data
        out: list[object] = []
        end = len(src)
        with memoryview(src) as view:
            r = Reader(view)
            start = 0
            try:
                while start < end:
                    out.append(self._read(r))
                    start = r.pos
            except NeedMore:
                pass
            except DecodeError as exc:
                self._failed = exc
                self._pending = b""
                exc.messages = out
                raise
        self._pending = bytes(src[start:]) if start < end else b""
        return out


class DaemonStream(_Stream):
    """Client side: decodes the agent's `DaemonMessage`s from the connection's bytes."""

    __slots__ = ()

    def _read(self, r: Reader) -> DaemonMessage:
        return _read_daemon(r)

    def feed(self, data: bytes) -> list[DaemonMessage]:
        """The whole messages completed by `data`; raises DecodeError on garbage."""
        return self._feed(data)  # type: ignore[return-value]


class ClientStream(_Stream):
    """Agent side: decodes the client's `ClientMessage`s from the connection's bytes."""

    __slots__ = ()

    def _read(self, r: Reader) -> ClientMessage:
        return _read_client(r)

    def feed(self, data: bytes) -> list[ClientMessage]:
        """The whole messages completed by `data`; raises DecodeError on garbage."""
        return self._feed(data)  # type: ignore[return-value]
