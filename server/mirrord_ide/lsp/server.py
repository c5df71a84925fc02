"""The pygls language server: construction, shared state, feature registration.

Features live in small modules under `mirrord_ide.lsp`; each exposes
`register(server: MirrordLanguageServer) -> None`. This module holds no
business logic: it owns start-up, settings and error reporting.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import threading
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from mirrord_ide import __version__
from mirrord_ide.lsp.lifecycle import Lifecycle
from mirrord_ide.lsp.protocol import MirrordProtocol
from mirrord_ide.lsp.settings import SETTING_KEYS, MirrordSettings, merge_settings
from mirrord_ide.lsp.state import AnalyzedDocument, ServerState
from mirrord_ide.lsp.stdio import FrameReader, run_to_exit, serve

log = logging.getLogger(__name__)

# Feature modules, registered in this order. Each one adds its handlers.
FEATURE_MODULES: list[str] = [
    "mirrord_ide.lsp.documents",
    "mirrord_ide.lsp.completion",
    "mirrord_ide.lsp.hover",
    "mirrord_ide.lsp.code_actions",
    "mirrord_ide.lsp.symbols",
    "mirrord_ide.lsp.target_requests",
    "mirrord_ide.lsp.session_requests",
    "mirrord_ide.lsp.set_target",
]

CONFIGURATION_TIMEOUT = 2.0
# How often the client process named in `initialize` is checked for liveness.
PARENT_CHECK_INTERVAL = 1.0


class MirrordLanguageServer(LanguageServer):
    """The server object handed to every handler (`ls`). State that outlives a
    request lives here: settings, analysed documents, the services (`state`), and
    the hooks that run at start-up, on a settings change and at shutdown (`lifecycle`)."""

    def __init__(self) -> None:
        super().__init__(
            name="mirrord-ide",
            version=__version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=MirrordProtocol,
        )
        # The `mirrord` section of initializationOptions / workspace configuration.
        self.settings = MirrordSettings()
        # `clientInfo.name` from `initialize`, when the client sent one.
        self.client_name: str | None = None
        # Start-up, settings and shutdown hooks the features register.
        self.lifecycle = Lifecycle()
        # The services the features create (most on first use).
        self.state = ServerState()
        # The latest analysis of each open config document, by URI.
        self.documents: dict[str, AnalyzedDocument] = {}

    def update_settings(self, section: Any) -> None:
        """Merge a `mirrord` settings section; ignore anything that is not a mapping."""
        if not isinstance(section, dict):
            return
        old = self.settings
        self.settings, refused = merge_settings(old, section)
        for key, problem in refused.items():
            log.warning("ignoring setting mirrord.%s: %s", key, problem)
        self.lifecycle.settings_changed(old, self.settings)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Like pygls's, but the stdin reader is a daemon thread so `exit` ends
        the process without waiting for the client to close its end."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        self._stdin_reader = FrameReader((stdin or sys.stdin.buffer).fileno())
        protocol = self.protocol
        assert isinstance(protocol, MirrordProtocol)
        try:
            run_to_exit(serve(self._stdin_reader.read, protocol.handle_body, self._stop_event))
        except BrokenPipeError:
            log.info("the client closed the connection")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        """Like pygls's, with the same framing and message checks as stdio."""
        self._stop_event = stop_event = threading.Event()
        protocol = self.protocol
        assert isinstance(protocol, MirrordProtocol)

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            protocol.set_writer(writer)  # type: ignore[arg-type]

            async def read() -> bytes:
                try:
                    return await reader.read(65536)
                except ConnectionError:
                    return b""

            await serve(read, protocol.handle_body, stop_event)
            self.shutdown()

        async def listen() -> None:
            server = await asyncio.start_server(connection, host, port)
            self._server = server
            async with server:
                await server.serve_forever()

        try:
            asyncio.run(listen())
        except asyncio.CancelledError:
            log.debug("the TCP server was cancelled")

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls would show "Error in server: ..." pop-ups; users get clean
        # diagnostics or structured errors instead, and the details go to the log.
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)


def _mirrord_section(value: Any) -> Any:
    """Accept both `{"mirrord": {...}}` and the bare section."""
    if isinstance(value, dict) and isinstance(value.get("mirrord"), dict):
        return value["mirrord"]
    return value


def _supports_configuration(ls: MirrordLanguageServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace is not None and workspace.configuration)


async def _pull_configuration(ls: MirrordLanguageServer) -> None:
    if not _supports_configuration(ls):
        return
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="mirrord")])
            ),
            CONFIGURATION_TIMEOUT,
        )
    except Exception as error:  # noqa: BLE001 - a client without the section is fine
        log.info("workspace/configuration unavailable: %s", error)
        return
    if result:
        ls.update_settings(result[0])


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


async def _watch_parent(ls: MirrordLanguageServer, pid: int) -> None:
    """LSP's `processId`: when the client process is gone, exit as if it had
    closed stdin, so its sessions and agents are cleaned up even when another
    process still holds the pipes open."""
    while _process_alive(pid):
        await asyncio.sleep(PARENT_CHECK_INTERVAL)
    log.warning("client process %d is gone: shutting down", pid)
    reader = getattr(ls, "_stdin_reader", None)
    if isinstance(reader, FrameReader):
        reader.end_input()


def _register_core(server: MirrordLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: MirrordLanguageServer, params: types.InitializeParams) -> None:
        if params.client_info is not None:
            ls.client_name = params.client_info.name
        ls.update_settings(_mirrord_section(params.initialization_options))

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: MirrordLanguageServer, params: types.InitializedParams) -> None:
        if ls.process_id:
            ls.state.parent_watch = asyncio.create_task(_watch_parent(ls, ls.process_id))
        await _pull_configuration(ls)
        # The features' start-up, once the client's settings are in.
        await ls.lifecycle.started()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(
        ls: MirrordLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        section = _mirrord_section(params.settings)
        if isinstance(section, dict) and any(key in section for key in SETTING_KEYS):
            ls.update_settings(section)
        else:
            # Pull model: the notification only says "something changed".
            await _pull_configuration(ls)

    # pygls runs these before its own `shutdown`/`exit` handling (which cancels the
    # pending requests, and exits); the hooks run once, on whichever comes first.
    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: MirrordLanguageServer, params: Any = None) -> None:
        await ls.lifecycle.shutdown()

    @server.feature(types.EXIT)
    async def on_exit(ls: MirrordLanguageServer, params: Any = None) -> None:
        await ls.lifecycle.shutdown()


def create_server() -> MirrordLanguageServer:
    server = MirrordLanguageServer()
    _register_core(server)
    for name in FEATURE_MODULES:
        importlib.import_module(name).register(server)
    return server


def parse_tcp(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host or "127.0.0.1", int(port)


def run_server(tcp: str | None = None) -> int:
    # pygls logs message bodies at INFO: keep it quiet so tokens and env never reach logs.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    if tcp:
        try:
            host, port = parse_tcp(tcp)
        except ValueError as error:
            print(f"mirrord-ide serve: {error}", file=sys.stderr)
            return 2
        create_server().start_tcp(host, port)
    else:
        create_server().start_io()
    return 0
