"""Client-side helpers for driving the real server over stdio."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES

from support.server import lsp_config, server_env

# Capability sets of real clients shipped with pytest-lsp.
CLIENTS = ["visual-studio-code", "neovim@v0.7.0"]


class RecordingClient(LanguageClient):
    """Keeps every publishDiagnostics (with its version), not only the last."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []


def make_client() -> RecordingClient:
    from pygls.protocol import default_converter

    client = RecordingClient(converter_factory=default_converter)
    for method, handler in DEFAULT_CLIENT_FEATURES.items():
        if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            client.feature(method)(handler)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(client_: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
        client_.published.append(params)
        client_.diagnostics[params.uri] = params.diagnostics

    return client


def config(tmp_dir: Path) -> ClientServerConfig:
    # No real cluster: the tests must not depend on the machine's kubeconfig.
    return lsp_config(server_env(tmp_dir / "no-kubeconfig"), make_client)


def initialize_params(client_name: str, root: Path) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities(client_name),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    )


async def start_client(
    kubeconfig: Path, client_name: str, root: Path, env: dict[str, str] | None = None
) -> RecordingClient:
    """A server using `kubeconfig`, initialized by a client with `client_name`'s capabilities
    and `root` as its workspace; `env` adds to the server's environment."""
    client = await lsp_config(server_env(kubeconfig, **(env or {})), make_client).start()
    await client.initialize_session(initialize_params(client_name, root))
    assert isinstance(client, RecordingClient)
    return client


async def wait_for_version(
    client: RecordingClient, uri: str, version: int, timeout: float = 15.0
) -> list[types.Diagnostic]:
    """The diagnostics published for exactly this version of the document."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for params in reversed(client.published):
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        if asyncio.get_running_loop().time() > deadline:
            seen = [(p.uri, p.version) for p in client.published]
            raise AssertionError(f"no diagnostics for {uri} v{version}; got {seen}")
        await asyncio.sleep(0.01)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16) of a string offset."""
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=utf16_len(text[line_start:offset]))


def span(text: str, needle: str, occurrence: int = 0) -> types.Range:
    """The LSP range of the n-th occurrence of `needle` in `text`."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    return types.Range(start=position_of(text, offset), end=position_of(text, offset + len(needle)))


def after(text: str, needle: str) -> types.Position:
    """The position just after the first `needle`."""
    return position_of(text, text.index(needle) + len(needle))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (UTF-16 positions) the way an editor does."""

    def offset(pos: types.Position) -> int:
        lines = text.split("\n")
        before = sum(len(line) + 1 for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return before + i
            units += utf16_len(ch)
        return before + len(line)

    ordered = sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    )
    for edit in ordered:
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def by_code(diagnostics: list[types.Diagnostic], code: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == code]


_CASES = itertools.count(1)


class Documents:
    """Opens documents under unique URIs so tests sharing a server stay independent."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root

    def uri(self, name: str) -> str:
        folder = self.root / f"case{next(_CASES)}"
        if name.startswith(".mirrord/"):
            folder = folder / ".mirrord"
            name = name.removeprefix(".mirrord/")
        return (folder / name).as_uri()

    def open(self, name: str, text: str, language: str = "json") -> str:
        uri = self.uri(name)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )
        return uri

    def change(
        self, uri: str, version: int, changes: list[types.TextDocumentContentChangeEvent]
    ) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=changes,
            )
        )

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
