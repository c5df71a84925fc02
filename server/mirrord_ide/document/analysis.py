"""One pass over a config document: parse, validate, and place every problem
on an exact range. Pure and safe on any input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mirrord_ide.config.problems import KeyPath, Problem, Severity
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.tree import ParsedDocument, parse_document
from mirrord_ide.textrange import Range

if TYPE_CHECKING:
    from mirrord_ide.config.model import MirrordConfig


@dataclass(frozen=True)
class Finding:
    range: Range
    message: str
    code: str
    severity: Severity
    path: str  # dotted key path, "" for the whole document
    data: dict[str, Any] = field(default_factory=dict)
    key_path: KeyPath = ()

    def to_json(self) -> dict[str, Any]:
        """The shape `verify-config` prints."""
        return {
            "message": self.message,
            "path": self.path,
            "range": self.range.to_json(),
            "code": self.code,
        }


@dataclass
class Analysis:
    parsed: ParsedDocument
    findings: list[Finding]
    config: MirrordConfig | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        # Hints (e.g. "no target set") are editor nudges, not warnings about the config.
        return [f for f in self.findings if f.severity in ("warning", "information")]


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def finding_for(parsed: ParsedDocument, problem: Problem) -> Finding:
    """Place one problem. A multi-line value is underlined at its key, so a
    wrong-typed section does not paint the whole block."""
    on_key = problem.on_key
    if not on_key:
        node = parsed.node_at(problem.path)
        if node is not None and node.key_range is not None:
            on_key = node.range.end.line != node.range.start.line
    return Finding(
        range=parsed.range_for(problem.path, on_key=on_key),
        message=problem.message,
        code=problem.code,
        severity=problem.severity,
        path=problem.dotted_path,
        data=dict(problem.data),
        key_path=problem.path,
    )


def _syntax_findings(parsed: ParsedDocument) -> list[Finding]:
    findings = [
        Finding(p.range, p.message, "syntax-error", "error", "") for p in parsed.syntax_errors
    ]
    for dup in parsed.duplicates:
        findings.append(
            Finding(
                dup.key_range,
                f"duplicate key `{dup.path[-1]}`",
                "duplicate-key",
                "error",
                _dotted(dup.path),
                key_path=dup.path,
            )
        )
    return findings


def _placed(parsed: ParsedDocument, problem: Problem) -> Finding:
    """`finding_for`, or the document head for a path the tree cannot follow
    (pydantic reports keys with lone surrogates re-encoded)."""
    try:
        return finding_for(parsed, problem)
    except (KeyError, IndexError, TypeError, ValueError):
        return Finding(parsed.range_for(()), problem.message, problem.code, problem.severity, "")


def analyze(text: str, fmt: ConfigFormat, extra_problems: Iterable[Problem] = ()) -> Analysis:
    """Parse and validate `text`. Never raises: an internal failure becomes a finding."""
    try:
        parsed = parse_document(text, fmt)
    except Exception as exc:  # noqa: BLE001 - a broken buffer must not break the editor
        lines = LineIndex(text)
        empty = ParsedDocument(fmt, text, None, [], lines)
        return Analysis(
            empty,
            [
                Finding(
                    Range.of(0, 0, 0, 0),
                    f"the document could not be read: {exc}",
                    "internal-error",
                    "error",
                    "",
                )
            ],
        )
    findings = _syntax_findings(parsed)
    config = None
    try:
        from mirrord_ide.config.validate import validate_config

        result = validate_config(parsed.value)
        config = result.config
        problems = [*result.problems, *extra_problems]
        findings.extend(_placed(parsed, p) for p in problems)
    except Exception as exc:  # noqa: BLE001
        findings.append(
            Finding(
                parsed.range_for(()),
                f"the config could not be validated: {exc}",
                "internal-error",
                "error",
                "",
            )
        )
    findings.sort(key=lambda f: (f.range.start.line, f.range.start.character))
    return Analysis(parsed, findings, config)
