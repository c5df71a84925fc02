"""What the server keeps per open config document between requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirrord_ide.document.analysis import Analysis, Finding
    from mirrord_ide.document.formats import ConfigFormat


@dataclass
class AnalyzedDocument:
    uri: str
    version: int | None
    fmt: ConfigFormat
    text: str
    analysis: Analysis
    # Findings from the live cluster checks for this same version, if any ran.
    live_findings: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [*self.analysis.findings, *self.live_findings]
