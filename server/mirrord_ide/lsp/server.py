"""The pygls language server: construction, shared state, feature registration.

Features live in small modules under `mirrord_ide.lsp`; each exposes
`register(server: MirrordLanguageServer) -> None`. This module holds no
business logic.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from pygls.lsp.server import LanguageServer

from mirrord_ide import __version__

# Feature modules, registered in this order. Each one adds its handlers.
FEATURE_MODULES: list[str] = []


class MirrordLanguageServer(LanguageServer):
    """The server object handed to every handler (`ls`). State that outlives a
    request lives here: settings, the cluster service, the session manager."""

    def __init__(self) -> None:
        super().__init__(name="mirrord-ide", version=__version__)
        # The `mirrord` section of initializationOptions / workspace configuration.
        self.settings: dict[str, Any] = {}
        # Created lazily by the features that need them.
        self.services: dict[str, Any] = {}


def create_server() -> MirrordLanguageServer:
    server = MirrordLanguageServer()
    for name in FEATURE_MODULES:
        importlib.import_module(name).register(server)
    return server


def run_server(tcp: str | None = None) -> int:
    # pygls logs message bodies at INFO: keep it quiet so tokens and env never reach logs.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0
