"""Live config checks: does the configured namespace, target and container exist?

Warnings only, each with the closest existing names, located at the config key
that names the missing thing. A cluster that cannot be read produces no
warnings at all: the file is not wrong because the cluster is away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrord_ide.cluster.kinds import TARGET_KIND_ORDER
from mirrord_ide.cluster.kubeconfig import KubeSettings
from mirrord_ide.cluster.service import DEFAULT_TIMEOUT, ClusterService, closest
from mirrord_ide.cluster.targets import SIDECARS
from mirrord_ide.config.problems import KeyPath, Problem
from mirrord_ide.config.target_path import (
    OBJECT_KEYS,
    TargetPath,
    TargetPathError,
    target_from_config_value,
)
from mirrord_ide.errors import MirrordError

# The kinds discovery lists, so their objects can be looked up in its catalog.
CHECKED_KINDS = frozenset(TARGET_KIND_ORDER)


@dataclass(frozen=True, slots=True)
class TargetRef:
    """Where the config names its target and namespace, as key paths."""

    target: TargetPath | None
    namespace: str | None
    target_path: KeyPath  # the value naming the target (string or the object's kind key)
    container_path: KeyPath  # the `container` key, or the target string
    namespace_path: KeyPath


def _as_dict(config: Any) -> Any:
    dump = getattr(config, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return config


def locate_target(config: Any) -> TargetRef | None:
    """Read the target from a config (raw dict or model); None when it is malformed."""
    raw = _as_dict(config)
    value = raw.get("target") if isinstance(raw, Mapping) else None
    try:
        target, namespace = target_from_config_value(value)
    except TargetPathError:
        return None
    base: KeyPath = ("target",)
    path_value: Any = value
    if isinstance(value, Mapping) and not any(k in OBJECT_KEYS for k in value):
        base = ("target", "path")
        path_value = value.get("path")
    if isinstance(path_value, Mapping):
        kind_key = next((k for k in path_value if k in OBJECT_KEYS), None)
        target_key: KeyPath = (*base, kind_key) if kind_key else base
        container_key: KeyPath = (*base, "container") if "container" in path_value else target_key
    else:
        target_key = container_key = base
    return TargetRef(target, namespace, target_key, container_key, ("target", "namespace"))


def _suggest(names: list[str]) -> str:
    return f"; did you mean {', '.join(names)}?" if names else ""


async def live_problems(
    config: Any,
    service: ClusterService,
    *,
    namespace_override: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Problem]:
    """Warnings for a namespace, target or container that the cluster does not have."""
    ref = locate_target(config)
    if ref is None:
        return []
    try:
        return await _check(ref, service, namespace_override, timeout)
    except MirrordError:
        return []  # unreachable, forbidden, slow: no live verdict


async def _check(
    ref: TargetRef, service: ClusterService, namespace_override: str | None, timeout: float
) -> list[Problem]:
    namespace = namespace_override or ref.namespace or await service.current_namespace(timeout)
    exists = await service.namespace_exists(namespace, timeout)
    if exists is False:
        if ref.namespace is None or namespace_override:
            return []  # not the file's fault
        listing = await service.list_namespaces(timeout)
        near = closest(namespace, listing.namespaces)
        return [
            Problem(
                path=ref.namespace_path,
                message=f'namespace "{namespace}" not found in the cluster{_suggest(near)}',
                code="namespace-not-found",
                severity="warning",
                data={"suggestions": near},
            )
        ]
    target = ref.target
    if target is None or target.kind not in CHECKED_KINDS or target.name is None:
        return []
    snap = await service.snapshot(namespace, timeout)
    if target.kind in snap.hidden:
        return []
    records: list[Any] = (
        snap.pods if target.kind == "pod" else [w for w in snap.workloads if w.kind == target.kind]
    )
    by_name = {r.name: r for r in records}
    found = by_name.get(target.name)
    if found is None:
        near = closest(target.name, list(by_name))
        suggestions = [f"{target.kind}/{n}" for n in near]
        return [
            Problem(
                path=ref.target_path,
                message=(
                    f'{target.kind} "{target.name}" not found in namespace "{namespace}"'
                    f"{_suggest(suggestions)}"
                ),
                code="target-not-found",
                severity="warning",
                data={"suggestions": suggestions},
            )
        ]
    containers = list(found.containers)
    if target.container is not None and containers and target.container not in containers:
        candidates = [c for c in containers if c not in SIDECARS] or containers
        near = closest(target.container, candidates) or candidates
        return [
            Problem(
                path=ref.container_path,
                message=(
                    f'container "{target.container}" not found in {target.kind}/{target.name} '
                    f"(containers: {', '.join(containers)})"
                ),
                code="container-not-found",
                severity="warning",
                data={"suggestions": near},
            )
        ]
    return []


def live_problems_sync(
    config: Any, settings: KubeSettings, timeout: float = DEFAULT_TIMEOUT
) -> list[Problem]:
    """`live_problems` for command-line use: a fresh connection, closed afterwards."""

    async def run() -> list[Problem]:
        service = ClusterService(settings, timeout=timeout)
        try:
            return await live_problems(config, service, timeout=timeout)
        finally:
            service.close()

    return asyncio.run(run())
