"""A problem found in a mirrord config, located by key path (no positions here).

The document layer turns `path` into an exact range in the source text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "information", "hint"]
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: KeyPath  # e.g. ("feature", "network", "incoming", "mode"); () is the whole file
    message: str
    code: str  # stable: unknown-key, wrong-type, invalid-target-path, target-not-found, ...
    severity: Severity = "error"
    on_key: bool = False  # underline the key itself (unknown keys) rather than its value
    data: dict[str, Any] = field(
        default_factory=dict
    )  # quick-fix payload, e.g. {"replaceKey": "mode"}

    @property
    def dotted_path(self) -> str:
        return ".".join(str(p) for p in self.path)


class LargeNumber(int):
    """An integer written with more digits than can be held exactly (Python refuses
    to convert more than a few thousand). It stands as a value beyond every bound a
    mirrord field has, so validation reports it as out of range, and it shows an
    abbreviation of the digits as written."""

    text: str

    def __new__(cls, text: str) -> LargeNumber:
        stripped = text.strip()
        obj = super().__new__(cls, -(2**256) if stripped.startswith("-") else 2**256)
        obj.text = stripped
        return obj

    def __repr__(self) -> str:
        digits = self.text.lstrip("+-")
        sign = "-" if self.text.startswith("-") else ""
        return f"{sign}{digits[:6]}…{digits[-3:]} ({len(digits)} digits)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)
