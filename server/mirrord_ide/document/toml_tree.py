"""TOML into a position-keeping tree: dotted keys, tables and arrays of tables
are merged into nested objects, as a TOML reader does."""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Callable
from typing import Any

from tree_sitter import Node as TsNode

from mirrord_ide.config.problems import KeyPath, LargeNumber
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.tree import DuplicateKey, Node, ParsedDocument, Span, SyntaxProblem
from mirrord_ide.document.ts_common import (
    collect_syntax_errors,
    named,
    parse_tree,
    text_getter,
    ts_range,
)
from mirrord_ide.textrange import Range

_SCALARS = {
    "string": "string",
    "integer": "number",
    "float": "number",
    "boolean": "boolean",
    "offset_date_time": "string",
    "local_date_time": "string",
    "local_date": "string",
    "local_time": "string",
}


def _toml_scalar(text: str) -> Any:
    """Decode one TOML value through the standard reader (escapes, dates, bases)."""
    try:
        value = tomllib.loads("v = " + text)["v"]
    except (tomllib.TOMLDecodeError, KeyError, ValueError):
        return None
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def _scalar_value(kind: str, text: str) -> Any:
    if kind == "string":
        if len(text) >= 2 and text[0] == text[-1] == "'" and not text.startswith("'''"):
            return text[1:-1]
        if (
            len(text) >= 2
            and text[0] == text[-1] == '"'
            and not text.startswith('"""')
            and "\\" not in text
        ):
            return text[1:-1]
    elif kind == "integer":
        try:
            return int(text, 0)
        except ValueError:
            digits = text.lstrip("+-").replace("_", "")
            if digits.isdigit() and len(digits) > 1000:
                return LargeNumber(text.replace("_", ""))  # more digits than Python converts
    elif kind == "boolean":
        return text == "true"
    return _toml_scalar(text)


def _key_parts(key: TsNode) -> list[TsNode]:
    if key.type == "dotted_key":
        parts: list[TsNode] = []
        for child in named(key):
            parts.extend(_key_parts(child))
        return parts
    return [key]


def _key_name(part: TsNode, text: str) -> str:
    if part.type == "quoted_key":
        value = _toml_scalar(text)
        return value if isinstance(value, str) else text.strip("\"'")
    return text


_KEY_TYPES = ("bare_key", "quoted_key", "dotted_key")
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def _as_range(r: Range | Span) -> Range:
    return r.to_range() if isinstance(r, Span) else r


class _Builder:
    def __init__(self, lines: LineIndex, text_of: Callable[[TsNode], str], clean: bool) -> None:
        self.lines = lines
        self.text_of = text_of
        self.clean = clean  # no ERROR or MISSING node anywhere: skip those checks
        self.duplicates: list[DuplicateKey] = []
        self.errors: list[SyntaxProblem] = []
        # Tables that are defined (by a `[header]`, a dotted key or an inline table),
        # by id: the toml crate mirrord uses rejects defining one again
        # (`mirrord/config/src/lib.rs` parses `.toml` with `toml::from_str`).
        self.defined: set[int] = set()

    def value(self, ts: TsNode) -> Node:
        rng = Span(self.lines, ts.start_point, ts.end_point)
        kind = ts.type
        if not self.clean and (ts.is_missing or ts.is_error):
            return Node("invalid", rng)
        if kind == "inline_table":
            node = Node("object", rng)
            for pair in named(ts):
                if pair.type == "pair":
                    self.pair(node, pair, ())
            return node
        if kind == "array":
            node = Node("array", rng)
            for item in named(ts):
                if item.type != "comment":
                    node.add(self.value(item))
            return node
        node_kind = _SCALARS.get(kind)
        if node_kind is None:
            return Node("invalid", rng)
        value = _scalar_value(kind, self.text_of(ts))
        if value is None:
            return Node("invalid", rng)
        if kind == "integer" and not _I64_MIN <= value <= _I64_MAX:
            # The toml crate mirrord reads TOML with holds integers as i64 and refuses
            # larger ones before any field sees them.
            self.errors.append(
                SyntaxProblem(
                    _as_range(rng),
                    f"{value} is out of range for a TOML integer: must be within "
                    "-2^63..2^63-1 (64-bit signed)",
                )
            )
            return Node("invalid", rng)
        return Node(node_kind, rng, value)  # type: ignore[arg-type]

    def descend(
        self,
        parent: Node,
        parts: list[TsNode],
        path: KeyPath,
        span: Range | Span,
        by_key: bool = False,
    ) -> tuple[Node, KeyPath] | None:
        """Walk (creating implicit tables) through the parts of a dotted key."""
        node = parent
        for part in parts:
            name = _key_name(part, self.text_of(part))
            child = node.get(name)
            if child is None:
                key_range = Span(self.lines, part.start_point, part.end_point)
                child = Node("object", span, key=name, key_range=key_range)
                node.add(child)
                if by_key:
                    self.defined.add(id(child))
            elif child.kind == "array" and child.children and child.children[-1].kind == "object":
                # `[[a]]` then `[a.b]` or `a.b = …` extends the latest element.
                path = (*path, name, len(child.children) - 1)
                node = child.children[-1]
                continue
            elif child.kind != "object":
                self.duplicates.append(DuplicateKey((*path, name), ts_range(self.lines, part)))
                return None
            path = (*path, name)
            node = child
        return node, path

    def pair(self, table: Node, pair: TsNode, path: KeyPath) -> None:
        kids = named(pair)
        key_ts = kids[0] if kids else None
        if key_ts is None or key_ts.type not in _KEY_TYPES:
            return
        parts = _key_parts(key_ts)
        value_ts = kids[1] if len(kids) > 1 else None
        pair_range = Span(self.lines, pair.start_point, pair.end_point)
        found = self.descend(table, parts[:-1], path, pair_range, by_key=True)
        if found is None:
            return
        parent, parent_path = found
        last = parts[-1]
        name = _key_name(last, self.text_of(last))
        key_range = Span(self.lines, last.start_point, last.end_point)
        child = self.value(value_ts) if value_ts is not None else Node("invalid", key_range)
        child.key = name
        child.key_range = key_range
        if parent.get(name) is not None:
            self.duplicates.append(DuplicateKey((*parent_path, name), _as_range(key_range)))
            return
        if child.kind == "object":
            self.defined.add(id(child))
        parent.add(child)

    def table(self, root: Node, table: TsNode, is_array: bool) -> None:
        children = named(table)
        if not children or children[0].type not in _KEY_TYPES:
            return
        parts = _key_parts(children[0])
        span = Span(self.lines, table.start_point, table.end_point)
        found = self.descend(root, parts[:-1], (), span)
        if found is None:
            return
        parent, parent_path = found
        last = parts[-1]
        name = _key_name(last, self.text_of(last))
        key_range = Span(self.lines, last.start_point, last.end_point)
        existing = parent.get(name)
        if is_array:
            if existing is None:
                existing = Node("array", span, key=name, key_range=key_range)
                parent.add(existing)
            elif existing.kind != "array":
                self.duplicates.append(DuplicateKey((*parent_path, name), _as_range(key_range)))
                return
            target = Node("object", span)
            existing.add(target)
            path: KeyPath = (*parent_path, name, len(existing.children) - 1)
        else:
            if existing is None:
                target = Node("object", span, key=name, key_range=key_range)
                parent.add(target)
            elif existing.kind == "object" and id(existing) in self.defined:
                dotted = ".".join(map(str, (*parent_path, name)))
                self.duplicates.append(
                    DuplicateKey(
                        (*parent_path, name),
                        _as_range(key_range),
                        f"table `[{dotted}]` is defined more than once",
                    )
                )
                return
            elif existing.kind == "object":
                # A table header for a table made implicitly by an earlier header.
                target = existing
                target.range, target.key_range = span, key_range
            else:
                self.duplicates.append(DuplicateKey((*parent_path, name), _as_range(key_range)))
                return
            path = (*parent_path, name)
            self.defined.add(id(target))
        for pair in children[1:]:
            if pair.type == "pair":
                self.pair(target, pair, path)


def parse_toml(text: str) -> ParsedDocument:
    lines = LineIndex(text)
    tree = parse_tree(text, "toml")
    errors = collect_syntax_errors(tree, lines)
    builder = _Builder(lines, text_getter(text), clean=not tree.root_node.has_error)
    root = Node("object", ts_range(lines, tree.root_node))
    for child in named(tree.root_node):
        if child.type == "pair":
            builder.pair(root, child, ())
        elif child.type == "table":
            builder.table(root, child, is_array=False)
        elif child.type == "table_array_element":
            builder.table(root, child, is_array=True)
    root.finish()
    errors.extend(builder.errors)
    return ParsedDocument("toml", text, root, errors, lines, builder.duplicates)
