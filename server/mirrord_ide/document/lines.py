"""Conversions between LSP positions (UTF-16 code units), string offsets and
tree-sitter points (rows and UTF-8 byte columns)."""

from __future__ import annotations

from bisect import bisect_right

from mirrord_ide.textrange import Position, Range


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf8_prefix(data: bytes) -> str:
    """Decode bytes cut at an arbitrary column: drop a partial character at the end."""
    for trim in range(4):
        try:
            return data[: len(data) - trim].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "ignore")


class LineIndex:
    """Line starts of one text; every conversion is per line, so cost stays
    proportional to the line, not the document."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line(self, row: int) -> str:
        """The text of a line without its line break."""
        if row < 0 or row >= len(self.starts):
            return ""
        end = self.starts[row + 1] - 1 if row + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[row] : end]

    def from_point(self, row: int, byte_column: int) -> Position:
        """A tree-sitter point as an LSP position."""
        if row >= len(self.starts):
            last = len(self.starts) - 1
            return Position(last, _utf16_len(self.line(last)))
        line = self.line(row)
        if line.isascii():
            return Position(row, min(byte_column, len(line)))
        # Lone surrogates (which UTF-16 editors can send) pass through as in the parse.
        prefix = _utf8_prefix(line.encode("utf-8", "surrogatepass")[:byte_column])
        return Position(row, _utf16_len(prefix))

    def range_from_points(self, start: tuple[int, int], end: tuple[int, int]) -> Range:
        return Range(self.from_point(*start), self.from_point(*end))

    def from_offset(self, offset: int) -> Position:
        """A string offset as an LSP position."""
        offset = max(0, min(offset, len(self.text)))
        row = bisect_right(self.starts, offset) - 1
        start = self.starts[row]
        return Position(row, _utf16_len(self.text[start:offset]))

    def to_offset(self, pos: Position) -> int:
        """An LSP position as a string offset, clamped to the text."""
        if pos.line < 0:
            return 0
        if pos.line >= len(self.starts):
            return len(self.text)
        line = self.line(pos.line)
        start = self.starts[pos.line]
        if line.isascii():
            return start + max(0, min(pos.character, len(line)))
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return start + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return start + len(line)

    def range_from_offsets(self, start: int, end: int) -> Range:
        return Range(self.from_offset(start), self.from_offset(end))


def apply_change(text: str, range_: Range | None, new_text: str) -> str:
    """Apply one LSP content change (a full replacement when range_ is None)."""
    if range_ is None:
        return new_text
    index = LineIndex(text)
    start = index.to_offset(range_.start)
    end = max(start, index.to_offset(range_.end))
    return text[:start] + new_text + text[end:]
