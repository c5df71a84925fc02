"""textDocument/codeAction: quick fixes for mirrord diagnostics
(apply the "did you mean", add `"target": "targetless"`, ...)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from mirrord_ide.lsp.convert import (
    SOURCE,
    from_lsp_range,
    ranges_overlap,
    to_diagnostic,
    to_lsp_range,
)
from mirrord_ide.lsp.documents import current

if TYPE_CHECKING:
    from mirrord_ide.document.analysis import Finding
    from mirrord_ide.document.assist import Fix
    from mirrord_ide.lsp.server import MirrordLanguageServer
    from mirrord_ide.textrange import Range

log = logging.getLogger(__name__)


def wants_quickfix(only: Sequence[str] | None) -> bool:
    if not only:
        return True
    quickfix = str(types.CodeActionKind.QuickFix.value)
    return any(quickfix == kind or quickfix.startswith(f"{kind}.") for kind in map(str, only))


def diagnostics_for(
    fix: Fix,
    context: Sequence[types.Diagnostic],
    findings: Sequence[Finding],
    requested: Range,
) -> list[types.Diagnostic]:
    """The diagnostics a fix resolves: the client's own copies when it sent
    them (clients match them by identity), else ours for the requested range."""
    codes = set(fix.codes)
    edit_ranges = [edit.range for edit in fix.edits]
    mine = [d for d in context if d.source == SOURCE and d.code in codes]
    near = [d for d in mine if any(ranges_overlap(from_lsp_range(d.range), r) for r in edit_ranges)]
    if near or mine:
        return near or mine
    return [
        to_diagnostic(f) for f in findings if f.code in codes and ranges_overlap(f.range, requested)
    ]


def to_code_action(uri: str, fix: Fix, diagnostics: list[types.Diagnostic]) -> types.CodeAction:
    edits = [
        types.TextEdit(range=to_lsp_range(edit.range), new_text=edit.new_text) for edit in fix.edits
    ]
    return types.CodeAction(
        title=fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=diagnostics or None,
        is_preferred=bool(fix.preferred) or None,
        edit=types.WorkspaceEdit(changes={uri: edits}),
    )


def register(server: MirrordLanguageServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: MirrordLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        if not wants_quickfix(params.context.only):
            return None
        analyzed = current(ls, uri)
        if analyzed is None:
            return None
        from mirrord_ide.document.assist import code_actions as fixes_for

        requested = from_lsp_range(params.range)
        try:
            fixes = fixes_for(analyzed.analysis.parsed, analyzed.findings, requested)
        except Exception:  # noqa: BLE001 - no fixes rather than an error
            log.exception("code actions failed for %s", uri)
            return None
        context = list(params.context.diagnostics or [])
        return [
            to_code_action(uri, fix, diagnostics_for(fix, context, analyzed.findings, requested))
            for fix in fixes
            if fix.edits
        ]
