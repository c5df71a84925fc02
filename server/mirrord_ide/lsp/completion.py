"""textDocument/completion: keys, enum values and live target paths.

A thin adapter over `mirrord_ide.document.assist.completions`; snippets are
sent only to clients that support them, others get the snippet's plain text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp._capabilities import get_capability

from mirrord_ide.lsp.convert import (
    completion_kind,
    from_lsp_position,
    snippet_to_plain,
    to_lsp_range,
)
from mirrord_ide.lsp.documents import current
from mirrord_ide.textrange import Position, Range

if TYPE_CHECKING:
    from mirrord_ide.document.assist import Suggestion
    from mirrord_ide.document.tree import ParsedDocument
    from mirrord_ide.lsp.server import MirrordLanguageServer

log = logging.getLogger(__name__)

TRIGGER_CHARACTERS = ['"', ":", ".", " ", "/"]
LIVE_VALUES_TIMEOUT = 0.8


async def live_values(ls: MirrordLanguageServer, uri: str) -> tuple[list[str], list[str]]:
    """Target paths and namespaces from the cluster, or nothing if it is slow or away."""
    provider = ls.state.live_values
    if provider is None:
        return [], []
    try:
        targets, namespaces = await asyncio.wait_for(provider(uri), LIVE_VALUES_TIMEOUT)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - completion works without the cluster
        log.info("live values unavailable: %s", error or type(error).__name__)
        return [], []
    return [str(t) for t in targets], [str(n) for n in namespaces]


def _char_at(document: ParsedDocument, position: Position) -> str:
    if position.line >= document.lines.line_count:
        return ""
    offset = document.lines.to_offset(position)
    return document.text[offset : offset + 1]


def _documentation(text: Any, markdown: bool) -> types.MarkupContent | str | None:
    if not text:
        return None
    if markdown:
        return types.MarkupContent(kind=types.MarkupKind.Markdown, value=str(text))
    return str(text)


def _unquoted(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text.strip(text[0])
    return value if isinstance(value, str) else text


def to_completion_item(
    suggestion: Suggestion,
    *,
    snippets: bool,
    markdown: bool,
    document: ParsedDocument | None = None,
) -> types.CompletionItem:
    text = suggestion.insert_text or suggestion.label
    as_snippet = suggestion.is_snippet and snippets
    if suggestion.is_snippet and not snippets:
        text = snippet_to_plain(text)
    # Clients filter by the text in the replaced range, which may start with a quote.
    filter_text = suggestion.filter_text or (snippet_to_plain(text) if as_snippet else text)
    replace = suggestion.replace_range
    quote = filter_text[:1]
    if (
        document is not None
        and quote in ('"', "'")
        and text.startswith(quote)
        and _char_at(document, replace.start) == quote
    ):
        # Clients do not agree on the word they filter by: VS Code and Neovim
        # take the text from the edit's start to the cursor, Eglot the symbol at
        # point, which never includes a quote. An edit that starts after the
        # opening quote the user typed gives both the bare name to match.
        replace = Range(Position(replace.start.line, replace.start.character + 1), replace.end)
        text = text[1:]
        filter_text = _unquoted(filter_text)
    return types.CompletionItem(
        label=suggestion.label,
        kind=completion_kind(suggestion.kind),
        detail=suggestion.detail or None,
        documentation=_documentation(suggestion.documentation, markdown),
        insert_text_format=(
            types.InsertTextFormat.Snippet if as_snippet else types.InsertTextFormat.PlainText
        ),
        text_edit=types.TextEdit(range=to_lsp_range(replace), new_text=text),
        filter_text=filter_text if filter_text != suggestion.label else None,
        sort_text=suggestion.sort_text,
        tags=[types.CompletionItemTag.Deprecated] if suggestion.deprecated else None,
    )


def register(server: MirrordLanguageServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False),
    )
    async def completion(
        ls: MirrordLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        uri = params.text_document.uri
        analyzed = current(ls, uri)
        if analyzed is None:
            return None
        from mirrord_ide.document.assist import completions

        targets, namespaces = await live_values(ls, uri)
        # The document may have changed while the cluster answered.
        analyzed = current(ls, uri) or analyzed
        caps = ls.client_capabilities
        snippets = bool(
            get_capability(caps, "text_document.completion.completion_item.snippet_support", False)
        )
        formats = get_capability(
            caps, "text_document.completion.completion_item.documentation_format", None
        )
        markdown = formats is None or types.MarkupKind.Markdown in formats
        try:
            suggestions = completions(
                analyzed.analysis.parsed,
                from_lsp_position(params.position),
                live_targets=targets,
                live_namespaces=namespaces,
            )
        except Exception:  # noqa: BLE001 - no completion rather than an error pop-up
            log.exception("completion failed at %s:%s", uri, params.position)
            return None
        parsed = analyzed.analysis.parsed
        items = [
            to_completion_item(s, snippets=snippets, markdown=markdown, document=parsed)
            for s in suggestions
        ]
        return types.CompletionList(is_incomplete=False, items=items)
