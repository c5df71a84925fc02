"""Conversions between the document layer's plain types and LSP types.

Pure functions: no server, no I/O. Both sides use UTF-16 positions, so
positions map one to one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mirrord_ide.textrange import Position, Range

if TYPE_CHECKING:
    from mirrord_ide.document.analysis import Finding

SOURCE = "mirrord"
# Messages quote the user's values; a pasted megabyte is cut, not sent back whole.
MAX_MESSAGE_CHARS = 1000

SEVERITIES: dict[str, types.DiagnosticSeverity] = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}

_COMPLETION_KINDS = {k.name.lower(): k for k in types.CompletionItemKind}
_COMPLETION_KINDS.update(
    {"key": types.CompletionItemKind.Property, "enum": types.CompletionItemKind.EnumMember}
)
_SYMBOL_KINDS = {k.name.lower(): k for k in types.SymbolKind}
_SYMBOL_KINDS.update(
    {
        "key": types.SymbolKind.Property,
        "object": types.SymbolKind.Object,
        "array": types.SymbolKind.Array,
        "list": types.SymbolKind.Array,
        "str": types.SymbolKind.String,
        "int": types.SymbolKind.Number,
        "float": types.SymbolKind.Number,
        "bool": types.SymbolKind.Boolean,
        "null": types.SymbolKind.Null,
    }
)


def to_lsp_position(pos: Position) -> types.Position:
    return types.Position(line=max(pos.line, 0), character=max(pos.character, 0))


def to_lsp_range(rng: Range) -> types.Range:
    return types.Range(start=to_lsp_position(rng.start), end=to_lsp_position(rng.end))


def from_lsp_position(pos: types.Position) -> Position:
    return Position(pos.line, pos.character)


def from_lsp_range(rng: types.Range) -> Range:
    return Range(from_lsp_position(rng.start), from_lsp_position(rng.end))


def ranges_overlap(a: Range, b: Range) -> bool:
    """True when the ranges share a position (touching ends count, as for a cursor)."""
    return a.start <= b.end and b.start <= a.end


def dotted(path: Any) -> str:
    if isinstance(path, str):
        return path
    if isinstance(path, Iterable):
        return ".".join(str(p) for p in path)
    return ""


def to_diagnostic(finding: Finding) -> types.Diagnostic:
    data: dict[str, Any] = {"path": dotted(finding.path)}
    if finding.data:
        data.update(finding.data)
    message = finding.message
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return types.Diagnostic(
        range=to_lsp_range(finding.range),
        message=message,
        severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Error),
        code=finding.code,
        source=SOURCE,
        data=data,
    )


def completion_kind(kind: Any) -> types.CompletionItemKind | None:
    if isinstance(kind, types.CompletionItemKind):
        return kind
    if isinstance(kind, int):
        try:
            return types.CompletionItemKind(kind)
        except ValueError:
            return None
    if isinstance(kind, str):
        return _COMPLETION_KINDS.get(kind.lower().replace("_", "").replace("-", ""))
    return None


def symbol_kind(kind: Any) -> types.SymbolKind:
    if isinstance(kind, types.SymbolKind):
        return kind
    if isinstance(kind, int):
        try:
            return types.SymbolKind(kind)
        except ValueError:
            return types.SymbolKind.Field
    if isinstance(kind, str):
        return _SYMBOL_KINDS.get(kind.lower().replace("_", ""), types.SymbolKind.Field)
    return types.SymbolKind.Field


_PLACEHOLDER = re.compile(
    r"(?<!\\)(?:\$\{\d+(?::((?:[^{}\\]|\\.)*))?\}|\$\d+|\$\{\d+\|([^|}]*)[^}]*\|\})"
)


def snippet_to_plain(snippet: str) -> str:
    """The text a snippet inserts with every placeholder at its default (for
    clients without snippet support): `"${1:name}": $0` -> `"name": `."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return re.sub(r"\\(.)", r"\1", match.group(1))
        if match.group(2) is not None:
            return match.group(2).split(",")[0]
        return ""

    plain = _PLACEHOLDER.sub(replace, snippet)
    # Unescape the characters a snippet must escape.
    return re.sub(r"\\([$}\\])", r"\1", plain)
