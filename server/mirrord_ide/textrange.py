"""Positions and ranges as LSP defines them: 0-based lines, UTF-16 code units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Position:
    line: int
    character: int  # UTF-16 code units

    def to_json(self) -> dict[str, int]:
        return {"line": self.line, "character": self.character}


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position

    @staticmethod
    def of(sl: int, sc: int, el: int, ec: int) -> Range:
        return Range(Position(sl, sc), Position(el, ec))

    def contains(self, pos: Position) -> bool:
        return self.start <= pos <= self.end

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.to_json(), "end": self.end.to_json()}


ZERO_RANGE = Range.of(0, 0, 0, 0)
