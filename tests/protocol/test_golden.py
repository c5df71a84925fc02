"""Golden bytes worked out by hand from mirrord's Rust definitions.

Sources: `mirrord/protocol/src/codec.rs` (`ClientMessage`, `DaemonMessage`, `LogLevel`),
`tcp.rs` (`LayerTcp`, `DaemonTcp`, `ChunkedRequest`, the request/connection structs),
`error.rs` (`ResponseError`), bincode 2 `config::standard()` (varint: < 251 one byte,
251 + u16 LE, 252 + u32 LE, 253 + u64 LE; enum tag = declaration index as varint; string =
varint byte length + UTF-8; Option = 0/1 byte; Result = Ok 0 / Err 1; IpAddr = V4 0 + 4 octets
/ V6 1 + 16 octets; SocketAddr = same tag + octets + port varint) and http_serde through
bincode's non-human-readable serde (method/uri/version strings, header map = name → sequence
of byte-string values).
"""

from __future__ import annotations

import pytest

from mirrord_ide.agent.protocol import (
    ClientClose,
    DaemonClose,
    DecodeError,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    HttpRequestBody,
    HttpRequestError,
    HttpRequestStart,
    LogMessage,
    NeedMore,
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
    decode_client,
    decode_daemon,
    encode_client,
    encode_daemon,
)
from mirrord_ide.agent.protocol.messages import ClientMessage, DaemonMessage


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", "").replace("|", ""))


CLIENT_GOLDEN: list[tuple[ClientMessage, bytes]] = [
    # ClientMessage::Close is variant 0, a unit variant: just the tag.
    (ClientClose(), h("00")),
    # ClientMessage::Ping is variant 7 (Close, Tcp, TcpSteal, TcpOutgoing, UdpOutgoing,
    # FileRequest, GetEnvVarsRequest, Ping).
    (Ping(), h("07")),
    # ClientMessage::ReadyForLogs is variant 11.
    (ReadyForLogs(), h("0b")),
    # SwitchProtocolVersion = variant 10; semver::Version through serde is its display string:
    # "1.29.0" = 6 bytes -> length 06, then ASCII 31 2e 32 39 2e 30.
    (SwitchProtocolVersion("1.29.0"), h("0a | 06 | 31 2e 32 39 2e 30")),
    # Tcp = variant 1; LayerTcp::PortSubscribe = 0; port 80 < 251 -> one byte 0x50.
    (TcpPortSubscribe(80), h("01 | 00 | 50")),
    # Port 8080 = 0x1f90 >= 251 -> marker fb (u16) + little-endian 90 1f.
    (TcpPortSubscribe(8080), h("01 | 00 | fb 90 1f")),
    # LayerTcp::ConnectionUnsubscribe = 1; connection id 300 = 0x012c -> fb 2c 01.
    (TcpConnectionUnsubscribe(300), h("01 | 01 | fb 2c 01")),
    # Connection id 2^40 needs a u64: marker fd + 8 little-endian bytes.
    (TcpConnectionUnsubscribe(1 << 40), h("01 | 01 | fd 00 00 00 00 00 01 00 00")),
    # LayerTcp::PortUnsubscribe = 2; 443 = 0x01bb -> fb bb 01.
    (TcpPortUnsubscribe(443), h("01 | 02 | fb bb 01")),
    # GetEnvVarsRequest = variant 6; struct fields in order: env_vars_filter (HashSet: count 1,
    # "A" = 01 41), env_vars_select (empty set: count 00).
    (GetEnvVarsRequest(frozenset({"A"}), frozenset()), h("06 | 01 01 41 | 00")),
]

DAEMON_GOLDEN: list[tuple[DaemonMessage, bytes]] = [
    # DaemonMessage::Pong is variant 7 (Close, Tcp, TcpSteal, TcpOutgoing, UdpOutgoing,
    # LogMessage, File, Pong).
    (Pong(), h("07")),
    # DaemonMessage::Close(String) = variant 0; "bye" = 03 62 79 65.
    (DaemonClose("bye"), h("00 | 03 62 79 65")),
    # LogMessage = variant 5; struct LogMessage { message, level }: "m" = 01 6d; LogLevel::Info
    # is variant 2 (Warn, Error, Info).
    (LogMessage("info", "m"), h("05 | 01 6d | 02")),
    (LogMessage("warn", ""), h("05 | 00 | 00")),
    # SwitchProtocolVersionResponse = variant 11; "1.19.4" = 06 31 2e 31 39 2e 34.
    (SwitchProtocolVersionResponse("1.19.4"), h("0b | 06 31 2e 31 39 2e 34")),
    # GetEnvVarsResponse = variant 8; Result::Ok = 0; HashMap with 1 entry: "K" -> "v".
    (GetEnvVarsResponse({"K": "v"}, None), h("08 | 00 | 01 | 01 4b | 01 76")),
    # Err = 1; ResponseError::SystemFailure = variant 13 { can_retry: false = 00, code: 0 = 00,
    # message: "boom" = 04 62 6f 6f 6d }.
    (GetEnvVarsResponse(None, "boom"), h("08 | 01 | 0d | 00 | 00 | 04 62 6f 6f 6d")),
    # Tcp = variant 1; DaemonTcp::SubscribeResult = 3; Ok = 0; port 80.
    (TcpSubscribeResult(80, None), h("01 | 03 | 00 | 50")),
    # DaemonTcp::Data = 1; TcpData { connection_id: 5, bytes: Payload "hi" = 02 68 69 }.
    (TcpData(5, b"hi"), h("01 | 01 | 05 | 02 68 69")),
    # DaemonTcp::Close = 2; TcpClose { connection_id: 5 }.
    (TcpClose(5), h("01 | 02 | 05")),
    # DaemonTcp::NewConnectionV1 = 0; NewTcpConnectionV1 field order: connection_id 1,
    # remote_address IpAddr::V4 (00) 10.0.0.1, destination_port 80 (50), source_port 40000 =
    # 0x9c40 (fb 40 9c), local_address V4 10.0.0.2.
    (
        TcpNewConnection(1, "10.0.0.1", 40000, 80, "10.0.0.2", None, v2=False),
        h("01 | 00 | 01 | 00 0a000001 | 50 | fb 40 9c | 00 0a000002"),
    ),
    # DaemonTcp::NewConnectionV2 = 7; NewTcpConnectionV2 { connection: V1 fields, transport:
    # IncomingTrafficTransportType::Tcp = 00 }; remote ::1 is IpAddr::V6 (01) + 16 octets.
    (
        TcpNewConnection(2, "::1", 1, 2, "10.0.0.2", None, v2=True),
        h("01 | 07 | 02 | 01 00000000000000000000000000000001 | 02 | 01 | 00 0a000002 | 00"),
    ),
    # Transport Tls { alpn_protocol: Some(b"h2") = 01 02 68 32, server_name: None = 00 } = 01.
    (
        TcpNewConnection(3, "1.2.3.4", 5, 6, "7.8.9.10", TlsTransport(b"h2", None)),
        h("01 | 07 | 03 | 00 01020304 | 06 | 05 | 00 0708090a | 01 | 01 02 68 32 | 00"),
    ),
    # DaemonTcp::HttpRequestChunked = 6; ChunkedRequest::StartV2 = 3; ChunkedRequestStartV2:
    #   connection_id 1, request_id 0,
    #   request (serde InternalHttpRequest): method "GET" (03 474554), uri "/x" (02 2f78),
    #     headers: map of 1 name: "host" (04 686f7374) -> seq of 1 value (01) b"a" (01 61),
    #     version "HTTP/1.1" (08 485454502f312e31),
    #     body InternalHttpBodyNew { frames: seq of 1 (01): Data = variant 0 (00), bytes "hi"
    #       (02 6869); is_last: true (01) },
    #   metadata HttpRequestMetadata::V1 (00) { source: SocketAddr::V4 (00) 10.0.0.1 port 40000
    #     (fb 409c), destination: V4 (00) 10.0.0.2 port 80 (50) },
    #   transport Tcp (00).
    (
        HttpRequestStart(
            1,
            0,
            80,
            "GET",
            "/x",
            "HTTP/1.1",
            [("host", b"a")],
            [b"hi"],
            True,
            None,
            "10.0.0.1",
            40000,
            "10.0.0.2",
        ),
        h(
            "01 | 06 | 03 | 01 | 00 | 03 474554 | 02 2f78 | 01 04 686f7374 01 01 61"
            "| 08 485454502f312e31 | 01 00 02 6869 | 01 | 00 | 00 0a000001 fb 409c"
            "| 00 0a000002 50 | 00"
        ),
    ),
    # Two values of one header go under one map key as a two-item sequence (HeaderMap groups
    # them); the body ends with a Trailers frame (variant 1) holding "etag" -> ["x"];
    # is_last false; IPv6 source [::1]:1.
    (
        HttpRequestStart(
            9,
            0,
            8080,
            "POST",
            "/",
            "HTTP/1.0",
            [("x", b"1"), ("x", b"2")],
            [],
            False,
            [("etag", b"x")],
            "::1",
            1,
            "10.0.0.2",
        ),
        h(
            "01 | 06 | 03 | 09 | 00 | 04 504f5354 | 01 2f | 01 01 78 02 01 31 01 32"
            "| 08 485454502f312e30 | 01 01 01 04 65746167 01 01 78 | 00"
            "| 00 | 01 00000000000000000000000000000001 01 | 00 0a000002 fb 901f | 00"
        ),
    ),
    # ChunkedRequest::Body = 1; ChunkedRequestBodyV1 field order: frames (serde seq: 1 frame,
    # Data 00, "x" = 01 78), is_last false (00), connection_id 1, request_id 0.
    (HttpRequestBody(1, 0, [b"x"], False), h("01 | 06 | 01 | 01 00 01 78 | 00 | 01 | 00")),
    # The agent's end-of-body marker: no frames, is_last true.
    (HttpRequestBody(1, 0, [], True), h("01 | 06 | 01 | 00 | 01 | 01 | 00")),
    # ChunkedRequest::ErrorV2 = 4; { connection_id 1, request_id 0, error_message "oops" }.
    (HttpRequestError(1, 0, "oops"), h("01 | 06 | 04 | 01 | 00 | 04 6f6f7073")),
]


@pytest.mark.parametrize(("msg", "wire"), CLIENT_GOLDEN, ids=lambda v: type(v).__name__)
def test_client_golden(msg: ClientMessage, wire: bytes) -> None:
    assert encode_client(msg) == wire
    assert decode_client(wire) == (msg, len(wire))


@pytest.mark.parametrize(("msg", "wire"), DAEMON_GOLDEN, ids=lambda v: type(v).__name__)
def test_daemon_golden(msg: DaemonMessage, wire: bytes) -> None:
    assert encode_daemon(msg) == wire
    assert decode_daemon(wire) == (msg, len(wire))


def test_decode_only_forms() -> None:
    # Non-canonical varint (marker fb + u16 80) is accepted by bincode's decoder.
    assert decode_daemon(h("01 | 02 | fb 50 00"))[0] == TcpClose(80)
    # ChunkedRequest::ErrorV1 = 2 { connection_id 1, request_id 0 }: no message.
    assert decode_daemon(h("01 06 02 01 00"))[0] == HttpRequestError(1, 0, "")
    # DaemonTcp::HttpRequest = 4 (HttpRequest<Payload>): serde request with body Payload
    # "hi", then connection_id 1, request_id 0, port 80.
    legacy = h("01 | 04 | 03 474554 | 01 2f | 00 | 08 485454502f312e31 | 02 6869 | 01 | 00 | 50")
    msg, end = decode_daemon(legacy)
    assert end == len(legacy)
    assert msg == HttpRequestStart(1, 0, 80, "GET", "/", "HTTP/1.1", [], [b"hi"], True, legacy=True)
    # DaemonMessage::OperatorPing(u128) = 13; known, unused: decoded and skipped.
    assert decode_daemon(h("0d 05")) == (OtherDaemonMessage("OperatorPing"), 2)
    # DaemonMessage::TcpSteal = 2 carrying DaemonTcp::Close(1).
    assert decode_daemon(h("02 02 01")) == (OtherDaemonMessage("TcpSteal"), 3)


@pytest.mark.parametrize(
    ("wire", "needle"),
    [
        # ResponseError::PortAlreadyStolen = 7 (port 80).
        (h("01 03 01 | 07 50"), "port 80 is already stolen"),
        # ResponseError::Forbidden = 9 { blocked_action: BlockedAction::Mirror = 1 (8080),
        # policy_name: Some("p") }.
        (h("01 03 01 | 09 01 fb 901f 01 01 70"), "mirroring traffic from port 8080 is forbidden"),
        # ResponseError::RemoteIO = 4 { raw_os_error: Some(zigzag(13) = 26 = 1a),
        # kind: ErrorKindInternal::PermissionDenied = 1 }.
        (h("01 03 01 | 04 01 1a 01"), "PermissionDenied (errno 13)"),
        # ErrorKindInternal::Unknown(String) is index 40 (0x28).
        (h("01 03 01 | 04 00 28 03 666f6f"), "remote I/O error: foo"),
    ],
)
def test_subscribe_errors(wire: bytes, needle: str) -> None:
    msg, end = decode_daemon(wire)
    assert end == len(wire)
    assert isinstance(msg, TcpSubscribeResult)
    assert msg.port is None
    assert msg.error is not None and needle in msg.error


@pytest.mark.parametrize(
    ("wire", "needle"),
    [
        (h("10"), "variant 16"),  # past the last DaemonMessage variant (SeqpacketOutgoing = 15)
        (h("03 00"), "TcpOutgoing"),  # known but never requested by this client
        (h("01 08"), "DaemonTcp variant 8"),  # past NewConnectionV2 = 7
        (h("01 06 05"), "ChunkedRequest variant 5"),  # past ErrorV2 = 4
        (h("05 00 03"), "LogLevel variant 3"),
        (h("ff"), "varint marker 255"),  # 255 is reserved
        (h("fd 00 00 00 00 00 00 00 00"), "varint marker 253"),  # u64 marker for a u32 tag
        (h("0b 03 312e32"), "not a semantic version"),  # "1.2"
        (h("00 02 c3 28"), "UTF-8"),  # invalid UTF-8 in Close's string
        (h("01 06 04 01 00 fd 0000000000000001"), "exceeds"),  # absurd string length
    ],
)
def test_daemon_decode_errors(wire: bytes, needle: str) -> None:
    with pytest.raises(DecodeError, match=needle):
        decode_daemon(wire)


@pytest.mark.parametrize(
    ("wire", "needle"),
    [
        (h("12"), "variant 18"),  # past ShareLink = 17
        (h("05 00"), "FileRequest"),
        (h("01 04"), "LayerTcp variant 4"),
        (h("0a 01 78"), "not a semantic version"),
    ],
)
def test_client_decode_errors(wire: bytes, needle: str) -> None:
    with pytest.raises(DecodeError, match=needle):
        decode_client(wire)


@pytest.mark.parametrize(
    "wire",
    [h(""), h("01"), h("01 01 05 02 68"), h("0a 06 312e"), h("01 00 fb 90"), h("08 00 02 01 4b")],
)
def test_truncated_needs_more(wire: bytes) -> None:
    with pytest.raises(NeedMore):
        decode_daemon(wire) if wire[:1] != b"\x0a" else decode_client(wire)


def test_encode_rejects_unencodable() -> None:
    with pytest.raises(ValueError):
        encode_daemon(OtherDaemonMessage("OperatorPing"))
    with pytest.raises(ValueError):
        encode_daemon(HttpRequestStart(1, 0, 80, "GET", "/", "HTTP/9", [], [], True))
    with pytest.raises(ValueError):
        encode_client(TcpPortSubscribe(70000))
    with pytest.raises(ValueError):
        encode_client(SwitchProtocolVersion("latest"))


def test_versions() -> None:
    from mirrord_ide.agent.protocol import parse_version, version_at_least, version_matches

    assert parse_version("1.19.4") == (1, 19, 4, True)
    assert parse_version("1.29.0-rc.1+build.5") == (1, 29, 0, False)
    for bad in ("1.2", "01.2.3", "1.2.3.4", "v1.2.3", ""):
        with pytest.raises(ValueError):
            parse_version(bad)
    assert version_at_least("1.19.4", "1.19.4") and version_at_least("1.20.0", "1.19.4")
    assert not version_at_least("1.19.3", "1.19.4")
    assert not version_at_least("1.19.4-rc.1", "1.19.4")
    assert version_at_least("1.29.0-rc.1", "1.19.4")
    # The agent's gates (semver requirements) never match a pre-release.
    assert version_matches("1.29.0", "1.19.4") and not version_matches("1.29.0-rc.1", "1.19.4")


def test_legacy_request_forms() -> None:
    # DaemonTcp::HttpRequestFramed = 5 (HttpRequest<InternalHttpBody>): the body is a serde
    # sequence of frames: 1 frame, Data (00), "ab" (02 6162); then connection_id 2,
    # request_id 1, port 8080 (fb 901f).
    framed = h("01 | 05 | 03 474554 | 01 2f | 00 | 08 485454502f312e31 | 01 00 02 6162 | 02 | 01")
    framed += h("fb 901f")
    msg, end = decode_daemon(framed)
    assert end == len(framed)
    assert msg == HttpRequestStart(
        2, 1, 8080, "GET", "/", "HTTP/1.1", [], [b"ab"], True, legacy=True
    )
    # ChunkedRequest::StartV1 = 0 (HttpRequest<Vec<InternalHttpBodyFrame>>): empty frame list
    # (00); more body follows in Body messages, so not last.
    start_v1 = h("01 | 06 | 00 | 03 474554 | 01 2f | 00 | 08 485454502f312e31 | 00 | 02 | 01 | 50")
    msg, end = decode_daemon(start_v1)
    assert end == len(start_v1)
    assert msg == HttpRequestStart(2, 1, 80, "GET", "/", "HTTP/1.1", [], [], False, legacy=True)
