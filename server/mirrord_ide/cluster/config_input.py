"""What target discovery reads from a mirrord config: the target, its namespace
and the kinds the config rules out. Reads the file (or an open document's text)
in any of mirrord's formats; never raises on a malformed config, it says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mirrord_ide.cluster.targets import TargetRules
from mirrord_ide.config.target_path import TargetPathError, target_from_config_value
from mirrord_ide.errors import InvalidConfig


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
    if uri.startswith("file:"):
        return Path(unquote(urlparse(uri).path))
    return Path(uri)


def parse_config_text(text: str, name: str) -> Any:
    from mirrord_ide.document.formats import config_format
    from mirrord_ide.document.tree import parse_document

    fmt = config_format(name, allow_no_extension=True)
    if fmt is None:
        raise InvalidConfig(
            f"{name}: unsupported config extension", hint="use .json, .toml, .yaml or .yml"
        )
    return parse_document(text, fmt).value


def load_config_file(path_or_uri: str, text: str | None = None) -> DiscoveryConfig:
    """Read a config from `text` (an open document) or from the file itself."""
    path = uri_to_path(path_or_uri)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidConfig(
                f"cannot read the config {path}: {error.strerror or error}",
                hint="check the configUri / --config path",
            ) from None
    return DiscoveryConfig.from_value(parse_config_text(text, str(path)))
