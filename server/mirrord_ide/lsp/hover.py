"""textDocument/hover: a field's description, type and default."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.lsp._capabilities import get_capability

from mirrord_ide.lsp.convert import from_lsp_position, to_lsp_range
from mirrord_ide.lsp.documents import current

if TYPE_CHECKING:
    from mirrord_ide.lsp.server import MirrordLanguageServer

log = logging.getLogger(__name__)


def register(server: MirrordLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MirrordLanguageServer, params: types.HoverParams) -> types.Hover | None:
        analyzed = current(ls, params.text_document.uri)
        if analyzed is None:
            return None
        from mirrord_ide.document.assist import hover as hover_at

        try:
            info = hover_at(analyzed.analysis.parsed, from_lsp_position(params.position))
        except Exception:  # noqa: BLE001 - no hover rather than an error
            log.exception("hover failed at %s", params.position)
            return None
        if info is None:
            return None
        formats = get_capability(ls.client_capabilities, "text_document.hover.content_format", None)
        kind = (
            types.MarkupKind.Markdown
            if formats is None or types.MarkupKind.Markdown in formats
            else types.MarkupKind.PlainText
        )
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=info.markdown),
            range=to_lsp_range(info.range) if info.range is not None else None,
        )
