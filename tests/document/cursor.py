"""Test helper: text with a `|` marking the cursor → (text, position)."""

from mirrord_ide.textrange import Position


def split_cursor(marked: str) -> tuple[str, Position]:
    i = marked.index("|")
    text = marked[:i] + marked[i + 1 :]
    before = text[:i]
    line = before.count("\n")
    col = len(before.split("\n")[-1].encode("utf-16-le")) // 2
    return text, Position(line, col)
