"""The config with every default filled, as `verify-config` prints it."""

from __future__ import annotations

from typing import Any

from .model import MirrordConfig
from .target_path import OBJECT_KEYS, TargetPath, TargetPathError, target_from_config_value

# The object key mirrord uses for each target kind when it prints a target.
_KIND_KEYS = {kind: key for key, kind in OBJECT_KEYS.items()}


def target_json(target: TargetPath | None) -> Any:
    """A target as mirrord prints it: null, "targetless" or `{"<kind>": name, "container"}`."""
    if target is None:
        return None
    if target.is_targetless:
        return "targetless"
    key = _KIND_KEYS[target.kind]
    value: Any = target.label_map if target.kind == "label" else target.name
    return {key: value, "container": target.container}


def resolved_config_json(config: MirrordConfig) -> dict[str, Any]:
    """The whole config, JSON-able, defaults filled; `target` as `{"path", "namespace"}`."""
    data = config.model_dump(mode="json", by_alias=True)
    try:
        target, namespace = target_from_config_value(config.target)
        path: Any = target_json(target)
    except TargetPathError:
        # Kept as written (e.g. a template that mirrord renders before parsing).
        raw = config.target
        path = raw if isinstance(raw, str) else data.get("target")
        namespace = None
    data["target"] = {"path": path, "namespace": namespace}
    return data
