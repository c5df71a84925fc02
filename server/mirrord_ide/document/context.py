"""What the cursor is on: which object, key or value position, the partial word.

Completion runs on text that is being typed and is usually broken, so this
reads the text before the cursor with small tolerant scanners instead of
relying on the parse tree: a bracket scanner for JSON and for flow values
(TOML inline tables, YAML `{…}`/`[…]`), table headers for TOML, indentation
for YAML block style. The parse tree only supplies the keys already present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mirrord_ide.config.problems import KeyPath
from mirrord_ide.textrange import Position, Range

if TYPE_CHECKING:
    from mirrord_ide.document.tree import ParsedDocument


@dataclass(frozen=True)
class CursorContext:
    path: KeyPath  # the object whose key is typed (at_key) or the value's own path
    at_key: bool
    at_value: bool
    prefix: str  # what was typed of the word, without quotes
    word_range: Range  # the whole word under the cursor, quotes included
    present_keys: frozenset[str] = frozenset()
    quoted: bool = False  # the word is a quoted string
    flow: bool = True  # JSON / inline table / YAML flow: no block indentation
    indent: int = 0  # column of the key (block YAML/TOML), for multi-line inserts

    @property
    def field_path(self) -> tuple[str, ...]:
        """The key path without array indices, as the schema sees it."""
        return tuple(p for p in self.path if isinstance(p, str))


def _nothing(at: Range, path: KeyPath = ()) -> CursorContext:
    return CursorContext(path, False, False, "", at)


@dataclass
class _Frame:
    kind: str  # "obj" | "arr"
    entry: str | int | None  # how the parent reached this frame
    key: str | int | None = None  # current member key (obj) or item index (arr)
    expect: str = "key"  # obj: key | colon | value | after ; arr: value | after
    seen: set[str] = field(default_factory=set)


_DELIMS = set(" \t\r\n{}[],:\"'")


@dataclass
class _ScanResult:
    path: KeyPath
    at_key: bool
    at_value: bool
    word_start: int
    word_end: int
    prefix: str
    quoted: bool
    seen: set[str]
    in_flow: bool


def _string_end(text: str, i: int, quote: str, json_escapes: bool) -> int:
    """Index just after the closing quote, or -1 when the string is not
    closed on this line."""
    j = i + 1
    n = len(text)
    while j < n:
        ch = text[j]
        if ch == "\\" and json_escapes:
            j += 2
            continue
        if ch == "\n":
            return -1
        if ch == quote:
            return j + 1
        j += 1
    return -1


def _scan_flow(text: str, start: int, cursor: int, base: KeyPath, fmt: str) -> _ScanResult | None:
    """Scan bracketed text from `start` up to the cursor. Returns None when the
    cursor is in a comment."""
    frames: list[_Frame] = []
    seps = {":"} if fmt != "toml" else {"=", ":"}
    word_delims = _DELIMS | seps | ({"="} if fmt == "toml" else set())
    i = start
    n = len(text)

    def path_of(extra: tuple[str | int | None, ...] = ()) -> KeyPath:
        parts = (*(f.entry for f in frames[1:]), *extra)
        return (*base, *(p for p in parts if p is not None))

    def take_scalar(value: str) -> None:
        if not frames:
            return
        top = frames[-1]
        if top.kind == "obj":
            if top.expect == "key":
                top.key, top.expect = value, "colon"
            elif top.expect == "value":
                top.expect = "after"
        else:
            top.expect = "after"

    def word_result(ws: int, we: int, quoted: bool) -> _ScanResult:
        body_start = ws + 1 if quoted else ws
        prefix = text[body_start:cursor]
        if not frames:
            return _ScanResult(base, False, True, ws, we, prefix, quoted, set(), False)
        top = frames[-1]
        if top.kind == "obj" and top.expect == "key":
            return _ScanResult(path_of(), True, False, ws, we, prefix, quoted, top.seen, True)
        if top.kind == "obj" and top.expect == "value":
            return _ScanResult(
                path_of((top.key,)) if top.key is not None else path_of(),
                False,
                True,
                ws,
                we,
                prefix,
                quoted,
                set(),
                True,
            )
        if top.kind == "arr":
            return _ScanResult(
                path_of((top.key,)), False, True, ws, we, prefix, quoted, set(), True
            )
        return _ScanResult(path_of(), False, False, ws, we, prefix, quoted, set(), True)

    while i < cursor:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if fmt == "json" and text.startswith("//", i) or fmt != "json" and ch == "#":
            j = text.find("\n", i)
            if j < 0 or j >= cursor:
                return None
            i = j
            continue
        if fmt == "json" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0 or j + 2 > cursor:
                return None
            i = j + 2
            continue
        if ch == '"' or (ch == "'" and fmt != "json"):
            end = _string_end(text, i, ch, ch == '"')
            if end < 0 or end > cursor:
                # The cursor is inside this string.
                if end < 0:
                    we = cursor
                    while we < n and text[we] not in "\n" + ch and text[we] not in ",}]":
                        we += 1
                    if we < n and text[we] == ch:
                        we += 1
                else:
                    we = end
                return word_result(i, we, True)
            raw = text[i + 1 : end - 1]
            if frames and frames[-1].kind == "obj" and frames[-1].expect == "key":
                frames[-1].seen.add(raw)
            take_scalar(raw)
            i = end
            continue
        if ch in "{[":
            entry = frames[-1].key if frames else None
            if frames:
                frames[-1].expect = "after"
            frames.append(_Frame("obj" if ch == "{" else "arr", entry))
            if ch == "[":
                frames[-1].key, frames[-1].expect = 0, "value"
            i += 1
            continue
        if ch in "}]":
            if frames:
                frames.pop()
            i += 1
            continue
        if ch in seps:
            if frames and frames[-1].kind == "obj":
                frames[-1].expect = "value"
            i += 1
            continue
        if ch == ",":
            if frames:
                top = frames[-1]
                if top.kind == "obj":
                    top.key, top.expect = None, "key"
                else:
                    top.key = (top.key if isinstance(top.key, int) else 0) + 1
                    top.expect = "value"
            i += 1
            continue
        j = i
        while j < n and text[j] not in word_delims:
            j += 1
        if j == i:
            # A delimiter none of the branches above consumes: step over it.
            i += 1
            continue
        if j >= cursor:
            return word_result(i, j, False)
        word = text[i:j]
        if frames and frames[-1].kind == "obj" and frames[-1].expect == "key":
            frames[-1].seen.add(word)
        take_scalar(word)
        i = j
    # Between tokens.
    if not frames:
        return _ScanResult(base, False, True, cursor, cursor, "", False, set(), False)
    top = frames[-1]
    if top.kind == "obj" and top.expect == "key":
        return _ScanResult(path_of(), True, False, cursor, cursor, "", False, top.seen, True)
    if top.kind == "obj" and top.expect == "value":
        return _ScanResult(path_of((top.key,)), False, True, cursor, cursor, "", False, set(), True)
    if top.kind == "arr" and top.expect == "value":
        return _ScanResult(path_of((top.key,)), False, True, cursor, cursor, "", False, set(), True)
    return _ScanResult(path_of(), False, False, cursor, cursor, "", False, set(), True)


def _finish(doc: ParsedDocument, pos: Position, res: _ScanResult, indent: int) -> CursorContext:
    lines = doc.lines
    word_range = lines.range_from_offsets(res.word_start, res.word_end)
    present = set(res.seen) if res.at_key else set()
    if res.at_key:
        node = doc.node_at(res.path)
        if node is not None and node.kind == "object":
            for child in node.children:
                if child.key is not None and not (
                    child.key_range is not None and child.key_range.contains(pos)
                ):
                    present.add(child.key)
    return CursorContext(
        path=res.path,
        at_key=res.at_key,
        at_value=res.at_value,
        prefix=res.prefix,
        word_range=word_range,
        present_keys=frozenset(present),
        quoted=res.quoted,
        flow=res.in_flow or doc.fmt == "json",
        indent=indent,
    )


def _split_dotted(text: str) -> list[str]:
    """`a."b.c".d` → ["a", "b.c", "d"] (TOML dotted keys, also table headers)."""
    parts: list[str] = []
    current = ""
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                current += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip() if not quote else current)
    return parts


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]*?)\s*(\]\]?)\s*(#.*)?$")


def _toml_base(doc: ParsedDocument, row: int) -> KeyPath:
    """The table the line `row` belongs to, from the last header above it."""
    counts: dict[tuple[str, ...], int] = {}
    base: KeyPath = ()
    for r in range(row):
        line = doc.lines.line(r)
        stripped = line.lstrip()
        if not stripped.startswith("["):
            continue
        m = _TOML_HEADER.match(line)
        if not m:
            continue
        parts = tuple(_split_dotted(m.group(2)))
        if m.group(1) == "[[":
            counts[parts] = counts.get(parts, -1) + 1
            base = (*parts, counts[parts])
        else:
            base = parts
    return base


def _find_outside_quotes(text: str, chars: str) -> int:
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == "\\" and quote == '"':
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in chars:
            return i
        elif ch == "#":
            return -2
    return -1


def _key_word(
    doc: ParsedDocument, row: int, line: str, start_col: int, col: int, stop: str
) -> tuple[str, int, int, bool]:
    """The (possibly quoted) key segment around the cursor: prefix, start, end, quoted."""
    seg_start = start_col
    quoted = seg_start < len(line) and line[seg_start] in "\"'"
    end = col
    if quoted:
        close = line.find(line[seg_start], seg_start + 1)
        end = close + 1 if close >= col else max(col, end)
        prefix = line[seg_start + 1 : col]
    else:
        while end < len(line) and line[end] not in stop:
            end += 1
        prefix = line[seg_start:col]
    base = doc.lines.starts[row]
    return prefix, base + seg_start, base + end, quoted


def _toml_context(doc: ParsedDocument, pos: Position, offset: int) -> CursorContext:
    lines = doc.lines
    row = pos.line
    line = lines.line(row)
    col = offset - lines.starts[row]
    before = line[:col]
    at = lines.range_from_offsets(offset, offset)
    stripped = before.lstrip()
    indent = len(before) - len(stripped)
    if stripped.startswith("#"):
        return _nothing(at)
    if stripped.startswith("["):
        # A table header being typed: `[feature.ne`
        inner = stripped.lstrip("[")
        if "]" in inner:
            return _nothing(at)
        parts = _split_dotted(inner)
        seg_col = col - len(parts[-1]) if not inner.endswith(("'", '"')) else col
        last_dot = before.rfind(".")
        seg_col = max(last_dot + 1, len(before) - len(inner)) if last_dot >= 0 else seg_col
        while seg_col < col and line[seg_col] == " ":
            seg_col += 1
        prefix, ws, we, quoted = _key_word(doc, row, line, seg_col, col, ".] \t")
        header = _ScanResult(tuple(parts[:-1]), True, False, ws, we, prefix, quoted, set(), False)
        return _finish(doc, pos, header, indent)
    base = _toml_base(doc, row)
    eq = _find_outside_quotes(before, "=")
    if eq == -2:
        return _nothing(at)
    if eq < 0:
        parts = _split_dotted(stripped)
        last_dot = _find_last_dot(before)
        seg_col = last_dot + 1 if last_dot >= 0 else indent
        while seg_col < col and line[seg_col] == " ":
            seg_col += 1
        prefix, ws, we, quoted = _key_word(doc, row, line, seg_col, col, ".= \t")
        path = (*base, *parts[:-1])
        return _finish(
            doc, pos, _ScanResult(path, True, False, ws, we, prefix, quoted, set(), False), indent
        )
    key_path = (*base, *_split_dotted(before[:eq].strip()))
    value_start = lines.starts[row] + eq + 1
    res: _ScanResult | None = _scan_flow(doc.text, value_start, offset, key_path, "toml")
    if res is None:
        return _nothing(at)
    return _finish(doc, pos, res, indent)


def _find_last_dot(text: str) -> int:
    quote = ""
    last = -1
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            last = i
    return last


_YAML_KEY = re.compile(
    r"""^(?P<key>"[^"]*"|'[^']*'|[^\s#'"{}\[\],&*!|>%@`][^#]*?)\s*(?P<colon>:)(?:\s|$)"""
)


def _yaml_line(line: str) -> tuple[int, list[int], str]:
    """Indentation of the content, the columns of leading `- ` markers, the content."""
    col = len(line) - len(line.lstrip(" "))
    dashes: list[int] = []
    while line.startswith("- ", col) or line[col:] == "-":
        dashes.append(col)
        col += 1
        while col < len(line) and line[col] == " ":
            col += 1
    return col, dashes, line[col:]


def _unquote(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key


def _yaml_parents(doc: ParsedDocument, row: int, indent: int, dashes: list[int]) -> KeyPath:
    """The key path of the block that a line with this indentation belongs to."""
    path: list[str | int] = []
    # Sequence markers on the cursor line itself: each is an item of a sequence.
    pending_dashes = list(reversed(dashes))
    cur = indent
    r = row
    for dash_col in pending_dashes:
        path.append(_yaml_item_index(doc, row, dash_col))
        cur = dash_col
    r = row - 1
    while r >= 0 and cur > 0:
        line = doc.lines.line(r)
        r -= 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        content_col, line_dashes, content = _yaml_line(line)
        if content_col < cur or (line_dashes and line_dashes[0] < cur):
            m = _YAML_KEY.match(content)
            if content_col < cur and m and not content[m.end() :].strip(" ").split("#")[0]:
                path.append(_unquote(m.group("key")))
                cur = content_col
            for dash_col in reversed(line_dashes):
                if dash_col < cur:
                    path.append(_yaml_item_index(doc, r + 1, dash_col))
                    cur = dash_col
            if content_col >= cur and not line_dashes:
                continue
    path.reverse()
    return tuple(path)


def _yaml_item_index(doc: ParsedDocument, row: int, dash_col: int) -> int:
    """How many items of the same sequence come before the one on `row`."""
    index = 0
    for r in range(row - 1, -1, -1):
        line = doc.lines.line(r)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        content_col, dashes, _ = _yaml_line(line)
        first = dashes[0] if dashes else content_col
        if first < dash_col:
            break
        if first == dash_col:
            if not dashes:
                break
            index += 1
    return index


def _yaml_context(doc: ParsedDocument, pos: Position, offset: int) -> CursorContext:
    lines = doc.lines
    row = pos.line
    line = lines.line(row)
    col = offset - lines.starts[row]
    before = line[:col]
    at = lines.range_from_offsets(offset, offset)
    if not before.strip():
        # An empty line: a key of the block at the cursor's column.
        path = _yaml_parents(doc, row, col, [])
        res = _ScanResult(path, True, False, offset, offset, "", False, set(), False)
        return _finish(doc, pos, res, col)
    content_col, dashes, content = _yaml_line(line)
    if col < content_col:
        return _nothing(at)
    if content.lstrip().startswith("#"):
        return _nothing(at)
    parents = _yaml_parents(doc, row, content_col, dashes)
    m = _YAML_KEY.match(content)
    if m and col > content_col + m.start("colon"):
        # After `key:`: the value, plain or flow.
        key_path = (*parents, _unquote(m.group("key")))
        value_start = lines.starts[row] + content_col + m.start("colon") + 1
        flow_res = _scan_flow(doc.text, value_start, offset, key_path, "yaml")
        if flow_res is None or not (flow_res.in_flow or flow_res.at_value):
            return _nothing(at)
        return _finish(doc, pos, flow_res, content_col)
    if content.startswith(("{", "[")) and not m:
        flow_res = _scan_flow(doc.text, lines.starts[row] + content_col, offset, parents, "yaml")
        if flow_res is None:
            return _nothing(at)
        return _finish(doc, pos, flow_res, content_col)
    prefix, ws, we, quoted = _key_word(doc, row, line, content_col, col, ":#")
    if not quoted:
        we = lines.starts[row] + content_col + len(content.split(":")[0].rstrip())
        we = max(we, offset)
    if dashes and not m:
        # `- val`: an item of a sequence (a value), or the first key of a mapping item.
        return _finish(
            doc,
            pos,
            _ScanResult(parents, True, True, ws, we, prefix, quoted, set(), False),
            content_col,
        )
    res = _ScanResult(parents, True, False, ws, we, prefix, quoted, set(), False)
    return _finish(doc, pos, res, content_col)


def context_at(doc: ParsedDocument, pos: Position) -> CursorContext:
    """The cursor context at `pos` (UTF-16). Never raises."""
    offset = doc.lines.to_offset(pos)
    at = doc.lines.range_from_offsets(offset, offset)
    try:
        if doc.fmt == "json":
            res = _scan_flow(doc.text, 0, offset, (), "json")
            if res is None or (not res.in_flow and not res.at_key):
                return _nothing(at)
            return _finish(doc, pos, res, 0)
        if doc.fmt == "toml":
            return _toml_context(doc, pos, offset)
        return _yaml_context(doc, pos, offset)
    except (IndexError, ValueError):
        return _nothing(at)
