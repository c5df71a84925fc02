"""The JSON-RPC edge, through the real server over stdio with raw bytes.

Every request with an id gets exactly one answer with the code JSON-RPC 2.0
and LSP prescribe, whatever is wrong with it, and no bad frame costs more
than itself: after each one the next well-formed request is answered. Each
case stands for a class of input (every way a message can be invalid, every
way a frame can be broken), not only for one string.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from support.rpc import (
    RawClient,
    ResponseError,
    SocketFrames,
    frame,
    server_env,
    spawn_initialized,
    tcp_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002

_ids = itertools.count(1000)


def encode(message: Any) -> bytes:
    return json.dumps(message).encode()


def probe() -> tuple[int, bytes]:
    """A well-formed request any initialized server answers at once."""
    msg_id = next(_ids)
    body = encode({"jsonrpc": "2.0", "id": msg_id, "method": "mirrord/listSessions"})
    return msg_id, body


async def answer(client: RawClient, match: Callable[[dict[str, Any]], bool], timeout: float = 10):
    """The first message from the server that `match` accepts."""
    deadline = time.monotonic() + timeout
    while True:
        for received in client.received:
            message = received.message
            if "method" not in message and match(message):
                return message
        if time.monotonic() > deadline or client.proc.returncode is not None:
            raise AssertionError(f"no matching answer; got {[r.message for r in client.received]}")
        await asyncio.sleep(0.02)


async def answer_to(client: RawClient, msg_id: Any, timeout: float = 10) -> dict[str, Any]:
    return await answer(client, lambda m: m.get("id") == msg_id, timeout)


def answers_to(client: RawClient, msg_id: Any) -> list[dict[str, Any]]:
    return [
        r.message
        for r in client.received
        if r.message.get("id") == msg_id and "method" not in r.message
    ]


def null_id_errors(client: RawClient) -> list[dict[str, Any]]:
    return [
        r.message["error"]
        for r in client.received
        if "id" in r.message and r.message["id"] is None and "error" in r.message
    ]


def assert_no_traceback(client: RawClient) -> None:
    for received in client.received:
        error = received.message.get("error")
        if error is not None:
            text = json.dumps(error)
            assert "Traceback" not in text and "traceback" not in text, text
            assert 'File "' not in text, text


@pytest.fixture
async def server() -> AsyncIterator[RawClient]:
    client = await spawn_initialized(server_env(None))
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def fresh() -> AsyncIterator[RawClient]:
    """A server that has not been sent `initialize`."""
    client = await RawClient.spawn(server_env(None))
    try:
        yield client
    finally:
        await client.close()


async def expect_error(client: RawClient, message: Any, code: int, reply_id: Any) -> dict[str, Any]:
    body = message if isinstance(message, bytes) else encode(message)
    client.write_raw(frame(body))
    if reply_id is None:
        before = len(null_id_errors(client))
        probe_id, probe_body = probe()
        client.write_raw(frame(probe_body))
        await answer_to(client, probe_id)
        errors = null_id_errors(client)[before:]
        assert [e["code"] for e in errors] == [code], (body, errors)
        return errors[0]
    reply = await answer_to(client, reply_id)
    assert "error" in reply, (body, reply)
    assert reply["error"]["code"] == code, (body, reply)
    return dict(reply["error"])


# -- messages that are not requests ------------------------------------------------------


INVALID_MESSAGES: list[tuple[str, dict[str, Any], bool]] = [
    # (what is wrong, the message without its id, whether the id is usable)
    ("no method", {"jsonrpc": "2.0", "params": {}}, True),
    ("no method, no params", {"jsonrpc": "2.0"}, True),
    ("method is a number", {"jsonrpc": "2.0", "method": 7}, True),
    ("method is null", {"jsonrpc": "2.0", "method": None}, True),
    ("method is a list", {"jsonrpc": "2.0", "method": ["shutdown"]}, True),
    ("method is an object", {"jsonrpc": "2.0", "method": {"name": "shutdown"}}, True),
    ("jsonrpc 1.0", {"jsonrpc": "1.0", "method": "mirrord/listSessions"}, True),
    ("jsonrpc as a number", {"jsonrpc": 2.0, "method": "mirrord/listSessions"}, True),
    ("no jsonrpc", {"method": "mirrord/listSessions"}, True),
    ("params is a number", {"jsonrpc": "2.0", "method": "mirrord/listSessions", "params": 5}, True),
    ("params is a string", {"jsonrpc": "2.0", "method": "textDocument/hover", "params": "x"}, True),
    ("params is true", {"jsonrpc": "2.0", "method": "mirrord/listSessions", "params": True}, True),
]


async def test_every_invalid_request_is_answered_with_its_id(server: RawClient) -> None:
    for what, message, _ in INVALID_MESSAGES:
        for msg_id in (next(_ids), f"req-{next(_ids)}"):
            error = await expect_error(server, {**message, "id": msg_id}, INVALID_REQUEST, msg_id)
            assert isinstance(error["message"], str) and error["message"], what
    # Only one answer each, and the server still serves.
    probe_id, body = probe()
    server.write_raw(frame(body))
    assert "result" in await answer_to(server, probe_id)
    assert_no_traceback(server)


NO_USABLE_ID: list[bytes] = [
    b"[]",
    encode([{"jsonrpc": "2.0", "id": 1, "method": "mirrord/listSessions"}]),  # a batch
    b"1",
    b'"shutdown"',
    b"null",
    b"{}",
    encode({"jsonrpc": "2.0", "id": None, "method": "mirrord/listSessions"}),
    encode({"jsonrpc": "2.0", "id": 1.5, "method": "mirrord/listSessions"}),
    encode({"jsonrpc": "2.0", "id": True, "method": "mirrord/listSessions"}),
    encode({"jsonrpc": "2.0", "id": {"n": 1}, "method": "mirrord/listSessions"}),
    encode({"jsonrpc": "2.0", "method": 3}),  # no id: nothing else to answer to
]

NOT_JSON: list[bytes] = [
    b'{"jsonrpc": "2.0", "id": 3, "method": ',  # cut short
    b'{"jsonrpc": "2.0", "id": 3, "method": "shutdown"} trailing',
    b"{'jsonrpc': '2.0', 'id': 3}",  # not JSON quotes
    b'{"jsonrpc": "2.0", "id": 3, "method": "x",}',  # trailing comma
    b"\xff\xfe\x00garbage",  # not UTF-8
    b'{"jsonrpc": "2.0", "id": 3, "method": "\xc3("}',  # invalid UTF-8 inside a string
    b"[" * 200_000 + b"]" * 200_000,  # nested too deeply
    b"not json at all",
]


async def test_messages_without_a_usable_id_get_an_invalid_request_with_id_null(
    server: RawClient,
) -> None:
    for body in NO_USABLE_ID:
        await expect_error(server, body, INVALID_REQUEST, None)


async def test_malformed_json_gets_a_parse_error_with_id_null(server: RawClient) -> None:
    for body in NOT_JSON:
        error = await expect_error(server, body, PARSE_ERROR, None)
        assert error["message"].startswith("Parse error"), body[:40]
    assert_no_traceback(server)


async def test_unknown_methods_get_method_not_found(server: RawClient) -> None:
    for method in (
        "nope/x",
        "$/unknownRequest",
        "mirrord/doesNotExist",
        "textDocument/implementation",
    ):
        msg_id = next(_ids)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": {}}
        error = await expect_error(server, message, METHOD_NOT_FOUND, msg_id)
        assert method in error["message"]
    # Unknown notifications are ignored, not answered.
    server.write_raw(frame(encode({"jsonrpc": "2.0", "method": "$/unknownNotification"})))
    probe_id, body = probe()
    server.write_raw(frame(body))
    await answer_to(server, probe_id)
    assert null_id_errors(server) == []


URI = "file:///tmp/edge/mirrord.json"
TEXT_DOCUMENT = {"uri": URI}
BAD_PARAMS: list[tuple[str, str, Any]] = [
    ("hover without position", "textDocument/hover", {"textDocument": TEXT_DOCUMENT}),
    ("hover without textDocument", "textDocument/hover", {"position": {"line": 0, "character": 0}}),
    ("hover with empty params", "textDocument/hover", {}),
    ("hover without params", "textDocument/hover", None),
    (
        "completion at a negative line",
        "textDocument/completion",
        {"textDocument": TEXT_DOCUMENT, "position": {"line": -1, "character": 0}},
    ),
    (
        "completion at a negative character",
        "textDocument/completion",
        {"textDocument": TEXT_DOCUMENT, "position": {"line": 0, "character": -5}},
    ),
    (
        "completion with a line as an object",
        "textDocument/completion",
        {"textDocument": TEXT_DOCUMENT, "position": {"line": {}, "character": 0}},
    ),
    (
        "completion with a line beyond uinteger",
        "textDocument/completion",
        {"textDocument": TEXT_DOCUMENT, "position": {"line": 2**40, "character": 0}},
    ),
    (
        "hover with textDocument as a string",
        "textDocument/hover",
        {"textDocument": URI, "position": {"line": 0, "character": 0}},
    ),
    ("symbols with params as a list", "textDocument/documentSymbol", [URI]),
    (
        "code action without range",
        "textDocument/codeAction",
        {"textDocument": TEXT_DOCUMENT, "context": {"diagnostics": []}},
    ),
]


async def test_params_that_do_not_fit_the_lsp_type_get_invalid_params(server: RawClient) -> None:
    server.open(URI, '{"target": "targetless"}')
    await server.diagnostics(URI, 1)
    for what, method, params in BAD_PARAMS:
        msg_id = next(_ids)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
        error = await expect_error(server, message, INVALID_PARAMS, msg_id)
        assert error["message"].startswith("Invalid params"), what
    # The same requests with good params are answered normally.
    msg_id = next(_ids)
    good = {"textDocument": TEXT_DOCUMENT, "position": {"line": 0, "character": 2}}
    server.write_raw(
        frame(
            encode({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": good})
        )
    )
    assert "result" in await answer_to(server, msg_id)
    # Broken notifications are dropped: the document stays as it was.
    server.write_raw(
        frame(encode({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {}}))
    )
    server.replace(URI, '{"target": 5}', version=2)
    published = await server.diagnostics(URI, 2)
    assert published.message["params"]["diagnostics"]
    assert_no_traceback(server)


async def test_methods_sent_as_the_wrong_kind_of_message(server: RawClient) -> None:
    msg_id = next(_ids)
    # A notification method with an id: it must still get an answer.
    await expect_error(
        server,
        {"jsonrpc": "2.0", "id": msg_id, "method": "initialized", "params": {}},
        INVALID_REQUEST,
        msg_id,
    )
    # A request method without an id cannot be answered: it is dropped.
    server.write_raw(frame(encode({"jsonrpc": "2.0", "method": "mirrord/listSessions"})))
    server.write_raw(
        frame(encode({"jsonrpc": "2.0", "method": "textDocument/hover", "params": {}}))
    )
    # A second initialize is refused.
    msg_id = next(_ids)
    await expect_error(
        server,
        {
            "jsonrpc": "2.0",
            "id": msg_id,
            "method": "initialize",
            "params": {"capabilities": {}, "processId": None},
        },
        INVALID_REQUEST,
        msg_id,
    )
    probe_id, body = probe()
    server.write_raw(frame(body))
    assert "result" in await answer_to(server, probe_id)
    assert null_id_errors(server) == []


async def test_requests_before_initialize_get_server_not_initialized(fresh: RawClient) -> None:
    requests = [
        (
            "textDocument/hover",
            {"textDocument": TEXT_DOCUMENT, "position": {"line": 0, "character": 0}},
        ),
        (
            "textDocument/completion",
            {"textDocument": TEXT_DOCUMENT, "position": {"line": 0, "character": 0}},
        ),
        ("mirrord/listSessions", {}),
        ("mirrord/listNamespaces", {}),
        ("shutdown", None),
        ("nope/x", {}),
    ]
    for method, params in requests:
        msg_id = next(_ids)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
        error = await expect_error(fresh, message, SERVER_NOT_INITIALIZED, msg_id)
        assert "data" not in error, error
    # Notifications before initialize are dropped, not acted on.
    fresh.open(URI, '{"target": 5}')
    # An initialize with bad params is refused and leaves the server waiting for a good one.
    msg_id = next(_ids)
    await expect_error(
        fresh,
        {"jsonrpc": "2.0", "id": msg_id, "method": "initialize", "params": {}},
        INVALID_PARAMS,
        msg_id,
    )
    await fresh.initialize()
    assert "result" in answers_to(fresh, 1)[0]
    await asyncio.sleep(0.3)
    assert fresh.notifications("textDocument/publishDiagnostics") == []
    probe_id, body = probe()
    fresh.write_raw(frame(body))
    assert "result" in await answer_to(fresh, probe_id)
    assert_no_traceback(fresh)


FAILING_SERVER = """
import sys
from mirrord_ide.lsp.server import create_server

server = create_server()

@server.feature("test/failSync")
def fail_sync(ls, params):
    raise ValueError("secret-token-123")

@server.feature("test/failAsync")
async def fail_async(ls, params):
    raise KeyError("secret-token-456")

@server.feature("test/state")
def state(ls, params):
    import gc
    # The kubernetes client is imported in the background after start-up.
    import kubernetes.client, kubernetes.config
    gc.collect()
    return {"futures": len(ls.protocol._request_futures), "objects": len(gc.get_objects())}

server.start_io()
"""


async def spawn_instrumented() -> RawClient:
    """The real server over stdio, with the test-only handlers above."""
    return await RawClient.spawn(server_env(None), command=[sys.executable, "-c", FAILING_SERVER])


async def test_a_failing_handler_gets_internal_error_without_a_traceback() -> None:
    """The real server with two handlers that fail, over stdio."""
    client = await spawn_instrumented()
    try:
        await client.initialize()
        for method, exception in (("test/failSync", "ValueError"), ("test/failAsync", "KeyError")):
            with pytest.raises(ResponseError) as caught:
                await client.request(method, {})
            error = caught.value.error
            assert error["code"] == INTERNAL_ERROR
            assert error["message"] == f"internal error: {exception}"
            assert "data" not in error
            assert "secret-token" not in json.dumps(error)
        # The details are in the server's log, for whoever runs it.
        await client.request("mirrord/listSessions", {})
        assert "secret-token-123" in client.stderr.decode()
    finally:
        await client.close()


async def test_requests_after_shutdown_are_refused_and_exit_still_works(server: RawClient) -> None:
    await server.request("shutdown", None)
    msg_id = next(_ids)
    message = {"jsonrpc": "2.0", "id": msg_id, "method": "mirrord/listSessions", "params": {}}
    server.write_raw(frame(encode(message)))
    reply = await answer_to(server, msg_id)
    assert reply["error"]["code"] == INVALID_REQUEST
    server.notify("exit", None)
    assert await server.wait_exit(5) == 0


# -- framing -------------------------------------------------------------------------------


def _bad_frames() -> list[tuple[str, bytes]]:
    body = encode({"jsonrpc": "2.0", "id": 1, "method": "mirrord/listSessions", "params": {}})
    n = len(body)
    return [
        ("Content-Length too short", b"Content-Length: %d\r\n\r\n" % (n - 9) + body),
        ("Content-Length of 1", b"Content-Length: 1\r\n\r\n" + body),
        ("Content-Length too long by one", b"Content-Length: %d\r\n\r\n" % (n + 1) + body),
        ("Content-Length far too long", b"Content-Length: %d\r\n\r\n" % (n + 5000) + body),
        ("Content-Length beyond any body", b"Content-Length: 99999999999\r\n\r\n" + body),
        ("Content-Length zero", b"Content-Length: 0\r\n\r\n" + body),
        ("Content-Length non-numeric", b"Content-Length: nope\r\n\r\n" + body),
        ("Content-Length negative", b"Content-Length: -5\r\n\r\n" + body),
        ("Content-Length empty", b"Content-Length: \r\n\r\n" + body),
        ("Content-Length missing", b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + body),
        ("no headers at all", body),
        ("headers without a blank line", b"Content-Length: %d\r\n" % n + body),
        ("a bad header line", b"Content-Length: %d\r\nnot a header\r\n\r\n" % n + body),
        ("garbage", b"\x00\x01garbage\xff\r\n\r\n\r\n"),
        ("a header cut short", b"Content-Len"),
        ("a blank line only", b"\r\n\r\n"),
        ("a lone body", b"}}}"),
    ]


def _good_frames() -> list[tuple[str, Callable[[bytes], bytes]]]:
    return [
        ("canonical", lambda b: b"Content-Length: %d\r\n\r\n" % len(b) + b),
        ("lower-case header", lambda b: b"content-length: %d\r\n\r\n" % len(b) + b),
        ("upper-case header", lambda b: b"CONTENT-LENGTH: %d\r\n\r\n" % len(b) + b),
        ("LF-only line endings", lambda b: b"Content-Length: %d\n\n" % len(b) + b),
        ("no space after the colon", lambda b: b"Content-Length:%d\r\n\r\n" % len(b) + b),
        (
            "with Content-Type",
            lambda b: (
                b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; "
                b"charset=utf-8\r\n\r\n" % len(b) + b
            ),
        ),
        (
            "Content-Type first, LF only",
            lambda b: (
                b"Content-Type: application/vscode-jsonrpc\ncontent-length: %d\n\n" % len(b) + b
            ),
        ),
    ]


@pytest.mark.parametrize("split", [False, True], ids=["one write", "byte by byte"])
async def test_every_bad_frame_costs_only_itself(server: RawClient, split: bool) -> None:
    """Each broken frame, then a good request in each accepted framing: the good
    request is answered, once."""
    cases = [(bad, good) for bad in _bad_frames() for good in _good_frames()]
    if split:
        cases = cases[:: len(_good_frames()) + 1]
    for (bad_name, bad), (good_name, make) in cases:
        probe_id, body = probe()
        data = bad + make(body)
        if split:
            for i in range(len(data)):
                server.write_raw(data[i : i + 1])
                if i % 16 == 0:
                    await server.drain()
        else:
            server.write_raw(data)
        reply = await answer_to(server, probe_id, timeout=10)
        assert "result" in reply, (bad_name, good_name, reply)
    probe_id, body = probe()
    server.write_raw(frame(body))
    await answer_to(server, probe_id)
    # No probe was answered twice, and only parse errors and invalid requests came back.
    ids = [r.message.get("id") for r in server.received if "method" not in r.message]
    probes = [i for i in ids if i is not None and i >= 1000]
    assert len(probes) == len(set(probes))
    assert {e["code"] for e in null_id_errors(server)} <= {PARSE_ERROR, INVALID_REQUEST}
    assert server.proc.returncode is None


async def test_a_too_long_frame_followed_later_by_a_good_one(server: RawClient) -> None:
    """The good frame arrives in a later write, after the server has started
    waiting for the rest of the too-long body."""
    for extra in (1, 40, 10_000):
        msg_id = next(_ids)
        lost = encode({"jsonrpc": "2.0", "id": msg_id, "method": "mirrord/listSessions"})
        server.write_raw(b"Content-Length: %d\r\n\r\n" % (len(lost) + extra) + lost)
        await server.drain()
        await asyncio.sleep(0.2)
        probe_id, body = probe()
        server.write_raw(frame(body))
        assert "result" in await answer_to(server, probe_id)
        # The frame whose length was too long still carried a whole request: answered too.
        assert "result" in await answer_to(server, msg_id)


async def test_a_body_that_mentions_content_length_is_not_cut(server: RawClient) -> None:
    """A header line can only end a body early when it is a real line: inside
    JSON strings a line feed is always escaped."""
    text = '{"target": "targetless", "x": "Content-Length: 12\\r\\n\\r\\n{}"}\n'
    server.open("file:///tmp/edge/cl/mirrord.json", text)
    published = await server.diagnostics("file:///tmp/edge/cl/mirrord.json", 1)
    codes = {d.get("code") for d in published.message["params"]["diagnostics"]}
    assert codes == {"unknown-key"}
    assert null_id_errors(server) == []


async def test_a_long_session_keeps_no_state_per_message(tmp_path: Path) -> None:
    """Handled notifications and requests leave nothing behind: a server that
    kept one future per message slowed down over a long session, as every
    full garbage collection walked them all."""
    client = await spawn_instrumented()
    try:
        await client.initialize(tmp_path)

        async def cycle(count: int) -> None:
            for n in range(count):
                uri = (tmp_path / f"d{n}" / "mirrord.json").as_uri()
                client.open(uri, '{"target": "targetless"}')
                client.replace(uri, '{"target": 5}', version=2)
                await client.diagnostics(uri, 2)
                client.close_document(uri)
                await client.request("mirrord/listSessions", {})

        # Warm up: parsers, the config model and the cluster client load lazily.
        await cycle(100)
        counts = [await client.request("test/state", {})]
        for _ in range(3):
            await cycle(150)
            counts.append(await client.request("test/state", {}))
        assert max(c["futures"] for c in counts) <= 2, counts
        # State kept per message grows in every stretch of the session; something
        # loaded once (a module imported in the background) grows one only.
        growth = [b["objects"] - a["objects"] for a, b in itertools.pairwise(counts)]
        assert min(growth) < 150, counts
    finally:
        await client.close()


def test_tcp_has_the_same_edge(tmp_path: Path) -> None:
    """`serve --tcp`: the same resynchronisation and the same answers."""
    with tcp_server(server_env(None), cwd=tmp_path) as sock:
        initialize = {"capabilities": {}, "processId": None, "rootUri": None}
        sock.sendall(
            frame(encode({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize}))
            + b'Content-Length: 5\r\n\r\n{"jsonrpc": "2.0"}'  # too short
            + frame(b"{not json")
            + b"content-length: 2\n\n"  # lower-case, LF only
            + b"{}"
            + frame(encode({"jsonrpc": "2.0", "id": 2, "method": "mirrord/listSessions"}))
        )
        frames = SocketFrames(sock)
        replies: list[dict[str, Any]] = []
        while not any(r.get("id") == 2 for r in replies):
            replies.append(frames.read())
    codes = [r["error"]["code"] for r in replies if r.get("id") is None]
    assert codes == [PARSE_ERROR, PARSE_ERROR, INVALID_REQUEST], replies
    assert next(r for r in replies if r.get("id") == 2)["result"] == {"sessions": []}
