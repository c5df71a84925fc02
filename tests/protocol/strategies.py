"""Hypothesis strategies for every agent-protocol message this module encodes."""

from __future__ import annotations

from hypothesis import strategies as st

from mirrord_ide.agent.protocol import (
    ClientClose,
    DaemonClose,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    HttpRequestBody,
    HttpRequestError,
    HttpRequestStart,
    LogMessage,
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
from mirrord_ide.agent.protocol.messages import ClientMessage, DaemonMessage

u16 = st.integers(0, 0xFFFF)
u64 = st.integers(0, (1 << 64) - 1)
# Integers around every varint width boundary, plus anything else.
connection_ids = st.one_of(
    st.sampled_from([0, 250, 251, 0xFFFF, 0x10000, 0xFFFFFFFF, 1 << 32, (1 << 64) - 1]), u64
)
text = st.text(max_size=40)
versions = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-{pre}" if pre else ""),
    st.integers(0, 300),
    st.integers(0, 300),
    st.integers(0, 70000),
    st.sampled_from(["", "alpha.1", "rc1"]),
)
ips = st.ip_addresses().map(str)
transports = st.one_of(
    st.none(),
    st.builds(TlsTransport, st.none() | st.binary(max_size=8), st.none() | text),
)
header_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
header_values = st.binary(max_size=20)


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """Header lists as a `HeaderMap` yields them: each name's values together."""
    grouped = draw(st.dictionaries(header_names, st.lists(header_values, min_size=1, max_size=3)))
    return [(name, value) for name, values in grouped.items() for value in values]


body_frames = st.lists(st.binary(max_size=64), max_size=4)
trailers = st.none() | headers()
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PURGE"])
http_versions = st.sampled_from(["HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0"])

client_messages: st.SearchStrategy[ClientMessage] = st.one_of(
    st.builds(SwitchProtocolVersion, versions),
    st.builds(
        GetEnvVarsRequest,
        st.frozensets(text, max_size=5),
        st.frozensets(text, max_size=5),
    ),
    st.just(Ping()),
    st.builds(TcpPortSubscribe, u16),
    st.builds(TcpConnectionUnsubscribe, connection_ids),
    st.builds(TcpPortUnsubscribe, u16),
    st.just(ClientClose()),
    st.just(ReadyForLogs()),
)


@st.composite
def new_connections(draw: st.DrawFn) -> TcpNewConnection:
    v2 = draw(st.booleans())
    return TcpNewConnection(
        draw(connection_ids),
        draw(ips),
        draw(u16),
        draw(u16),
        draw(ips),
        draw(transports) if v2 else None,
        v2,
    )


daemon_messages: st.SearchStrategy[DaemonMessage] = st.one_of(
    st.builds(SwitchProtocolVersionResponse, versions),
    st.one_of(
        st.builds(GetEnvVarsResponse, st.dictionaries(text, text, max_size=6), st.none()),
        st.builds(GetEnvVarsResponse, st.none(), text),
    ),
    st.just(Pong()),
    st.one_of(
        st.builds(TcpSubscribeResult, u16, st.none()),
        st.builds(TcpSubscribeResult, st.none(), text),
    ),
    new_connections(),
    st.builds(TcpData, connection_ids, st.binary(max_size=300)),
    st.builds(TcpClose, connection_ids),
    st.builds(
        HttpRequestStart,
        connection_id=connection_ids,
        request_id=u16,
        port=u16,
        method=methods,
        uri=text,
        version=http_versions,
        headers=headers(),
        body=body_frames,
        is_last=st.booleans(),
        trailers=trailers,
        source_address=ips,
        source_port=u16,
        destination_address=ips,
        transport=transports,
    ),
    st.builds(HttpRequestBody, connection_ids, u16, body_frames, st.booleans(), trailers),
    st.builds(HttpRequestError, connection_ids, u16, text),
    st.builds(DaemonClose, text),
    st.builds(LogMessage, st.sampled_from(["warn", "error", "info"]), text),
)
