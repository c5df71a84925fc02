"""Round trips, partial frames and garbage input for the agent-protocol codec."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirrord_ide.agent.protocol import (
    ClientStream,
    DaemonClose,
    DaemonStream,
    DecodeError,
    NeedMore,
    TcpData,
    decode_client,
    decode_daemon,
    encode_client,
    encode_daemon,
)
from mirrord_ide.agent.protocol.messages import ClientMessage, DaemonMessage

from .strategies import client_messages, daemon_messages


@given(client_messages)
def test_client_roundtrip(msg: ClientMessage) -> None:
    wire = encode_client(msg)
    assert decode_client(wire) == (msg, len(wire))
    # Every proper prefix is incomplete, never wrong.
    for cut in range(len(wire)):
        with pytest.raises(NeedMore):
            decode_client(wire[:cut])


@given(daemon_messages)
def test_daemon_roundtrip(msg: DaemonMessage) -> None:
    wire = encode_daemon(msg)
    assert decode_daemon(wire) == (msg, len(wire))
    for cut in range(0, len(wire), max(1, len(wire) // 40)):
        with pytest.raises(NeedMore):
            decode_daemon(wire[:cut])


@given(st.lists(daemon_messages, min_size=1, max_size=6), st.binary(max_size=4))
def test_decode_at_offset(msgs: list[DaemonMessage], prefix: bytes) -> None:
    wire = prefix + b"".join(encode_daemon(m) for m in msgs)
    pos = len(prefix)
    out = []
    while pos < len(wire):
        msg, pos = decode_daemon(memoryview(wire), pos)
        out.append(msg)
    assert out == msgs


def test_every_split_point_daemon() -> None:
    msgs: list[DaemonMessage] = [
        TcpData(1, b"a" * 300),
        TcpData(2, b""),
        TcpData(1 << 33, bytes(range(256))),
    ]
    wire = b"".join(encode_daemon(m) for m in msgs)
    for cut in range(len(wire) + 1):
        stream = DaemonStream()
        got = stream.feed(wire[:cut]) + stream.feed(wire[cut:])
        assert got == msgs, cut
        assert stream.buffered == 0


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40, deadline=None)
@given(st.lists(daemon_messages, min_size=1, max_size=3), st.data())
def test_every_split_point_random_daemon(msgs: list[DaemonMessage], data: st.DataObject) -> None:
    wire = b"".join(encode_daemon(m) for m in msgs)
    for cut in range(len(wire) + 1):
        stream = DaemonStream()
        assert stream.feed(wire[:cut]) + stream.feed(wire[cut:]) == msgs
    # Arbitrary many pieces, including empty ones.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    stream = DaemonStream()
    got: list[DaemonMessage] = []
    start = 0
    for cut in [*cuts, len(wire)]:
        got += stream.feed(wire[start:cut])
        start = cut
    assert got == msgs


@settings(max_examples=60, deadline=None)
@given(st.lists(client_messages, min_size=1, max_size=6))
def test_every_split_point_random_client(msgs: list[ClientMessage]) -> None:
    wire = b"".join(encode_client(m) for m in msgs)
    for cut in range(len(wire) + 1):
        stream = ClientStream()
        assert stream.feed(wire[:cut]) + stream.feed(wire[cut:]) == msgs


@settings(max_examples=400)
@given(st.binary(max_size=200))
def test_garbage_only_raises_protocol_errors(data: bytes) -> None:
    for decode in (decode_daemon, decode_client):
        try:
            decode(data)
        except (NeedMore, DecodeError):
            pass
    for stream in (DaemonStream(), ClientStream()):
        try:
            stream.feed(data)
        except DecodeError:
            pass


@settings(max_examples=300)
@given(daemon_messages, st.data())
def test_corrupted_messages_only_raise_protocol_errors(
    msg: DaemonMessage, data: st.DataObject
) -> None:
    wire = bytearray(encode_daemon(msg))
    index = data.draw(st.integers(0, len(wire) - 1))
    wire[index] = data.draw(st.integers(0, 255))
    try:
        decode_daemon(bytes(wire))
    except (NeedMore, DecodeError):
        pass


def test_stream_stays_failed_after_garbage() -> None:
    stream = DaemonStream()
    with pytest.raises(DecodeError, match="variant 200"):
        stream.feed(b"\xc8")
    with pytest.raises(DecodeError, match="already failed"):
        stream.feed(encode_daemon(TcpData(1, b"x")))


def test_messages_before_garbage_come_with_the_error() -> None:
    stream = DaemonStream()
    with pytest.raises(DecodeError) as info:
        stream.feed(encode_daemon(TcpData(1, b"x")) + encode_daemon(DaemonClose("bye")) + b"\xc8")
    assert info.value.messages == [TcpData(1, b"x"), DaemonClose("bye")]


def test_decoding_speed() -> None:
    # The replay loop's targets: 50 MB/s of 64 KiB data messages, 20,000 small messages/s.
    big = encode_daemon(TcpData(3, bytes(65536))) * 200
    small = encode_daemon(TcpData(3, b"GET / HTTP/1.1\r\n")) * 40000
    for wire, check in (
        (big, lambda n, dt: len(big) / dt >= 50e6),
        (small, lambda n, dt: n / dt >= 20000),
    ):
        stream = DaemonStream()
        start = time.perf_counter()
        count = 0
        for offset in range(0, len(wire), 65536):
            count += len(stream.feed(wire[offset : offset + 65536]))
        elapsed = time.perf_counter() - start
        assert check(count, elapsed), (count, elapsed)
