"""A position-keeping tree of a config document, common to JSON, TOML and YAML.

Each format module turns its tree-sitter parse into `Node`s. Broken parts of
the text become syntax problems and are left out of `value`, so the rest of
the file is still validated. `parse.parse_document` picks the format module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mirrord_ide.config.problems import KeyPath
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.textrange import Position, Range

if TYPE_CHECKING:
    from mirrord_ide.document.context import CursorContext

NodeKind = Literal["object", "array", "string", "number", "boolean", "null", "invalid"]


class Span:
    """A tree-sitter extent, converted to an LSP range only when asked: most
    nodes of a large document are never shown to the user."""

    __slots__ = ("lines", "start", "end")

    def __init__(self, lines: LineIndex, start: tuple[int, int], end: tuple[int, int]) -> None:
        self.lines = lines
        self.start = start
        self.end = end

    def to_range(self) -> Range:
        return self.lines.range_from_points(self.start, self.end)


class Node:
    """One value of the document; object members also carry their key."""

    __slots__ = ("kind", "_range", "value", "key", "_key_range", "_children", "_by_key", "_expand")

    def __init__(
        self,
        kind: NodeKind,
        range: Range | Span,  # noqa: A002 - the LSP name
        value: Any = None,
        key: str | None = None,
        key_range: Range | Span | None = None,
        children: list[Node] | None = None,
    ) -> None:
        self.kind = kind
        self._range = range
        self.value = value  # plain python; for containers filled by `finish()`
        self.key = key  # set on object members
        self._key_range = key_range
        self._children: list[Node] | None = children if children is not None else []
        self._by_key: dict[str, Node] | None = None
        # Builds the children on first access; `value` is then already complete.
        self._expand: Callable[[Node], list[Node]] | None = None

    @classmethod
    def lazy(
        cls,
        kind: NodeKind,
        range: Range | Span,  # noqa: A002 - the LSP name
        value: Any,
        expand: Callable[[Node], list[Node]],
    ) -> Node:
        """A node whose `value` is known and whose children are made only when
        someone looks at them: analysis usually visits a handful of paths."""
        node = cls(kind, range, value)
        node._children = None
        node._expand = expand
        return node

    @property
    def children(self) -> list[Node]:
        children = self._children
        if children is None:
            expand, self._expand = self._expand, None
            children = self._children = expand(self) if expand is not None else []
        return children

    @children.setter
    def children(self, value: list[Node]) -> None:
        self._children = value
        self._expand = None

    @property
    def range(self) -> Range:
        r = self._range
        if isinstance(r, Span):
            r = self._range = r.to_range()
        return r

    @range.setter
    def range(self, value: Range | Span) -> None:
        self._range = value

    @property
    def key_range(self) -> Range | None:
        r = self._key_range
        if isinstance(r, Span):
            r = self._key_range = r.to_range()
        return r

    @key_range.setter
    def key_range(self, value: Range | Span | None) -> None:
        self._key_range = value

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, key={self.key!r}, value={self.value!r})"

    def get(self, key: str | int) -> Node | None:
        """A member (objects, by key) or an item (arrays, by index)."""
        if self.kind == "object" and isinstance(key, str):
            if self._by_key is None:
                self._by_key = {c.key: c for c in self.children if c.key is not None}
            return self._by_key.get(key)
        if self.kind == "array" and isinstance(key, int) and 0 <= key < len(self.children):
            return self.children[key]
        return None

    def add(self, child: Node) -> None:
        self.children.append(child)
        if self._by_key is not None and child.key is not None:
            self._by_key[child.key] = child

    def keys(self) -> list[str]:
        return [c.key for c in self.children if c.key is not None]

    def finish(self) -> Any:
        """Compute `value` of containers from their children (invalid ones dropped)."""
        if self._children is None:
            return self.value  # lazy: the value came complete with the node
        if self.kind == "object":
            self.value = {c.key: c.finish() for c in self.children if c.kind != "invalid"}
        elif self.kind == "array":
            self.value = [c.finish() for c in self.children if c.kind != "invalid"]
        return self.value


_AS_WRITTEN: Any = object()


@dataclass(frozen=True)
class SyntaxProblem:
    range: Range
    message: str


@dataclass(frozen=True)
class DuplicateKey:
    path: KeyPath
    key_range: Range
    message: str | None = None  # default: "duplicate key `<last part of path>`"


@dataclass
class ParsedDocument:
    fmt: ConfigFormat
    text: str
    root: Node | None
    syntax_errors: list[SyntaxProblem]
    lines: LineIndex
    duplicates: list[DuplicateKey] = field(default_factory=list)
    # For a templated file: the config as mirrord reads it, after Tera rendering. The
    # tree (`root`) is then the file as written, with the template tags blanked out.
    rendered_value: Any = _AS_WRITTEN

    @property
    def value(self) -> Any:
        """The document as plain python (rendered, for a templated file); `{}` when
        nothing could be read."""
        if self.rendered_value is not _AS_WRITTEN:
            return self.rendered_value if self.rendered_value is not None else {}
        if self.root is None:
            return {}
        return self.root.value

    def node_at(self, path: KeyPath) -> Node | None:
        node = self.root
        for part in path:
            if node is None:
                return None
            node = node.get(part)
        return node

    def range_for(self, path: KeyPath, on_key: bool = False) -> Range:
        """The exact range of the value (or key) at `path`. For a missing path,
        the key of the nearest existing ancestor."""
        node = self.root
        if node is None:
            return self._document_head()
        found = True
        for part in path:
            child = node.get(part)
            if child is None:
                found = False
                break
            node = child
        if node is self.root:
            return self._document_head()
        if (on_key or not found) and node.key_range is not None:
            return node.key_range
        return node.range

    def _document_head(self) -> Range:
        """Where whole-document problems go: the start of the root value,
        at most to the end of its first line."""
        if self.root is None:
            first = self.lines.line(0).encode("utf-16-le", "surrogatepass")
            return Range(Position(0, 0), Position(0, len(first) // 2))
        start, end = self.root.range.start, self.root.range.end
        if end.line != start.line:
            line = self.lines.line(start.line)
            end = Position(start.line, len(line.encode("utf-16-le", "surrogatepass")) // 2)
        return Range(start, end)

    def context_at(self, position: Position) -> CursorContext:
        from mirrord_ide.document.context import context_at

        return context_at(self, position)
