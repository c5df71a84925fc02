"""Reading a mirrord config: the one reader behind the picker, `listTargets`,
`startSession`, the live checks, `ls -f` and `verify-config`.

A config is named by a path or a `file://` URI. An open editor document's text
wins over the file on disk (`document_text`). Two readings:

- `load_config_file(...)`: what target discovery needs (the target, its namespace
  and the kinds the config rules out), tolerant: a malformed target is described
  in `problem`, never raised;
- `load_config_file(..., strict=True)` and `validated_config`: the config exactly
  as the editor analyses it; any error (syntax, unknown key, bad value) is an
  `invalid-config` error naming the file, line and column.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mirrord_ide.cluster.targets import TargetRules
from mirrord_ide.config.target_path import TargetPathError, target_from_config_value
from mirrord_ide.errors import InvalidConfig

FIX_HINT = "fix the errors the editor shows in that file (or run `mirrord-ide verify-config`)"


@dataclass(slots=True)
class DiscoveryConfig:
    value: Any = None  # the parsed config (plain dict), None without a config
    target: str | None = None  # canonical path or "targetless"
    namespace: str | None = None
    rules: TargetRules = field(default_factory=TargetRules.none)
    problem: str | None = None  # why the target could not be read

    @staticmethod
    def from_value(value: Any) -> DiscoveryConfig:
        out = DiscoveryConfig(value=value, rules=TargetRules.from_config(value))
        if not isinstance(value, dict):
            return out
        try:
            target, namespace = target_from_config_value(value.get("target"))
        except TargetPathError as error:
            out.problem = f"the config's target is invalid: {error.message}"
            namespace = _namespace_only(value.get("target"))
            target = None
        out.target = target.canonical if target is not None else None
        out.namespace = namespace
        return out


def _namespace_only(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("namespace"), str):
        return str(value["namespace"])
    return None


def uri_to_path(uri: str) -> Path:
    """The file a path or `file://` URI names; other schemes are an `invalid-config` error."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise InvalidConfig(f"unsupported config URI `{uri}`", hint="use a file:// URI or a path")
    return Path(uri)


def config_name(uri: str) -> str:
    """How a config is named in messages: its path when it has one."""
    with contextlib.suppress(InvalidConfig):
        return str(uri_to_path(uri))
    return uri


def document_text(ls: Any, uri: str) -> str | None:
    """The text of `uri` if the editor has it open (the server's analysed copy first)."""
    analyzed = getattr(ls, "documents", {}).get(uri)
    if analyzed is not None and isinstance(getattr(analyzed, "text", None), str):
        return str(analyzed.text)
    try:
        doc = ls.workspace.text_documents.get(uri)
    except Exception:  # noqa: BLE001 - no workspace yet
        doc = None
    return str(doc.source) if doc is not None else None


def read_config_text(uri: str, ls: Any = None) -> str:
    """The config's text: the open document's (when `ls` has it open), else the file's."""
    if ls is not None:
        text = document_text(ls, uri)
        if text is not None:
            return text
    path = uri_to_path(uri)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidConfig(
            f"the config file {path} is not valid UTF-8", hint="save it as UTF-8"
        ) from None
    except OSError as error:
        raise InvalidConfig(
            f"cannot read the config file {path}: {error.strerror or error}",
            hint="check the configUri / --config path (the file must exist and be readable)",
        ) from None


def _format(name: str) -> Any:
    from mirrord_ide.document.formats import config_format

    fmt = config_format(name, allow_no_extension=True)
    if fmt is None:
        raise InvalidConfig(
            f"the config file {name} has an unsupported extension",
            hint="use .json, .toml, .yaml or .yml",
        )
    return fmt


def parse_config_text(text: str, name: str) -> Any:
    from mirrord_ide.document.analysis import read_value

    return read_value(text, _format(name))


def analyze_config_text(text: str, name: str) -> Any:
    """The editor's analysis of the config (the same parsers, limits and rules)."""
    from mirrord_ide.document.analysis import analyze

    return analyze(text, _format(name))


def require_no_errors(analysis: Any, name: str) -> None:
    """`invalid-config` naming the file and its first error (1-based line:column)."""
    errors = analysis.errors
    if not errors and analysis.config is not None:
        return
    if not errors:
        raise InvalidConfig(f"the config file {name} could not be read", hint=FIX_HINT)
    first = errors[0]
    start = first.range.start
    where = f" (`{first.path}`)" if first.path else ""
    count = f"{len(errors)} errors; the first: " if len(errors) > 1 else ""
    raise InvalidConfig(
        f"the config file {name} is not valid: {count}line {start.line + 1}, column "
        f"{start.character + 1}{where}: {first.message}",
        hint=FIX_HINT,
    )


def validated_config(text: str, uri: str) -> Any:
    """The validated MirrordConfig of `text`; any error is `invalid-config`."""
    name = config_name(uri)
    analysis = analyze_config_text(text, name)
    require_no_errors(analysis, name)
    return analysis.config


def load_config_file(
    path_or_uri: str, text: str | None = None, *, strict: bool = False, ls: Any = None
) -> DiscoveryConfig:
    """Read a config from `text`, the editor's open document (`ls`) or the file itself.
    `strict`: the config must be free of errors, as `startSession` requires."""
    if text is None:
        text = read_config_text(path_or_uri, ls)
    name = config_name(path_or_uri)
    if strict:
        analysis = analyze_config_text(text, name)
        require_no_errors(analysis, name)
        return DiscoveryConfig.from_value(analysis.parsed.value)
    return DiscoveryConfig.from_value(parse_config_text(text, name))
