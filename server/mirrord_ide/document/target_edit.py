"""Writing a target choice into a config document.

The result is the smallest set of text edits that sets `target` (and, when given,
its namespace) in a JSON, TOML or YAML config, keeping comments, key order and the
layout around it. The value is written in one of the forms mirrord reads
(`mirrord/config/src/target.rs`, `TargetFileConfig`): the canonical path string
(`pod/x/container/c`, `targetless`), a bare object (`{"pod": "x"}`) or
`{"path": ..., "namespace": ...}`. A file that already uses an object form keeps it.
Pure: no I/O; formatting and the top-level insertion are those of the quick fixes.
"""

from __future__ import annotations

import json
from typing import Any

from mirrord_ide.config.target_path import OBJECT_KEYS, TargetPath
from mirrord_ide.document.assist import TextEdit, format_key, format_string, insert_top_level_key
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.parse import parse_document
from mirrord_ide.document.tree import Node, ParsedDocument

# The bare-object key of each target kind (`cron_job`, `stateful_set`, ...).
_OBJECT_KEY_OF: dict[str, str] = {kind: key for key, kind in OBJECT_KEYS.items()}
_STEP = "  "


class TargetEditError(ValueError):
    """The config cannot be edited safely; the message says what to do instead."""


# --------------------------------------------------------------------- the value


def _bare_object(target: TargetPath) -> dict[str, Any]:
    key = _OBJECT_KEY_OF[target.kind]
    value: dict[str, Any] = {key: target.label_map if target.kind == "label" else target.name}
    if target.container is not None:
        value["container"] = target.container
    return value


def target_value(target: TargetPath, namespace: str | None, current: Any) -> Any:
    """The new `target` value: `current`'s form where it has one, else the path string,
    as `{"path", "namespace"}` when a namespace is given."""
    path: Any = target.canonical
    if isinstance(current, dict) and any(k in OBJECT_KEYS for k in current):
        # A bare object names no namespace and cannot say "targetless".
        if not target.is_targetless:
            path = _bare_object(target)
        return {"path": path, "namespace": namespace} if namespace else path
    if isinstance(current, dict):
        old_path = current.get("path")
        if isinstance(old_path, dict) and not target.is_targetless:
            path = _bare_object(target)
        value = dict(current)
        value["path"] = path
        if namespace:
            value["namespace"] = namespace
        return value
    return {"path": path, "namespace": namespace} if namespace else path


# ---------------------------------------------------------------- formatting


def _toml_string(text: str) -> str:
    # JSON escapes are valid TOML; DEL is the one control character JSON leaves raw.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def inline_value(fmt: ConfigFormat, value: Any) -> str:
    """`value` on one line: a JSON value, a TOML inline table, a YAML flow value."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        sep = " = " if fmt == "toml" else ": "
        items = ", ".join(
            format_key(fmt, str(k)) + sep + inline_value(fmt, v) for k, v in value.items()
        )
        return "{ " + items + " }" if fmt == "toml" else "{" + items + "}"
    if isinstance(value, str):
        return _toml_string(value) if fmt == "toml" else format_string(fmt, value)
    return json.dumps(value)


def _yaml_block(value: dict[str, Any], indent: str) -> str:
    """A YAML block mapping, each line starting with a newline and `indent`."""
    out = []
    for key, item in value.items():
        head = "\n" + indent + format_key("yaml", str(key)) + ":"
        if isinstance(item, dict) and item:
            out.append(head + _yaml_block(item, indent + _STEP))
        else:
            out.append(head + " " + inline_value("yaml", item))
    return "".join(out)


def new_config_text(fmt: ConfigFormat, value: Any) -> str:
    """A whole config file that holds only `target`."""
    if fmt == "json":
        return "{\n" + _STEP + '"target": ' + inline_value(fmt, value) + "\n}\n"
    if fmt == "toml":
        return "target = " + inline_value(fmt, value) + "\n"
    if isinstance(value, dict):
        return "target:" + _yaml_block(value, _STEP) + "\n"
    return "target: " + inline_value(fmt, value) + "\n"


# --------------------------------------------------------------------- editing


class _Editor:
    def __init__(self, parsed: ParsedDocument) -> None:
        self.parsed = parsed
        self.fmt = parsed.fmt
        self.text = parsed.text
        self.edits: list[tuple[int, int, str]] = []

    def offset(self, pos: Any) -> int:
        return self.parsed.lines.to_offset(pos)

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def line_end(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end

    def is_flow(self, node: Node) -> bool:
        return self.text[self.offset(node.range.start) :][:1] == "{"

    def member_prefix(self, child: Node) -> str:
        """What precedes a member's key on its line: indentation, or `target.` for a
        dotted TOML key."""
        assert child.key_range is not None
        start = self.offset(child.key_range.start)
        prefix = self.text[self.line_start(start) : start]
        if self.fmt == "toml" and prefix.lstrip().startswith("["):
            raise TargetEditError("the target is split over TOML tables")
        return prefix

    def value_end(self, node: Node) -> int:
        """Where a member's value ends, not counting the line break a block value
        may include."""
        end = self.offset(node.range.end)
        start = self.offset(node.range.start)
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def block_context(self, member: Node) -> bool:
        """A YAML member written as `key: value` at the start of its line."""
        if member.key_range is None:
            return False
        start = self.offset(member.key_range.start)
        return self.text[self.line_start(start) : start].strip() == ""

    # -- values

    def set_value(self, node: Node, new: Any) -> None:
        if node.kind != "invalid" and type(node.value) is type(new) and node.value == new:
            return
        if isinstance(new, dict) and node.kind == "object":
            self.set_members(node, new)
            return
        self.replace(node, new)

    def replace(self, node: Node, new: Any) -> None:
        start, end = self.offset(node.range.start), self.value_end(node)
        if self.fmt == "yaml" and node.key_range is not None and self.block_context(node):
            block = node.kind == "object" and not self.is_flow(node)
            if block or (isinstance(new, dict) and new):
                # Rewrite from the end of the key: `key:` then the value.
                start = self.offset(node.key_range.end)
                if isinstance(new, dict) and new:
                    indent = self.member_prefix(node) + _STEP
                    self.edits.append((start, end, ":" + _yaml_block(new, indent)))
                else:
                    self.edits.append((start, end, ": " + inline_value(self.fmt, new)))
                return
        self.edits.append((start, end, inline_value(self.fmt, new)))

    def set_members(self, node: Node, new: dict[str, Any]) -> None:
        children = [c for c in node.children if c.key is not None and c.key_range is not None]
        removed = [c for c in children if c.key not in new]
        flow = self.is_flow(node)
        if not children or (removed and flow):
            self.replace(node, new)
            return
        if removed:
            self.rewrite_members(children, new)
            return
        pending = {k: v for k, v in new.items() if node.get(k) is None}
        for key, value in new.items():
            child = node.get(key)
            if child is not None:
                self.set_value(child, value)
        if pending:
            self.insert_members(children[-1], pending, flow)

    def member_text(self, prefix: str, key: str, value: Any) -> str:
        key_text = format_key(self.fmt, key)
        if self.fmt == "toml":
            return prefix + key_text + " = " + inline_value(self.fmt, value)
        if self.fmt == "yaml" and isinstance(value, dict) and value:
            return prefix + key_text + ":" + _yaml_block(value, prefix + _STEP)
        return prefix + key_text + ": " + inline_value(self.fmt, value)

    def insert_members(self, last: Node, pending: dict[str, Any], flow: bool) -> None:
        assert last.key_range is not None
        if flow:
            at = self.value_end(last)
            key_line = self.line_start(self.offset(last.key_range.start))
            same_line = self.text.find("\n", key_line, at) < 0 and self._node_one_line(last)
            prefix = self.member_prefix(last)
            sep = ", " if same_line or prefix.strip() else ",\n" + prefix
            text = "".join(sep + self.member_text("", k, v) for k, v in pending.items())
            self.edits.append((at, at, text))
            return
        prefix = self.member_prefix(last)
        at = self.line_end(self.value_end(last))
        eol = "\r\n" if self.text[at - 1 : at] == "\r" else "\n"
        if eol == "\r\n":
            at -= 1
        text = "".join(eol + self.member_text(prefix, k, v) for k, v in pending.items())
        self.edits.append((at, at, text))

    def _node_one_line(self, member: Node) -> bool:
        """Whether the object holding `member` starts on the member's line."""
        assert member.key_range is not None
        key_at = self.offset(member.key_range.start)
        line = self.text[self.line_start(key_at) : key_at]
        return "{" in line

    def rewrite_members(self, children: list[Node], new: dict[str, Any]) -> None:
        """Replace every member line of a block object with the new members."""
        prefix = self.member_prefix(children[0])
        first = children[0].key_range
        assert first is not None
        start = self.line_start(self.offset(first.start))
        end = max(self.line_end(self.value_end(c)) for c in children)
        if self.text[end - 1 : end] == "\r":
            end -= 1
        eol = "\r\n" if "\r\n" in self.text else "\n"
        lines = [self.member_text(prefix, k, v) for k, v in new.items()]
        self.edits.append((start, end, eol.join(lines)))

    def to_text_edits(self) -> list[TextEdit]:
        lines = self.parsed.lines
        return [
            TextEdit(lines.range_from_offsets(start, end), text)
            for start, end, text in sorted(self.edits)
        ]


def set_target_edits(
    parsed: ParsedDocument, target: TargetPath, namespace: str | None
) -> list[TextEdit]:
    """The edits that make `parsed` name `target` (and `namespace`, when given).
    Raises `TargetEditError` for a document that cannot be edited safely."""
    if not parsed.text.strip():
        whole = parsed.lines.range_from_offsets(0, len(parsed.text))
        return [TextEdit(whole, new_config_text(parsed.fmt, target_value(target, namespace, None)))]
    if parsed.syntax_errors:
        first = parsed.syntax_errors[0]
        raise TargetEditError(
            f"the config has a syntax error at line {first.range.start.line + 1} "
            f"({first.message}); fix it before saving a target into it"
        )
    root = parsed.root
    if root is not None and root.kind != "object":
        raise TargetEditError("the config's top level is not a table of settings")
    editor = _Editor(parsed)
    node = parsed.node_at(("target",))
    if node is None:
        value = target_value(target, namespace, None)
        return [_insert_target(parsed, value)]
    if any(d.path == ("target",) for d in parsed.duplicates):
        raise TargetEditError("`target` is set more than once")
    start, end = editor.offset(node.range.start), editor.offset(node.range.end)
    if "{{" in parsed.text[start:end] or "{%" in parsed.text[start:end]:
        raise TargetEditError("`target` is written with a template")
    value = target_value(target, namespace, node.value)
    if not isinstance(value, dict) and node.kind == "object" and not editor.is_flow(node):
        if parsed.fmt == "toml":
            value = {"path": value}  # a `[target]` table (or dotted keys) holds only objects
    editor.set_value(node, value)
    edits = editor.to_text_edits()
    _check(parsed, edits, value)
    return edits


def _insert_target(parsed: ParsedDocument, value: Any) -> TextEdit:
    fmt = parsed.fmt
    if fmt == "yaml" and isinstance(value, dict) and parsed.root is not None:
        if parsed.text[parsed.lines.to_offset(parsed.root.range.start) :][:1] != "{":
            indent = " " * parsed.root.range.start.character
            return insert_top_level_key(parsed, "target", _yaml_block(value, indent + _STEP))
    return insert_top_level_key(parsed, "target", inline_value(fmt, value))


def _apply(text: str, parsed: ParsedDocument, edits: list[TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.range.start, e.range.end), reverse=True):
        start = parsed.lines.to_offset(edit.range.start)
        end = parsed.lines.to_offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def _check(parsed: ParsedDocument, edits: list[TextEdit], value: Any) -> None:
    """The edited document must read back as the old one with the new target."""
    after = parse_document(_apply(parsed.text, parsed, edits), parsed.fmt)
    expected = dict(parsed.value) if isinstance(parsed.value, dict) else {}
    expected["target"] = value
    got = after.value
    if after.syntax_errors or not isinstance(got, dict) or _plain(got) != _plain(expected):
        raise TargetEditError("this layout of `target` cannot be edited safely; set it by hand")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def edited_text(text: str, fmt: ConfigFormat, target: TargetPath, namespace: str | None) -> str:
    """`text` with the target set (for callers that want the result, not the edits)."""
    parsed = parse_document(text, fmt)
    return _apply(text, parsed, set_target_edits(parsed, target, namespace))


__all__ = [
    "TargetEditError",
    "edited_text",
    "inline_value",
    "new_config_text",
    "set_target_edits",
    "target_value",
]
