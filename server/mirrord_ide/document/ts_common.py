"""tree-sitter plumbing shared by the format modules: parsers and syntax errors."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tree_sitter import Language, Parser, Query, QueryCursor, Tree
from tree_sitter import Node as TsNode

from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.tree import Span, SyntaxProblem
from mirrord_ide.textrange import Position, Range

_languages: dict[ConfigFormat, Language] = {}
_queries: dict[tuple[ConfigFormat, str], Query] = {}
_local = threading.local()  # a Parser is not safe to share between threads


def _language(fmt: ConfigFormat) -> Language:
    lang = _languages.get(fmt)
    if lang is None:
        if fmt == "json":
            import tree_sitter_json as grammar
        elif fmt == "toml":
            import tree_sitter_toml as grammar  # type: ignore[no-redef]
        else:
            import tree_sitter_yaml as grammar  # type: ignore[no-redef]
        lang = _languages[fmt] = Language(grammar.language())
    return lang


def parse_tree(text: str, fmt: ConfigFormat) -> Tree:
    parsers: dict[ConfigFormat, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(fmt)
    if parser is None:
        parser = parsers[fmt] = Parser(_language(fmt))
    return parser.parse(text.encode("utf-8", "surrogatepass"))


def ts_range(lines: LineIndex, node: TsNode) -> Range:
    return lines.range_from_points(node.start_point, node.end_point)


def ts_span(lines: LineIndex, node: TsNode) -> Span:
    return Span(lines, node.start_point, node.end_point)


def named(node: TsNode) -> list[TsNode]:
    """Named children (`children` filtered is faster than `named_children`)."""
    return [c for c in node.children if c.is_named]


def text_getter(text: str) -> Callable[[TsNode], str]:
    """The text of a node by its byte offsets. For ASCII text (almost every
    config) those are string offsets, so no bytes are copied or decoded."""
    if text.isascii():
        return lambda node: text[node.start_byte : node.end_byte]
    return node_text


def nodes_of_type(tree: Tree, fmt: ConfigFormat, node_type: str) -> list[TsNode]:
    """Every node of one type, found by the C query engine instead of a walk."""
    key = (fmt, node_type)
    query = _queries.get(key)
    if query is None:
        query = _queries[key] = Query(_language(fmt), f"({node_type}) @n")
    return QueryCursor(query).captures(tree.root_node).get("n", [])


def node_text(node: TsNode) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def _describe(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    if len(first) > 30:
        first = first[:30] + "…"
    return first


def collect_syntax_errors(
    tree: Tree,
    lines: LineIndex,
    *,
    ignore: Callable[[TsNode], bool] | None = None,
    missing_message: Callable[[TsNode], str] | None = None,
) -> list[SyntaxProblem]:
    """One problem per ERROR node and per MISSING node, in document order.

    Only subtrees that contain an error are visited, so a clean tree costs nothing.
    """
    problems: list[SyntaxProblem] = []
    root = tree.root_node
    if not root.has_error:
        return problems
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            if ignore is not None and ignore(node):
                continue
            msg = missing_message(node) if missing_message else f"Expected `{node.type}`"
            problems.append(SyntaxProblem(ts_range(lines, node), msg))
            continue
        if node.is_error:
            if ignore is not None and ignore(node):
                continue
            text = node_text(node)
            rng = ts_range(lines, node)
            if rng.end.line != rng.start.line:
                # A long broken region: the tokens on its last line are where
                # the parser gave up, which is closest to the actual mistake.
                last_row = node.end_point[0]
                tail = [c for c in node.children if c.start_point[0] == last_row]
                if tail:
                    rng = lines.range_from_points(tail[0].start_point, node.end_point)
                    raw = node.text or b""
                    text = raw[tail[0].start_byte - node.start_byte :].decode("utf-8", "replace")
                else:
                    first_line = lines.line(rng.start.line)
                    end_col = len(first_line.encode("utf-16-le", "surrogatepass")) // 2
                    rng = Range(rng.start, Position(rng.start.line, end_col))
            if text.strip():
                message = f"Syntax error: unexpected `{_describe(text)}`"
            else:
                message = "Syntax error"
            problems.append(SyntaxProblem(rng, message))
            # Nested MISSING/ERROR nodes inside an error add only noise.
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    problems.sort(key=lambda p: (p.range.start.line, p.range.start.character))
    return problems
