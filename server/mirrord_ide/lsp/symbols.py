"""textDocument/documentSymbol: the config's outline (hierarchical when the
client supports it, flat otherwise)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.lsp._capabilities import get_capability

from mirrord_ide.lsp.convert import symbol_kind, to_lsp_range

if TYPE_CHECKING:
    from mirrord_ide.document.assist import Symbol
    from mirrord_ide.lsp.server import MirrordLanguageServer

from mirrord_ide.lsp.documents import current

log = logging.getLogger(__name__)


def to_document_symbol(symbol: Symbol) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name or "(empty)",
        detail=symbol.detail or None,
        kind=symbol_kind(symbol.kind),
        range=to_lsp_range(symbol.range),
        selection_range=to_lsp_range(symbol.selection_range),
        children=[to_document_symbol(child) for child in symbol.children] or None,
    )


def flatten(
    uri: str, symbols: Iterable[Symbol], container: str | None = None
) -> list[types.SymbolInformation]:
    flat: list[types.SymbolInformation] = []
    for symbol in symbols:
        flat.append(
            types.SymbolInformation(
                name=symbol.name or "(empty)",
                kind=symbol_kind(symbol.kind),
                location=types.Location(uri=uri, range=to_lsp_range(symbol.range)),
                container_name=container,
            )
        )
        flat.extend(flatten(uri, symbol.children, symbol.name))
    return flat


def register(server: MirrordLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: MirrordLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        uri = params.text_document.uri
        analyzed = current(ls, uri)
        if analyzed is None:
            return None
        from mirrord_ide.document.assist import symbols

        try:
            found = symbols(analyzed.analysis.parsed)
        except Exception:  # noqa: BLE001 - no outline rather than an error
            log.exception("document symbols failed for %s", uri)
            return None
        hierarchical = get_capability(
            ls.client_capabilities,
            "text_document.document_symbol.hierarchical_document_symbol_support",
            False,
        )
        if hierarchical:
            return [to_document_symbol(s) for s in found]
        return flatten(uri, found)
