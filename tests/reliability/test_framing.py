"""The frame parser on its own, with generated inputs: any chunking of good
frames yields exactly their bodies, and after any broken frame (of each class)
the next good frame is delivered whole, however the bytes are split."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrord_ide.lsp.stdio import FrameParser

bodies = st.lists(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.integers(), st.text(max_size=40), st.booleans(), st.none()),
        max_size=5,
    ).map(lambda value: json.dumps({"jsonrpc": "2.0", "method": "m", "params": value}).encode()),
    min_size=1,
    max_size=6,
)

HEADER_STYLES = [
    b"Content-Length: %d\r\n\r\n",
    b"content-length: %d\r\n\r\n",
    b"CONTENT-LENGTH:%d\n\n",
    b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
    b"Content-Type: application/vscode-jsonrpc\nContent-Length: %d\n\n",
]


def feed_in_chunks(parser: FrameParser, data: bytes, cuts: list[int]) -> list[bytes]:
    out: list[bytes] = []
    last = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}) + [len(data)]:
        out.extend(parser.feed(data[last:cut]))
        last = cut
    return out


@settings(max_examples=300, deadline=None)
@given(
    frames=bodies,
    styles=st.lists(st.sampled_from(HEADER_STYLES), min_size=6, max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
)
def test_good_frames_in_any_chunking(
    frames: list[bytes], styles: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(style % len(body) + body for style, body in zip(styles, frames, strict=False))
    assert feed_in_chunks(FrameParser(), data, cuts) == frames


def broken_frames(body: bytes) -> st.SearchStrategy[bytes]:
    n = len(body)
    return st.one_of(
        st.integers(min_value=0, max_value=max(0, n - 1)).map(
            lambda k: b"Content-Length: %d\r\n\r\n" % k + body  # too short
        ),
        st.integers(min_value=n + 1, max_value=n + 100_000).map(
            lambda k: b"Content-Length: %d\r\n\r\n" % k + body  # too long
        ),
        st.text(alphabet="abc-x ", max_size=6).map(
            lambda t: b"Content-Length: " + t.encode() + b"\r\n\r\n" + body  # not a number
        ),
        st.just(b"Content-Type: text/plain\r\n\r\n" + body),  # no Content-Length
        st.just(b"Content-Length: %d\r\n" % n + body),  # no blank line
        st.binary(max_size=200),  # garbage
        st.just(b"Content-Length: 99999999999\r\n\r\n"),  # beyond any body
    )


@settings(max_examples=400, deadline=None)
@given(
    data=st.data(),
    good=bodies.map(lambda b: b[0]),
    style=st.sampled_from(HEADER_STYLES),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
@pytest.mark.slow
def test_the_frame_after_a_broken_one_is_delivered(
    data: st.DataObject, good: bytes, style: bytes, cuts: list[int]
) -> None:
    bad = data.draw(broken_frames(b'{"jsonrpc": "2.0", "id": 1, "method": "lost"}'))
    stream = bad + style % len(good) + good
    out = feed_in_chunks(FrameParser(), stream, cuts)
    assert out and out[-1] == good, (bad, out)


def test_a_header_line_inside_a_json_string_is_not_a_frame() -> None:
    body = json.dumps({"text": "Content-Length: 5\r\n\r\n{}"}).encode()
    assert FrameParser().feed(b"Content-Length: %d\r\n\r\n" % len(body) + body) == [body]


def test_garbage_is_not_buffered_without_bound() -> None:
    parser = FrameParser()
    for _ in range(100):
        assert parser.feed(b"x" * 65536) == []
    assert parser.pending < 1024
