"""JSON into a position-keeping tree, read as strictly as mirrord reads it.

mirrord parses `.json` configs with serde_json (`mirrord/config/src/lib.rs`,
`LayerFileConfig::from_path`): comments and trailing commas are errors there, so they
are syntax errors here, each with its own message. The rest of the document is still
read, so its other problems are reported too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tree_sitter import Node as TsNode
from tree_sitter import Tree

from mirrord_ide.config.problems import LargeNumber
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.tree import (
    DuplicateKey,
    Node,
    NodeKind,
    ParsedDocument,
    Span,
    SyntaxProblem,
)
from mirrord_ide.document.ts_common import (
    collect_syntax_errors,
    node_text,
    nodes_of_type,
    parse_tree,
    text_getter,
    ts_range,
)
from mirrord_ide.textrange import Range

_VALUE_NAMES = {"number", "string", "object", "array", "true", "false", "null"}


def _decode_string(text: str) -> str:
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
        if text.lstrip("-").isdigit():
            return LargeNumber(text)  # more digits than Python converts
    try:
        return float(text)
    except ValueError:
        return None


def _as_range(r: Range | Span) -> Range:
    return r.to_range() if isinstance(r, Span) else r


class _Builder:
    """The exact walk: every node, with broken parts and duplicate keys."""

    def __init__(self, lines: LineIndex, text_of: Callable[[TsNode], str], clean: bool) -> None:
        self.lines = lines
        self.text_of = text_of
        self.clean = clean  # no ERROR or MISSING node anywhere: skip those checks
        self.path: list[str | int] = []  # of the node being built, for duplicates
        self.duplicates: list[DuplicateKey] = []

    def value(self, ts: TsNode) -> Node:
        kind = ts.type
        rng = Span(self.lines, ts.start_point, ts.end_point)
        if not self.clean and (ts.is_missing or ts.is_error):
            return Node("invalid", rng)
        if kind == "object":
            node = Node("object", rng)
            for child in ts.children:
                if child.type == "pair":
                    self.member(node, child)
            return node
        if kind == "array":
            node = Node("array", rng)
            children = node.children
            path = self.path
            for child in ts.children:
                if child.type in _VALUE_NAMES and child.is_named:
                    path.append(len(children))
                    children.append(self.value(child))
                    path.pop()
            return node
        if kind == "string":
            return Node("string", rng, _decode_string(self.text_of(ts)))
        if kind == "number":
            number = _number(self.text_of(ts))
            return Node("number" if number is not None else "invalid", rng, number)
        if kind in ("true", "false"):
            return Node("boolean", rng, kind == "true")
        if kind == "null":
            return Node("null", rng, None)
        return Node("invalid", rng)

    def member(self, parent: Node, pair: TsNode) -> None:
        key_ts = pair.child_by_field_name("key")
        if key_ts is None or key_ts.type != "string" or (not self.clean and key_ts.is_missing):
            return
        key = _decode_string(self.text_of(key_ts))
        key_range = Span(self.lines, key_ts.start_point, key_ts.end_point)
        value_ts = pair.child_by_field_name("value")
        if value_ts is None:
            child = Node("invalid", key_range)
        else:
            self.path.append(key)
            child = self.value(value_ts)
            self.path.pop()
        child.key = key
        child.key_range = key_range
        if parent.get(key) is not None:
            self.duplicates.append(DuplicateKey((*self.path, key), _as_range(key_range)))
            parent.children = [c for c in parent.children if c.key != key]
            parent._by_key = None
        parent.add(child)


class _Rejected(Exception):
    """The standard reader's result would differ from the exact walk's."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Rejected  # duplicate keys are reported with their ranges by the walk
    return value


def _constant(name: str) -> Any:
    raise _Rejected  # NaN and Infinity are not JSON


def _load(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)


def _read_whole(text: str, tree: Tree) -> tuple[bool, Any]:
    """The document's value from the C JSON reader, when that is certain to
    equal what the exact walk gives: a clean tree, strict JSON (the reader
    refuses comments and trailing commas), no duplicate keys, no NaN/Infinity."""
    if tree.root_node.has_error:
        return False, None
    try:
        return True, _load(text)
    except (ValueError, RecursionError, _Rejected):
        return False, None


_KINDS: dict[str, NodeKind] = {
    "object": "object",
    "array": "array",
    "string": "string",
    "number": "number",
    "true": "boolean",
    "false": "boolean",
    "null": "null",
}


class _LazyTree:
    """Nodes of a clean document whose value is already read: each container
    makes its children when first asked, from its tree-sitter node."""

    def __init__(self, lines: LineIndex, text_of: Callable[[TsNode], str]) -> None:
        self.lines = lines
        self.text_of = text_of

    def node(self, ts: TsNode, value: Any) -> Node:
        kind = _KINDS[ts.type]
        span = Span(self.lines, ts.start_point, ts.end_point)
        if kind == "object" or kind == "array":
            return Node.lazy(kind, span, value, lambda node: self.children(ts, node))
        return Node(kind, span, value)

    def children(self, ts: TsNode, parent: Node) -> list[Node]:
        out: list[Node] = []
        if parent.kind == "object":
            values: dict[str, Any] = parent.value
            for pair in ts.children:
                if pair.type != "pair":
                    continue
                key_ts = pair.child_by_field_name("key")
                value_ts = pair.child_by_field_name("value")
                if key_ts is None or value_ts is None:  # not in a clean tree
                    continue
                key = _decode_string(self.text_of(key_ts))
                child = self.node(value_ts, values[key])
                child.key = key
                child.key_range = Span(self.lines, key_ts.start_point, key_ts.end_point)
                out.append(child)
        else:
            items = [c for c in ts.children if c.type in _VALUE_NAMES and c.is_named]
            out.extend(self.node(c, v) for c, v in zip(items, parent.value, strict=False))
        return out


def _next_token(node: TsNode) -> TsNode | None:
    sibling = node.next_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_sibling
    return sibling


def _trailing_comma(node: TsNode) -> TsNode | None:
    """The comma of `[1, 2,]` or `{"a": 1,}`, which the parser reports as a stray
    `,` or as a missing value before the bracket; None for any other problem."""
    after = _next_token(node)
    if after is None or after.type not in ("}", "]"):
        return None
    if node.is_missing:
        before = node.prev_sibling
        while before is not None and before.type == "comment":
            before = before.prev_sibling
        return before if before is not None and before.type == "," else None
    return node if node_text(node).strip() == "," else None


_TRAILING_COMMA = "trailing comma: mirrord reads JSON strictly (serde_json); remove the `,`"
_COMMENT = "comments are not allowed in JSON: mirrord reads it strictly (serde_json)"


def _missing_message(node: TsNode) -> str:
    if node.type in _VALUE_NAMES:
        return "Syntax error: expected a value"
    return f"Syntax error: expected `{node.type}`"


def parse_json(text: str) -> ParsedDocument:
    lines = LineIndex(text)
    tree = parse_tree(text, "json")
    text_of = text_getter(text)
    values = _top_values(tree)
    whole, value = _read_whole(text, tree) if len(values) == 1 else (False, None)
    if whole:
        root = _LazyTree(lines, text_of).node(values[0], value)
        return ParsedDocument("json", text, root, [], lines, [])
    return _parse_exact(text, tree, lines)


def _top_values(tree: Tree) -> list[TsNode]:
    return [c for c in tree.root_node.children if c.type in _VALUE_NAMES and c.is_named]


def _parse_exact(text: str, tree: Tree, lines: LineIndex) -> ParsedDocument:
    strict: list[SyntaxProblem] = []

    def not_json(node: TsNode) -> bool:
        comma = _trailing_comma(node)
        if comma is not None:
            strict.append(SyntaxProblem(ts_range(lines, comma), _TRAILING_COMMA))
        return comma is not None

    errors = collect_syntax_errors(tree, lines, ignore=not_json, missing_message=_missing_message)
    if "/" in text:
        strict.extend(
            SyntaxProblem(ts_range(lines, c), _COMMENT)
            for c in nodes_of_type(tree, "json", "comment")
        )
    errors.extend(strict)
    errors.sort(key=lambda p: (p.range.start.line, p.range.start.character))
    builder = _Builder(lines, text_getter(text), clean=not tree.root_node.has_error)
    root: Node | None = None
    for child in _top_values(tree):
        if root is None:
            root = builder.value(child)
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
