"""One pass over a config document: parse, validate, and place every problem
on an exact range. Pure and safe on any input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mirrord_ide.config.problems import KeyPath, Problem, Severity
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.parse import parse_document
from mirrord_ide.document.template import Rendered, TemplateContext, masked, render
from mirrord_ide.document.tree import ParsedDocument
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
                dup.message or f"duplicate key `{dup.path[-1]}`",
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


def analyze(
    text: str,
    fmt: ConfigFormat,
    extra_problems: Iterable[Problem] = (),
    env: Mapping[str, str] | None = None,
) -> Analysis:
    """Parse and validate `text` as mirrord reads it: rendered with Tera first, in the
    environment `env` (default: this process's, which is what the server launches
    mirrord with). Never raises: an internal failure becomes a finding.

    `parsed` is the file as written (completion, hover, outline and fixes work on it;
    template tags are blanked out in its tree, and its `value` is the rendered config);
    every finding points into the file as written."""
    try:
        rendered = render(text, TemplateContext.from_environment(env))
    except Exception as exc:  # noqa: BLE001 - a broken buffer must not break the editor
        return _failed(text, fmt, f"the document could not be read: {exc}")
    if rendered is None:
        return _analyze_plain(text, fmt, extra_problems)
    return _analyze_rendered(text, fmt, rendered, extra_problems)


def read_value(text: str, fmt: ConfigFormat, env: Mapping[str, str] | None = None) -> Any:
    """The config as mirrord reads it (rendered with Tera, then parsed), without
    validating it: the parts that cannot be read are left out. Never raises."""
    try:
        rendered = render(text, TemplateContext.from_environment(env))
        return parse_document(rendered.text if rendered is not None else text, fmt).value
    except Exception:  # noqa: BLE001 - a broken buffer reads as no settings
        return {}


def _failed(text: str, fmt: ConfigFormat, message: str) -> Analysis:
    lines = LineIndex(text)
    empty = ParsedDocument(fmt, text, None, [], lines)
    return Analysis(empty, [Finding(Range.of(0, 0, 0, 0), message, "internal-error", "error", "")])


def _validated(
    parsed: ParsedDocument, findings: list[Finding], extra_problems: Iterable[Problem]
) -> MirrordConfig | None:
    """Validate `parsed` and add its placed problems to `findings`; the config model."""
    try:
        from mirrord_ide.config.validate import validate_config

        result = validate_config(parsed.value)
        problems = [*result.problems, *extra_problems]
        findings.extend(_placed(parsed, p) for p in problems)
        return result.config
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
        return None


def _analyze_plain(text: str, fmt: ConfigFormat, extra_problems: Iterable[Problem]) -> Analysis:
    try:
        parsed = parse_document(text, fmt)
    except Exception as exc:  # noqa: BLE001 - a broken buffer must not break the editor
        return _failed(text, fmt, f"the document could not be read: {exc}")
    findings = _syntax_findings(parsed)
    config = _validated(parsed, findings, extra_problems)
    findings.sort(key=lambda f: (f.range.start.line, f.range.start.character))
    return Analysis(parsed, findings, config)


def _analyze_rendered(
    text: str, fmt: ConfigFormat, rendered: Rendered, extra_problems: Iterable[Problem]
) -> Analysis:
    """Validate the rendered text; move every finding back into the file as written.

    A finding inside a tag's output lands on the whole tag; one inside output the
    editor could not evaluate (an opaque tag) is not reported."""
    try:
        as_written = parse_document(masked(text, rendered.tags, rendered.expressions), fmt)
        result = parse_document(rendered.text, fmt)
    except Exception as exc:  # noqa: BLE001
        return _failed(text, fmt, f"the document could not be read: {exc}")
    found = _syntax_findings(result)
    config = _validated(result, found, extra_problems)
    lines = LineIndex(text)
    findings: list[Finding] = []
    for finding in found:
        start = result.lines.to_offset(finding.range.start)
        end = result.lines.to_offset(finding.range.end)
        if rendered.is_opaque(start, end):
            continue
        src_start, src_end = rendered.source_range(start, end)
        findings.append(replace(finding, range=lines.range_from_offsets(src_start, src_end)))
    for problem in rendered.problems:
        findings.append(
            Finding(
                lines.range_from_offsets(problem.start, problem.end),
                problem.message,
                "template-error",
                "error",
                "",
            )
        )
    findings.sort(key=lambda f: (f.range.start.line, f.range.start.character))
    parsed = replace(as_written, text=text, rendered_value=result.value)
    return Analysis(parsed, findings, config)
