"""Editor assists computed from a parsed document: completion, hover, symbols
and quick fixes. Pure: the LSP layer adapts these records to protocol types."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mirrord_ide.config.problems import KeyPath
from mirrord_ide.config.schema_info import FieldInfo, field_at, fields_under
from mirrord_ide.document.analysis import Finding
from mirrord_ide.document.context import CursorContext
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.tree import Node, ParsedDocument
from mirrord_ide.textrange import Position, Range

SuggestionKind = Literal["property", "value", "snippet"]


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: SuggestionKind
    insert_text: str
    is_snippet: bool
    replace_range: Range
    detail: str = ""
    documentation: str = ""
    filter_text: str | None = None  # what the client matches the typed text against
    sort_text: str | None = None
    deprecated: bool = False


@dataclass(frozen=True)
class HoverInfo:
    markdown: str
    range: Range


@dataclass
class Symbol:
    name: str
    detail: str
    kind: str  # the node kind: object, array, string, number, boolean, null
    range: Range
    selection_range: Range
    children: list[Symbol] = field(default_factory=list)


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: list[TextEdit]
    codes: list[str]  # the finding codes this fix addresses
    preferred: bool = False


# ------------------------------------------------------------------- formatting

_TOML_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_YAML_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_YAML_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def format_key(fmt: ConfigFormat, key: str) -> str:
    if fmt == "json":
        return _quote(key)
    if fmt == "toml":
        return key if _TOML_BARE.match(key) else _quote(key)
    return key if _YAML_PLAIN.match(key) and key.lower() not in _YAML_RESERVED else _quote(key)


def format_string(fmt: ConfigFormat, value: str, quoted: bool = False) -> str:
    """A string value as it is written in `fmt` (YAML plain when safe)."""
    if fmt == "yaml" and not quoted and _YAML_PLAIN.match(value):
        if value.lower() not in _YAML_RESERVED:
            return value
    return _quote(value)


def _escape_snippet(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _choice(values: Sequence[str]) -> str:
    return "${1|" + ",".join(v.replace(",", "\\,").replace("|", "\\|") for v in values) + "|}"


def _kinds(info: FieldInfo) -> set[str]:
    return set(info.value_kinds)


def _mode_values(path: KeyPath) -> list[str]:
    """The enum of a `mode` sub-key, for sections written as `{mode = …}`."""
    mode = field_at((*path, "mode"))
    return list(mode.enum_values) if mode is not None else []


def value_snippet(fmt: ConfigFormat, info: FieldInfo, path: KeyPath, flow: bool) -> str:
    """An LSP snippet for the value of `info` in `fmt`. Multi-line snippets
    indent continuation lines relative to the key's line."""
    kinds = _kinds(info)
    enum = list(info.enum_values)
    if "object" in kinds and not enum:
        modes = _mode_values(path)
        if fmt == "json":
            if info.snippet and info.snippet.startswith("{"):
                return info.snippet
            return "{\n\t$0\n}"
        if fmt == "toml":
            return "{ mode = " + '"' + _choice(modes) + '"' + " }" if modes else "{ $0 }"
        if flow:
            return "{mode: " + _choice(modes) + "}" if modes else "{$0}"
        return "\n\tmode: " + _choice(modes) if modes else "\n\t$0"
    if enum:
        if fmt == "yaml":
            return _choice(enum)
        return '"' + _choice(enum) + '"'
    if "boolean" in kinds:
        first, second = ("false", "true") if info.default is False else ("true", "false")
        return _choice([first, second])
    if "array" in kinds:
        return "[$1]"
    if "string" in kinds:
        if fmt == "yaml":
            return "$1"
        return '"$1"'
    if "integer" in kinds or "number" in kinds:
        default = info.default if isinstance(info.default, int | float) else 0
        return "${1:" + str(default) + "}"
    return "$1"


def _documentation(info: FieldInfo) -> str:
    parts = [info.description] if info.description else []
    if info.enum_values:
        parts.append("Values: " + ", ".join(f"`{v}`" for v in info.enum_values))
    if info.default_repr is not None:
        parts.append(f"Default: `{info.default_repr}`")
    return "\n\n".join(parts)


def _type_text(info: FieldInfo) -> str:
    order = ["string", "integer", "number", "boolean", "array", "object"]
    return " | ".join(k for k in order if k in info.value_kinds) or "any"


# ------------------------------------------------------------------- completion


def _key_suggestions(parsed: ParsedDocument, ctx: CursorContext) -> list[Suggestion]:
    fmt = parsed.fmt
    out: list[Suggestion] = []
    for info in fields_under(ctx.path):
        if info.name in ctx.present_keys:
            continue
        key = format_key(fmt, info.name)
        if ctx.quoted and fmt != "json":
            key = _quote(info.name)
        sep = " = " if fmt == "toml" else ": "
        value = value_snippet(fmt, info, (*ctx.path, info.name), ctx.flow)
        if fmt == "yaml" and value.startswith("\n"):
            sep = ":"
        insert = _escape_snippet(key) + sep + value
        out.append(
            Suggestion(
                label=info.name,
                kind="property",
                insert_text=insert,
                is_snippet=True,
                replace_range=ctx.word_range,
                detail=_type_text(info) + (" (deprecated)" if info.deprecated else ""),
                documentation=_documentation(info),
                filter_text=_quote(info.name) if ctx.quoted else info.name,
                sort_text=("1" if info.deprecated else "0") + info.name,
                deprecated=info.deprecated,
            )
        )
    return out


def _is_target_path(path: KeyPath) -> bool:
    return path in (("target",), ("target", "path"))


def _is_namespace(path: KeyPath) -> bool:
    return path in (("target", "namespace"), ("agent", "namespace"))


def _value_suggestions(
    parsed: ParsedDocument,
    ctx: CursorContext,
    live_targets: Iterable[str],
    live_namespaces: Iterable[str],
) -> list[Suggestion]:
    fmt = parsed.fmt
    info = field_at(ctx.path) if ctx.path else None
    out: list[Suggestion] = []
    seen: set[str] = set()

    def add_string(value: str, detail: str, doc: str = "", sort: str = "1") -> None:
        if value in seen:
            return
        seen.add(value)
        text = format_string(fmt, value, quoted=ctx.quoted)
        out.append(
            Suggestion(
                label=value,
                kind="value",
                insert_text=text,
                is_snippet=False,
                replace_range=ctx.word_range,
                detail=detail,
                documentation=doc,
                filter_text=_quote(value) if ctx.quoted else value,
                sort_text=sort + value,
            )
        )

    if _is_target_path(ctx.field_path):
        for target in live_targets:
            add_string(target, "target in the cluster", sort="0")
        add_string("targetless", "run without a target", "No pod is impersonated.", sort="2")
    if _is_namespace(ctx.field_path):
        for ns in live_namespaces:
            add_string(ns, "namespace", sort="0")
    if info is not None:
        for value in info.enum_values:
            add_string(value, info.name, _documentation(info))
        if "boolean" in info.value_kinds and not ctx.quoted:
            for literal in ("true", "false"):
                out.append(
                    Suggestion(
                        label=literal,
                        kind="value",
                        insert_text=literal,
                        is_snippet=False,
                        replace_range=ctx.word_range,
                        detail=info.name,
                        sort_text="1" + literal,
                    )
                )
    return out


def completions(
    parsed: ParsedDocument,
    position: Position,
    live_targets: Iterable[str] = (),
    live_namespaces: Iterable[str] = (),
) -> list[Suggestion]:
    """What can be typed at `position`: keys not yet present, or values."""
    try:
        ctx = parsed.context_at(position)
        out: list[Suggestion] = []
        if ctx.at_key:
            out.extend(_key_suggestions(parsed, ctx))
        if ctx.at_value:
            out.extend(_value_suggestions(parsed, ctx, live_targets, live_namespaces))
        return out
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return []


# ------------------------------------------------------------------------ hover


def _locate(node: Node, pos: Position, path: KeyPath) -> tuple[KeyPath, Range, bool] | None:
    """The deepest member or item at `pos`: its path, range and whether on the key."""
    for index, child in enumerate(node.children):
        step: str | int = child.key if child.key is not None else index
        if child.key_range is not None and child.key_range.contains(pos):
            return (*path, step), child.key_range, True
        if child.range.contains(pos):
            deeper = _locate(child, pos, (*path, step))
            if deeper is not None:
                return deeper
            return (*path, step), child.range, False
    return None


def hover(parsed: ParsedDocument, position: Position) -> HoverInfo | None:
    """The description, type and default of the key or value under the cursor."""
    if parsed.root is None:
        return None
    found = _locate(parsed.root, position, ())
    if found is None:
        return None
    path, rng, _on_key = found
    # Array items are described by their array's field.
    while path and isinstance(path[-1], int):
        path = path[:-1]
    info = field_at(path) if path else None
    if info is None:
        return None
    dotted = ".".join(str(p) for p in path)
    lines = [f"**`{dotted}`**"]
    if info.deprecated:
        lines.append("*Deprecated.*")
    if info.description:
        lines.append(info.description)
    lines.append(f"Type: `{_type_text(info)}`")
    if info.enum_values:
        lines.append("Values: " + ", ".join(f"`{v}`" for v in info.enum_values))
    if info.default_repr is not None:
        lines.append(f"Default: `{info.default_repr}`")
    return HoverInfo("\n\n".join(lines), rng)


# ---------------------------------------------------------------------- symbols


def _scalar_detail(node: Node) -> str:
    if node.kind in ("object", "array", "invalid"):
        return ""
    text = json.dumps(node.value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _symbol(node: Node, name: str) -> Symbol:
    selection = node.key_range or node.range
    start = min(selection.start, node.range.start)
    end = max(selection.end, node.range.end)
    children = [
        _symbol(child, child.key if child.key is not None else f"[{i}]")
        for i, child in enumerate(node.children)
        if child.kind != "invalid"
    ]
    return Symbol(
        name=name,
        detail=_scalar_detail(node),
        kind=node.kind,
        range=Range(start, end),
        selection_range=selection,
        children=children,
    )


def symbols(parsed: ParsedDocument) -> list[Symbol]:
    """The outline of the document: one symbol per key, nested."""
    if parsed.root is None or parsed.root.kind != "object":
        return []
    return [_symbol(child, child.key or "") for child in parsed.root.children if child.key]


# ------------------------------------------------------------------ code actions

# Problems that a target would fix, when none is set.
_NEEDS_TARGET = {"targetless-steal", "targetless-ephemeral", "copy-target-targetless"}
# Problems with the target that choosing "targetless" resolves.
_BAD_TARGET = {"invalid-target-path", "target-not-found", "container-not-found"}
# Problems that mean: the config names no target at all.
_NO_TARGET = {"missing-target", "no-target"}


def _overlaps(a: Range, b: Range) -> bool:
    return not (a.end < b.start or b.end < a.start)


def _line_indent(parsed: ParsedDocument, line: int) -> str:
    text = parsed.lines.line(line)
    return text[: len(text) - len(text.lstrip(" \t"))]


def _toml_root_insertion(parsed: ParsedDocument) -> tuple[Position, bool]:
    """Where a new root key goes in TOML: before the first root member, below the
    file's leading comments; before a first table, above the comments attached to it.
    Also says whether that place is a table header."""
    root = parsed.root
    first = root.children[0] if root is not None and root.children else None
    if first is None or first.key_range is None:
        return Position(0, 0), False
    line = first.key_range.start.line
    is_table = parsed.lines.line(line).lstrip().startswith("[")
    if is_table:
        while line > 0 and parsed.lines.line(line - 1).lstrip().startswith("#"):
            line -= 1
    return Position(line, 0), is_table


def insert_top_level_key(parsed: ParsedDocument, key: str, value_text: str) -> TextEdit:
    """An edit adding `key` with an already formatted value at the top of the document."""
    fmt = parsed.fmt
    root = parsed.root
    origin = Range(Position(0, 0), Position(0, 0))
    flow_root = root is not None and parsed.text[parsed.lines.to_offset(root.range.start) :][
        :1
    ] in ("{",)
    if fmt == "json" or (fmt == "yaml" and flow_root):
        if root is None or root.kind != "object":
            return TextEdit(origin, "{\n  " + _quote(key) + ": " + value_text + "\n}\n")
        first = next((c for c in root.children if c.key_range is not None), None)
        if first is not None and first.key_range is not None:
            at = first.key_range.start
            sep = (
                ",\n" + _line_indent(parsed, at.line) if at.line != root.range.start.line else ", "
            )
            key_text = _quote(key) if fmt == "json" else format_key(fmt, key)
            return TextEdit(Range(at, at), key_text + ": " + value_text + sep)
        return TextEdit(root.range, "{\n  " + _quote(key) + ": " + value_text + "\n}")
    if fmt == "toml":
        at, before_table = _toml_root_insertion(parsed)
        tail = "\n\n" if before_table else "\n"
        return TextEdit(Range(at, at), f"{format_key(fmt, key)} = {value_text}{tail}")
    line = root.range.start.line if root is not None else 0
    indent = root.range.start.character if root is not None else 0
    at = Position(line, indent)
    sep = ":" if value_text.startswith("\n") else ": "  # a block value starts on its own line
    return TextEdit(Range(at, at), f"{format_key(fmt, key)}{sep}{value_text}\n" + " " * indent)


def _set_targetless(parsed: ParsedDocument) -> TextEdit | None:
    """Replace the configured target path with "targetless"."""
    node = parsed.node_at(("target",))
    if node is None:
        return None
    path_node = node.get("path") if node.kind == "object" else None
    victim = path_node if path_node is not None else node
    text = format_string(parsed.fmt, "targetless")
    if victim.kind in ("object", "array") and parsed.fmt == "yaml" and victim.key_range:
        # Replace a block value from the end of the key on.
        rng = Range(victim.key_range.end, victim.range.end)
        return TextEdit(rng, ": " + text)
    return TextEdit(victim.range, text)


def _rename_key(parsed: ParsedDocument, finding: Finding, new_key: str) -> TextEdit:
    node = parsed.node_at(finding.key_path) if finding.key_path else None
    rng = node.key_range if node is not None and node.key_range is not None else finding.range
    original = parsed.text[parsed.lines.to_offset(rng.start) : parsed.lines.to_offset(rng.end)]
    if original[:1] in "\"'" and parsed.fmt != "json":
        return TextEdit(rng, _quote(new_key))
    return TextEdit(rng, format_key(parsed.fmt, new_key))


def code_actions(parsed: ParsedDocument, findings: Iterable[Finding], range_: Range) -> list[Fix]:
    """Quick fixes for the findings that touch `range_`."""
    fixes: list[Fix] = []
    has_target = parsed.node_at(("target",)) is not None
    offered: set[str] = set()
    for finding in findings:
        if not _overlaps(finding.range, range_):
            continue
        replace_key = finding.data.get("replaceKey")
        if isinstance(replace_key, str) and finding.key_path:
            old = str(finding.key_path[-1])
            fixes.append(
                Fix(
                    f"Change `{old}` to `{replace_key}`",
                    [_rename_key(parsed, finding, replace_key)],
                    [finding.code],
                    preferred=True,
                )
            )
        code = finding.code
        if not has_target and (code in _NO_TARGET or code in _NEEDS_TARGET):
            if code in _NO_TARGET and "targetless" not in offered:
                offered.add("targetless")
                edit = insert_top_level_key(
                    parsed, "target", format_string(parsed.fmt, "targetless")
                )
                fixes.append(Fix('Add "target": "targetless"', [edit], [code], preferred=True))
            if "add-target" not in offered:
                offered.add("add-target")
                edit = insert_top_level_key(parsed, "target", format_string(parsed.fmt, "pod/"))
                fixes.append(Fix('Add a "target" (pod/<name>)', [edit], [code]))
        if has_target and code in _BAD_TARGET and "targetless" not in offered:
            edit_or_none = _set_targetless(parsed)
            if edit_or_none is not None:
                offered.add("targetless")
                fixes.append(Fix('Set "target" to "targetless"', [edit_or_none], [code]))
    return fixes


__all__ = [
    "Fix",
    "HoverInfo",
    "Suggestion",
    "Symbol",
    "TextEdit",
    "code_actions",
    "completions",
    "hover",
    "insert_top_level_key",
    "symbols",
]
