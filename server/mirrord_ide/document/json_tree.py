"""JSON (with comments and trailing commas) into a position-keeping tree."""

from __future__ import annotations

import json
from typing import Any

from tree_sitter import Node as TsNode

from mirrord_ide.config.problems import KeyPath
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.tree import DuplicateKey, Node, ParsedDocument, Span, SyntaxProblem
from mirrord_ide.document.ts_common import (
    collect_syntax_errors,
    named,
    node_text,
    parse_tree,
    ts_range,
    ts_span,
)
from mirrord_ide.textrange import Range

_VALUE_NAMES = {"number", "string", "object", "array", "true", "false", "null"}


def _decode_string(node: TsNode) -> str:
    text = node_text(node)
    if "\\" not in text and len(text) >= 2 and text.endswith('"'):
        return text[1:-1]
    try:
        value = json.loads(text)
        if isinstance(value, str):
            return value
    except ValueError:
        pass
    return text.strip('"')


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _as_range(r: Range | Span) -> Range:
    return r.to_range() if isinstance(r, Span) else r


class _Builder:
    def __init__(self, lines: LineIndex) -> None:
        self.lines = lines
        self.duplicates: list[DuplicateKey] = []

    def value(self, ts: TsNode, path: KeyPath) -> Node:
        kind = ts.type
        rng = ts_span(self.lines, ts)
        if ts.is_missing or ts.is_error:
            return Node("invalid", rng)
        if kind == "object":
            node = Node("object", rng)
            for child in named(ts):
                if child.type == "pair":
                    self.member(node, child, path)
            return node
        if kind == "array":
            node = Node("array", rng)
            for child in named(ts):
                if child.type in _VALUE_NAMES:
                    node.add(self.value(child, (*path, len(node.children))))
            return node
        if kind == "string":
            return Node("string", rng, _decode_string(ts))
        if kind == "number":
            number = _number(node_text(ts))
            return Node("number" if number is not None else "invalid", rng, number)
        if kind in ("true", "false"):
            return Node("boolean", rng, kind == "true")
        if kind == "null":
            return Node("null", rng, None)
        return Node("invalid", rng)

    def member(self, parent: Node, pair: TsNode, path: KeyPath) -> None:
        key_ts = pair.child_by_field_name("key")
        if key_ts is None or key_ts.is_missing or key_ts.type != "string":
            return
        key = _decode_string(key_ts)
        key_range = ts_span(self.lines, key_ts)
        value_ts = pair.child_by_field_name("value")
        if value_ts is None:
            child = Node("invalid", key_range)
        else:
            child = self.value(value_ts, (*path, key))
        child.key = key
        child.key_range = key_range
        if parent.get(key) is not None:
            self.duplicates.append(DuplicateKey((*path, key), _as_range(key_range)))
            parent.children = [c for c in parent.children if c.key != key]
            parent._by_key = None
        parent.add(child)


def _next_token(node: TsNode) -> TsNode | None:
    sibling = node.next_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_sibling
    return sibling


def _is_trailing_comma(node: TsNode) -> bool:
    """`[1, 2,]` and `{"a": 1,}` are accepted, as in JSON with comments. The
    parser reports them as a stray `,` or as a missing value before the bracket."""
    after = _next_token(node)
    if after is None or after.type not in ("}", "]"):
        return False
    if node.is_missing:
        before = node.prev_sibling
        while before is not None and before.type == "comment":
            before = before.prev_sibling
        return before is not None and before.type == ","
    return node_text(node).strip() == ","


def _missing_message(node: TsNode) -> str:
    if node.type in _VALUE_NAMES:
        return "Syntax error: expected a value"
    return f"Syntax error: expected `{node.type}`"


def parse_json(text: str) -> ParsedDocument:
    lines = LineIndex(text)
    tree = parse_tree(text, "json")
    errors = collect_syntax_errors(
        tree, lines, ignore=_is_trailing_comma, missing_message=_missing_message
    )
    builder = _Builder(lines)
    root: Node | None = None
    for child in named(tree.root_node):
        if child.type in _VALUE_NAMES:
            if root is None:
                root = builder.value(child, ())
                root.finish()
            else:
                errors.append(
                    SyntaxProblem(ts_range(lines, child), "Syntax error: more than one value")
                )
    if root is None and not errors:
        errors.append(
            SyntaxProblem(lines.range_from_offsets(0, 0), "Syntax error: expected a JSON object")
        )
    return ParsedDocument("json", text, root, errors, lines, builder.duplicates)
