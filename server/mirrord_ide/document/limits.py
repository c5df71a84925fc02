"""How deep a config document may nest before the parsers are not trusted with it.

A real mirrord config nests about eight levels. Far deeper input (a paste gone
wrong, a generated file) would overflow the Python tree walk, and past 255
block levels the YAML grammar's scanner crashes the whole process. Such a
document gets one syntax error at the place it goes too deep instead.
"""

from __future__ import annotations

import re

from mirrord_ide.document.formats import ConfigFormat

MAX_NESTING = 100

# Strings on one line: their brackets and dots are text, not structure.
_STRINGS = re.compile(r""""(?:[^"\\\n]|\\.)*"|'[^'\n]*'""")
# A YAML line whose content starts this far right (indent, `- `, `? `).
_DEEP_BLOCK = re.compile(rf"^[ \t?:-]{{{MAX_NESTING},}}(?=[^\s?:-])", re.MULTILINE)
_OPENERS = {"[": 1, "{": 1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
# A line (between newlines) with that many dots; linear, the two parts never overlap.
_MANY_DOTS = re.compile(rf"^(?:[^\n.]*\.){{{MAX_NESTING}}}", re.MULTILINE)


def too_deep(text: str, fmt: ConfigFormat) -> int | None:
    """The offset where `text` nests deeper than MAX_NESTING, or None."""
    if fmt == "yaml" and (match := _DEEP_BLOCK.search(text)):
        return match.end()
    if fmt == "toml" and (offset := _deep_toml_key(text)) is not None:
        return offset
    # Cheap common case: not even that many brackets in the whole text.
    if sum(text.count(c) for c in "[{") <= MAX_NESTING:
        return None
    if not _brackets_too_deep(_NOT_BRACKETS.sub("", _STRINGS.sub("", text))):
        return None
    # Only now is the exact offset worth a slower pass.
    blanked = _STRINGS.sub(lambda m: " " * len(m.group()), text)
    depth = 0
    for match in re.finditer(r"[\[\]{}]", blanked):
        depth = max(0, depth + _OPENERS[match.group()])
        if depth > MAX_NESTING:
            return match.start()
    return None


def _brackets_too_deep(brackets: str) -> bool:
    depth = 0
    for c in brackets:
        depth = max(0, depth + _OPENERS[c])
        if depth > MAX_NESTING:
            return True
    return False


def _deep_toml_key(text: str) -> int | None:
    """A table header or dotted key with more than MAX_NESTING parts."""
    if text.count(".") <= MAX_NESTING or not _MANY_DOTS.search(text):
        return None
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.count(".") < MAX_NESTING:  # most lines: too few dots to matter
            offset += len(line)
            continue
        stripped = line.lstrip()
        key = stripped if stripped.startswith("[") else stripped.split("=", 1)[0]
        if _STRINGS.sub("", key).count(".") >= MAX_NESTING:
            return offset + len(line) - len(stripped)
        offset += len(line)
    return None


def message() -> str:
    return f"the document nests deeper than {MAX_NESTING} levels; mirrord configs never do"
