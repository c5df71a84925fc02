"""Server start-up, transport, position encoding and settings."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from mirrord_ide.lsp.convert import snippet_to_plain
from mirrord_ide.lsp.server import MirrordLanguageServer, parse_tcp
from mirrord_ide.lsp.settings import MirrordSettings
from mirrord_ide.lsp.stdio import FrameParser, FrameReader
from support.rpc import SocketFrames, frame, tcp_server

from .support import (
    Documents,
    by_code,
    config,
    initialize_params,
    server_env,
    span,
    wait_for_version,
)

pytestmark = pytest.mark.timeout(60)


async def test_utf16_is_kept_when_the_client_prefers_utf8(tmp_path: Path) -> None:
    client = await config(tmp_path).start()
    try:
        # Neovim 0.11 lists utf-8 first; every layer computes UTF-16.
        result = await client.initialize_session(initialize_params("neovim@v0.11.0", tmp_path))
        assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
        text = '{"agent": {"namespace": "🦀🦀", "feture": 1}}'
        uri = Documents(client, tmp_path).open("mirrord.json", text)
        [unknown] = by_code(await wait_for_version(client, uri, 1), "unknown-key")
        assert unknown.range == span(text, '"feture"')
        await client.shutdown_session()
    finally:
        await client.stop()


def test_serve_over_tcp(tmp_path: Path) -> None:
    with tcp_server(server_env(tmp_path / "no-kubeconfig")) as sock:
        initialize = {"processId": None, "rootUri": None, "capabilities": {}}
        message = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize}
        sock.sendall(frame(json.dumps(message).encode()))
        reply = SocketFrames(sock).read()
    assert reply["id"] == 1
    assert reply["result"]["serverInfo"]["name"] == "mirrord-ide"
    sync = reply["result"]["capabilities"]["textDocumentSync"]
    assert sync["change"] == types.TextDocumentSyncKind.Incremental.value


def test_bad_tcp_address_is_a_clear_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "serve", "--tcp", "nowhere"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert "HOST:PORT" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_parse_tcp() -> None:
    assert parse_tcp("0.0.0.0:2087") == ("0.0.0.0", 2087)
    assert parse_tcp(":2087") == ("127.0.0.1", 2087)
    with pytest.raises(ValueError):
        parse_tcp("host:port")


def test_settings_accept_section_and_notify_hooks() -> None:
    server = MirrordLanguageServer()
    seen: list[MirrordSettings] = []
    cluster: list[MirrordSettings] = []
    server.lifecycle.on_settings(None, seen.append)
    server.lifecycle.on_settings(("kubeconfig", "context"), cluster.append)
    server.update_settings({"kubeconfig": "/k/config", "context": "dev", "other": 1})
    assert server.settings == MirrordSettings(kubeconfig="/k/config", context="dev")
    server.update_settings({"kubeconfig": "/k/config"})  # unchanged: no notification
    server.update_settings({"context": None})
    server.update_settings({"context": 42})  # ignored, with a log line
    server.update_settings("not a mapping")
    assert server.settings == MirrordSettings(kubeconfig="/k/config")
    server.update_settings({"engine": "builtin", "cliPath": 7})  # cliPath refused, engine kept
    assert server.settings == MirrordSettings(kubeconfig="/k/config", engine="builtin")
    server.update_settings({"engine": ""})  # empty restores the default
    assert server.settings.engine == "auto"
    first = MirrordSettings(kubeconfig="/k/config", context="dev")
    assert cluster == [first, MirrordSettings(kubeconfig="/k/config")]
    assert seen == [
        *cluster,
        server.settings.model_copy(update={"engine": "builtin"}),
        server.settings,
    ]


def test_report_server_error_shows_no_message(caplog: pytest.LogCaptureFixture) -> None:
    server = MirrordLanguageServer()
    server.report_server_error(ValueError("boom"), ValueError)
    assert "boom" in caplog.text


@pytest.mark.parametrize(
    ("snippet", "plain"),
    [
        ('"feature": {\n\t$0\n}', '"feature": {\n\t\n}'),
        ('"operator": ${1|true,false|}', '"operator": true'),
        ('"ttl": ${1:30}$0', '"ttl": 30'),
        ('"path": "${1:pod/name}"', '"path": "pod/name"'),
        ("cost: \\$5", "cost: $5"),
    ],
)
def test_snippet_to_plain(snippet: str, plain: str) -> None:
    assert snippet_to_plain(snippet) == plain


async def test_frame_reader_hands_over_whole_frames() -> None:
    read_fd, write_fd = os.pipe()
    try:
        reader = FrameReader(read_fd)
        body = json.dumps({"text": "é🚀"}).encode()
        os.write(write_fd, b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
        os.write(write_fd, body[5:])
        parser, bodies = FrameParser(), []
        while not bodies:
            bodies = parser.feed(await asyncio.wait_for(reader.read(), 5))
        assert bodies == [body]
        os.close(write_fd)
        write_fd = -1
        assert await asyncio.wait_for(reader.read(), 5) == b""
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
