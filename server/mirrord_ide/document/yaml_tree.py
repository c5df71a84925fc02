"""YAML (block and flow style) into a position-keeping tree. Only the first
document of a stream is read, as mirrord reads one config."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import yaml
from tree_sitter import Node as TsNode

from mirrord_ide.config.problems import KeyPath, LargeNumber
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.tree import DuplicateKey, Node, ParsedDocument, Span, SyntaxProblem
from mirrord_ide.document.ts_common import (
    collect_syntax_errors,
    named,
    node_text,
    parse_tree,
    text_getter,
    ts_range,
    ts_span,
)
from mirrord_ide.textrange import Range

_MAPPINGS = ("block_mapping", "flow_mapping")
_SEQUENCES = ("block_sequence", "flow_sequence")
_PAIRS = ("block_mapping_pair", "flow_pair")
# Values that aliases may add in all; beyond it a few lines of anchors could
# expand to billions of values ("billion laughs").
MAX_ALIAS_EXPANSION = 10_000


def _safe_load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _plain(ts: TsNode, text: str) -> tuple[str, Any]:
    inner_nodes = named(ts)
    inner = inner_nodes[0].type if inner_nodes else "string_scalar"
    if inner == "string_scalar":
        return "string", text
    if inner == "null_scalar":
        return "null", None
    if inner == "boolean_scalar":
        return "boolean", text.lower() == "true"
    if inner == "integer_scalar":
        try:
            return "number", int(text, 0)
        except ValueError:
            if text.lstrip("+-").isdigit():
                return "number", LargeNumber(text)  # more digits than Python converts
            return "string", text
    if inner == "float_scalar":
        lowered = text.lower().lstrip("+")
        if lowered in (".inf", "-.inf"):
            return "number", -math.inf if lowered.startswith("-") else math.inf
        if lowered == ".nan":
            return "number", math.nan
        try:
            return "number", float(text)
        except ValueError:
            return "string", text
    return "string", text


def _quoted(ts: TsNode, text: str) -> str:
    if ts.type == "single_quote_scalar":
        if "\n" not in text:
            return text[1:-1].replace("''", "'")
    elif "\\" not in text and "\n" not in text:
        return text[1:-1]
    else:
        try:
            value = json.loads(text)
            if isinstance(value, str):
                return value
        except ValueError:
            pass
    loaded = _safe_load(text)
    return loaded if isinstance(loaded, str) else text[1:-1]


def _as_range(r: Range | Span) -> Range:
    return r.to_range() if isinstance(r, Span) else r


class _Builder:
    def __init__(self, lines: LineIndex, text_of: Callable[[TsNode], str], clean: bool) -> None:
        self.lines = lines
        self.text_of = text_of
        self.clean = clean  # no ERROR or MISSING node anywhere: skip those checks
        self.duplicates: list[DuplicateKey] = []
        self.anchors: dict[str, Node] = {}
        self.problems: list[SyntaxProblem] = []
        self._sizes: dict[int, int] = {}  # expanded value counts, by id(node)
        self._expanded = 0

    def _size(self, node: Node) -> int:
        known = self._sizes.get(id(node))
        if known is None:
            known = self._sizes[id(node)] = 1 + sum(self._size(c) for c in node.children)
        return known

    def value(self, ts: TsNode | None, path: KeyPath, fallback: Any) -> Node:
        if ts is None:
            return Node("null", fallback, None)
        if not self.clean and (ts.is_missing or ts.is_error):
            return Node("invalid", Span(self.lines, ts.start_point, ts.end_point))
        kind = ts.type
        if kind in ("block_node", "flow_node"):
            anchor: str | None = None
            content: TsNode | None = None
            for child in named(ts):
                if child.type == "anchor":
                    anchor = self.text_of(child).lstrip("&")
                elif child.type in ("tag", "comment"):
                    continue
                elif content is None:
                    content = child
            if content is not None:  # the usual case: the wrapper's own extent is not kept
                node = self.value(content, path, None)
            else:
                node = Node("null", Span(self.lines, ts.start_point, ts.end_point))
            if anchor:
                self.anchors[anchor] = node
            return node
        rng = Span(self.lines, ts.start_point, ts.end_point)
        if kind in _MAPPINGS:
            node = Node("object", rng)
            for child in named(ts):
                if child.type in _PAIRS:
                    self.member(node, child, path)
                elif child.type == "flow_node":  # `{a, b}`: keys with null values
                    self.bare_key(node, child, path)
            return node
        if kind in _SEQUENCES:
            node = Node("array", rng)
            for child in named(ts):
                if child.type == "block_sequence_item":
                    items = named(child)
                    item = items[0] if items else None
                    item_node = self.value(
                        item, (*path, len(node.children)), ts_span(self.lines, child)
                    )
                    node.add(item_node)
                elif child.type in ("flow_node", "flow_pair"):
                    if child.type == "flow_pair":  # `[a: 1]` is a one-pair mapping
                        single = Node("object", ts_span(self.lines, child))
                        self.member(single, child, (*path, len(node.children)))
                        node.add(single)
                    else:
                        node.add(self.value(child, (*path, len(node.children)), rng))
            return node
        if kind == "plain_scalar":
            scalar_kind, value = _plain(ts, self.text_of(ts))
            return Node(scalar_kind, rng, value)  # type: ignore[arg-type]
        if kind in ("double_quote_scalar", "single_quote_scalar"):
            return Node("string", rng, _quoted(ts, self.text_of(ts)))
        if kind == "block_scalar":
            loaded = _safe_load("v: " + node_text(ts))
            text = loaded.get("v") if isinstance(loaded, dict) else None
            return Node("string", rng, text if isinstance(text, str) else node_text(ts))
        if kind == "alias":
            target = self.anchors.get(self.text_of(ts).lstrip("*"))
            if target is None:
                return Node("invalid", rng)
            size = self._size(target)
            self._expanded += size
            if self._expanded > MAX_ALIAS_EXPANSION:
                message = f"aliases expand to more than {MAX_ALIAS_EXPANSION} values"
                self.problems.append(SyntaxProblem(_as_range(rng), message))
                return Node("invalid", rng)
            target.finish()
            alias = Node(target.kind, rng, target.value, children=list(target.children))
            self._sizes[id(alias)] = size
            return alias
        return Node("invalid", rng)

    def _key(self, key_ts: TsNode) -> str | None:
        node = self.value(key_ts, (), None)
        if node.kind in ("string", "number", "boolean") or (
            node.kind == "null" and self.text_of(key_ts).strip()
        ):
            return self.text_of(key_ts).strip() if node.kind != "string" else str(node.value)
        return None

    def member(self, parent: Node, pair: TsNode, path: KeyPath) -> None:
        key_ts = pair.child_by_field_name("key")
        if key_ts is None:
            return
        key = self._key(key_ts)
        if key is None:
            return
        key_range = Span(self.lines, key_ts.start_point, key_ts.end_point)
        value_ts = pair.child_by_field_name("value")
        # `key:` with nothing after it is null; its range is the key's. When a
        # broken value follows on the same line, the member is invalid instead.
        child = self.value(value_ts, (*path, key), key_range)
        after = pair.next_sibling
        if (
            value_ts is None
            and after is not None
            and after.is_error
            and after.start_point[0] == pair.end_point[0]
        ):
            child = Node("invalid", key_range)
        self._attach(parent, child, key, key_range, path)

    def bare_key(self, parent: Node, key_ts: TsNode, path: KeyPath) -> None:
        key = self._key(key_ts)
        if key is not None:
            rng = ts_span(self.lines, key_ts)
            self._attach(parent, Node("null", rng), key, rng, path)

    def _attach(self, parent: Node, child: Node, key: str, key_range: Any, path: KeyPath) -> None:
        child.key = key
        child.key_range = key_range
        if parent.get(key) is not None:
            self.duplicates.append(DuplicateKey((*path, key), _as_range(key_range)))
            parent.children = [c for c in parent.children if c.key != key]
            parent._by_key = None
        parent.add(child)


def parse_yaml(text: str) -> ParsedDocument:
    lines = LineIndex(text)
    tree = parse_tree(text, "yaml")
    errors = collect_syntax_errors(tree, lines)
    builder = _Builder(lines, text_getter(text), clean=not tree.root_node.has_error)
    root: Node | None = None
    for document in named(tree.root_node):
        if document.type != "document":
            continue
        for child in named(document):
            if child.type in ("block_node", "flow_node"):
                root = builder.value(child, (), ts_range(lines, child))
                break
        break
    errors.extend(builder.problems[:1])
    if root is not None:
        root.finish()
    if root is not None and root.kind == "null":
        root = None  # an empty document or only comments: no settings
    return ParsedDocument("yaml", text, root, errors, lines, builder.duplicates)
