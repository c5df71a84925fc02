"""Parsing a config document of any format into the common tree (`tree.ParsedDocument`).

The format modules build on `tree`; this module sits above them, so `tree` never has to
reach back down to the parsers.
"""

from __future__ import annotations

from mirrord_ide.document import limits
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.json_tree import parse_json
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.toml_tree import parse_toml
from mirrord_ide.document.tree import ParsedDocument, SyntaxProblem
from mirrord_ide.document.yaml_tree import parse_yaml


def parse_document(text: str, fmt: ConfigFormat) -> ParsedDocument:
    """Parse `text` in `fmt`; never raises on any input."""
    deep_at = limits.too_deep(text, fmt)
    if deep_at is not None:
        lines = LineIndex(text)
        where = lines.range_from_offsets(deep_at, deep_at)
        return ParsedDocument(fmt, text, None, [SyntaxProblem(where, limits.message())], lines)
    if fmt == "json":
        return parse_json(text)
    if fmt == "toml":
        return parse_toml(text)
    if fmt == "yaml":
        return parse_yaml(text)
    raise ValueError(f"unknown config format {fmt!r}")
