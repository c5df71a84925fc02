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
