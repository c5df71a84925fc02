"""Target picker items for `mirrord/targetPickerItems` (pure).

One list a client can show as is: messages first (why something is missing),
the `No Target ("targetless")` choice, then the targets grouped by kind under
separators, then the namespaces a user can switch to. When a target (or
targetless) is already chosen, by the request, the environment or the config
(in that order), the client may skip the dialog and use `preselected`. That
choice is made by `config.precedence.resolve_selection`, the resolution
`startSession` applies, so the picker never promises what a launch would not do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mirrord_ide.cluster.kinds import TARGET_KINDS
from mirrord_ide.cluster.targets import KIND_ORDER, Target
from mirrord_ide.config.precedence import (
    ENV_TARGET_NAMESPACE,
    UNSET,
    Selection,
    resolve_selection,
)

ENV_NAMESPACE = ENV_TARGET_NAMESPACE
TARGETLESS_LABEL = 'No Target ("targetless")'
ALL_NAMESPACES_LABEL = "All namespaces"
SECTION_TITLES = {kind.name: kind.title for kind in TARGET_KINDS}


@dataclass(frozen=True, slots=True)
class Preselection:
    """A choice made before the dialog: a target path or "targetless", and who made it."""

    choice: str | None
    source: str | None  # "request" | "env" | "config" | None
    problems: tuple[str, ...] = ()  # inputs skipped as malformed (shown as messages)


def preselection_of(selection: Selection) -> Preselection:
    """The picker's view of a resolved selection."""
    if selection.target is None:
        return Preselection(None, None, selection.problems)
    return Preselection(selection.target.canonical, selection.source, selection.problems)


def _config(target: str | None, namespace: str | None) -> dict[str, Any] | None:
    if target is None and namespace is None:
        return None
    return {"target": {"path": target, "namespace": namespace}}


def choose_preselection(
    request_target: str | None,
    env: Mapping[str, str],
    config_target: str | None,
) -> Preselection:
    """request > env (`MIRRORD_IMPERSONATED_TARGET`: the request's, then the server's)
    > config, as `resolve_selection` decides; a malformed value is skipped and reported."""
    selection = resolve_selection(
        request_target=request_target if request_target else UNSET,
        env=env,
        config=_config(config_target, None),
        lenient=True,
    )
    return preselection_of(selection)


def choose_namespace(
    request_namespace: str | None,
    env: Mapping[str, str],
    config_namespace: str | None,
    default: str,
) -> str:
    """request > env (`MIRRORD_TARGET_NAMESPACE`: the request's, then the server's) >
    config > the kube context's namespace, as `resolve_selection` decides."""
    selection = resolve_selection(
        request_namespace=request_namespace,
        env=env,
        config=_config(None, config_namespace),
        kube_namespace=default,
        lenient=True,
    )
    return selection.namespace


@dataclass(slots=True)
class PickerInput:
    namespace: str  # the namespace shown ("" in all-namespaces mode is allowed)
    targets: Sequence[Target] | None  # None: the cluster could not be read
    namespaces: Sequence[str] | None = None  # None: unknown (e.g. listing forbidden)
    all_namespaces: bool = False
    messages: list[str] = field(default_factory=list)
    hidden: Mapping[str, str] = field(default_factory=dict)  # kind -> why it is missing
    preselection: Preselection = field(default_factory=lambda: Preselection(None, None))
    targetless_reason: str | None = None  # set when the config rules targetless out
    filter: str | None = None


def _message(label: str, detail: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"label": label, "kind": "message"}
    if detail:
        item["detail"] = detail
    return item


def _matches(needle: str, *haystack: str | None) -> bool:
    return any(needle in h.lower() for h in haystack if h)


class _SearchKeys:
    """Each target's path and namespace, lowercased, for the last target list filtered:
    typing into the picker of a big cluster filters the same list again and again."""

    def __init__(self) -> None:
        self._targets: Sequence[Target] | None = None  # held, so its identity stays valid
        self._keys: list[str] = []

    def keys(self, targets: Sequence[Target]) -> list[str]:
        if targets is not self._targets or len(targets) != len(self._keys):
            self._keys = [f"{t.path}\x00{t.namespace}".lower() for t in targets]
            self._targets = targets
        return self._keys


_SEARCH = _SearchKeys()


def _filtered(targets: Sequence[Target], needle: str) -> list[Target]:
    if "\x00" in needle:  # cannot use the joined keys
        return [t for t in targets if _matches(needle, t.path, t.namespace)]
    keys = _SEARCH.keys(targets)
    return [t for t, key in zip(targets, keys, strict=True) if needle in key]


def _target_item(target: Target, all_namespaces: bool) -> dict[str, Any]:
    parts = []
    if all_namespaces:
        parts.append(target.namespace)
    if target.container and "/container/" not in target.path:
        parts.append(f"container {target.container}")
    item: dict[str, Any] = {
        "label": target.path,
        "kind": "target",
        "path": target.path,
        "namespace": target.namespace,
        "available": target.available,
    }
    if not target.available:
        parts.append(f"unavailable: {target.reason or 'not ready'}")
        item["detail"] = target.reason or "not ready"
    if parts:
        item["description"] = " · ".join(parts)
    return item


def _grouped(targets: Iterable[Target]) -> dict[str, list[Target]]:
    groups: dict[str, list[Target]] = {kind: [] for kind in KIND_ORDER}
    for target in targets:
        groups.setdefault(target.kind, []).append(target)
    return groups


@dataclass(slots=True)
class _TargetRun:
    """Target items not built yet: a big cluster has tens of thousands."""

    targets: list[Target]
    all_namespaces: bool


def _build(data: PickerInput) -> tuple[dict[str, Any], list[dict[str, Any] | _TargetRun]]:
    """The result without its items, and the items (runs of targets left unbuilt)."""
    needle = (data.filter or "").strip().lower()
    items: list[dict[str, Any] | _TargetRun] = []

    for text in [*data.messages, *data.preselection.problems]:
        items.append(_message(text))
    for kind, why in data.hidden.items():
        title = SECTION_TITLES.get(kind, kind).lower()
        items.append(_message(f"{title} hidden: not allowed to list them", why))

    targetless: dict[str, Any] = {"label": TARGETLESS_LABEL, "kind": "targetless", "path": None}
    if data.targetless_reason:
        targetless["description"] = f"unavailable: {data.targetless_reason}"
        targetless["detail"] = data.targetless_reason
        targetless["available"] = False
    else:
        targetless["description"] = "run with the cluster's network and files, without a target"
    items.append(targetless)

    if data.targets is not None:
        shown = 0
        targets = _filtered(data.targets, needle) if needle else data.targets
        for kind, group in _grouped(targets).items():
            if not group:
                continue
            items.append({"label": SECTION_TITLES.get(kind, kind), "kind": "separator"})
            items.append(_TargetRun(group, data.all_namespaces))
            shown += len(group)
        if shown == 0 and not data.messages:
            where = "any namespace" if data.all_namespaces else f"namespace {data.namespace}"
            items.append(
                _message(
                    f'no targets match "{data.filter}"' if needle else f"no targets in {where}",
                    "pick another namespace below" if data.namespaces else None,
                )
            )

    namespace_items: list[dict[str, Any]] = []
    if not data.all_namespaces and (data.targets is not None or data.namespaces):
        namespace_items.append(
            {
                "label": ALL_NAMESPACES_LABEL,
                "kind": "namespace",
                "allNamespaces": True,
                "description": "list targets in every namespace you may read",
            }
        )
    for ns in data.namespaces or ():
        if ns == data.namespace and not data.all_namespaces:
            continue
        if needle and not _matches(needle, ns):
            continue
        namespace_items.append(
            {"label": ns, "kind": "namespace", "namespace": ns, "description": "switch namespace"}
        )
    if namespace_items:
        items.append({"label": "Namespaces", "kind": "separator"})
        items.extend(namespace_items)

    choice = data.preselection.choice
    result: dict[str, Any] = {
        "namespace": data.namespace,
        "skipDialog": choice is not None,
        "preselected": choice,
        "items": [],
    }
    if data.preselection.source:
        result["preselectedBy"] = data.preselection.source
    if data.all_namespaces:
        result["allNamespaces"] = True
    return result, items


def picker_items(data: PickerInput) -> dict[str, Any]:
    result, parts = _build(data)
    items: list[dict[str, Any]] = result["items"]
    for part in parts:
        if isinstance(part, _TargetRun):
            items.extend(_target_item(t, part.all_namespaces) for t in part.targets)
        else:
            items.append(part)
    return result


# Target items encoded this many at a time: the JSON of a big cluster's picker is
# made without holding a dict per target all at once.
_CHUNK = 2048


def picker_items_json(data: PickerInput, extra: Mapping[str, Any] | None = None) -> bytes:
    """`picker_items(data)` (with `extra` fields added) as JSON bytes, the same bytes
    `orjson.dumps` would make of it, using far less memory for big target lists."""
    result, parts = _build(data)
    result.update(extra or {})
    encoded: list[bytes] = []
    for part in parts:
        if isinstance(part, _TargetRun):
            for i in range(0, len(part.targets), _CHUNK):
                chunk = part.targets[i : i + _CHUNK]
                encoded.append(
                    orjson.dumps([_target_item(t, part.all_namespaces) for t in chunk])[1:-1]
                )
        else:
            encoded.append(orjson.dumps(part))
    # Every string in the shell is escaped, so the first bare `"items":[]` is the key.
    head, tail = orjson.dumps(result).split(b'"items":[]', 1)
    out: list[bytes] = [head, b'"items":[']
    for i, piece in enumerate(encoded):
        if i:
            out.append(b",")
        out.append(piece)
    out += [b"]", tail]
    return b"".join(out)  # one copy of what may be megabytes
