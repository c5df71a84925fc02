"""The mirrord target path grammar.

`targetless`, `<type>/<name>[/container/<container>]` and
`label/k=v[,k2=v2...][/container/<container>]`. Type prefixes are case-sensitive
and `deploy` is the only alias (for `deployment`). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mirrord_ide.config.suggest import close_matches

TargetKind = Literal[
    "pod",
    "deployment",
    "rollout",
    "job",
    "cronjob",
    "statefulset",
    "service",
    "replicaset",
    "label",
    "targetless",
]

# Path prefixes mirrord accepts, mapped to the kind they name.
PREFIXES: dict[str, TargetKind] = {
    "pod": "pod",
    "deployment": "deployment",
    "deploy": "deployment",
    "rollout": "rollout",
    "job": "job",
    "cronjob": "cronjob",
    "statefulset": "statefulset",
    "service": "service",
    "replicaset": "replicaset",
}

# Target kinds that only work through mirrord's operator (open source: pod, deployment,
# rollout and targetless).
OPERATOR_KINDS: frozenset[str] = frozenset(
    {"job", "cronjob", "statefulset", "service", "replicaset", "label"}
)

# The bare-object config form names some kinds in snake_case.
OBJECT_KEYS: dict[str, TargetKind] = {
    "pod": "pod",
    "deployment": "deployment",
    "rollout": "rollout",
    "job": "job",
    "cron_job": "cronjob",
    "stateful_set": "statefulset",
    "service": "service",
    "replica_set": "replicaset",
    "labels": "label",
}

FORMATS_HINT = (
    "targetless, <type>/<name>[/container/<container>] with <type> one of "
    "pod, deployment (or deploy), rollout, job, cronjob, statefulset, service, replicaset, "
    "or label/<key>=<value>[,<key>=<value>...][/container/<container>]"
)


class TargetPathError(ValueError):
    """A target path that mirrord would reject. `code` is a stable identifier."""

    def __init__(self, message: str, code: str = "invalid-target-path"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class TargetPath:
    kind: TargetKind
    name: str | None = None
    container: str | None = None
    labels: tuple[tuple[str, str], ...] = field(default=())

    @property
    def canonical(self) -> str:
        """The form mirrord displays and writes back (`deploy` becomes `deployment`)."""
        if self.kind == "targetless":
            return "targetless"
        if self.kind == "label":
            body = ",".join(f"{k}={v}" for k, v in sorted(self.labels))
        else:
            body = self.name or ""
        text = f"{self.kind}/{body}"
        if self.container is not None:
            text += f"/container/{self.container}"
        return text

    @property
    def requires_operator(self) -> bool:
        return self.kind in OPERATOR_KINDS

    @property
    def is_targetless(self) -> bool:
        return self.kind == "targetless"

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def __str__(self) -> str:
        return self.canonical


TARGETLESS = TargetPath(kind="targetless")


def parse_target_path(text: str) -> TargetPath:
    """Parse a target path string; raise `TargetPathError` with a precise message."""
    if not isinstance(text, str):
        raise TargetPathError(f"a target path must be a string, got {type(text).__name__}")
    if text == "targetless":
        return TARGETLESS
    if text.strip() == "":
        raise TargetPathError(
            'the target path is empty; use "targetless" or a path such as pod/<name>',
            "missing-target-name",
        )
    prefix, sep, rest = text.partition("/")
    if prefix == "label":
        return _parse_label(text, rest if sep else None)
    kind = PREFIXES.get(prefix)
    if kind is None:
        raise TargetPathError(_unknown_type_message(text, prefix, bool(sep)), "unknown-target-type")
    if not sep:
        raise TargetPathError(
            f"target `{text}` has no name: expected `{prefix}/<name>`", "missing-target-name"
        )
    parts = rest.split("/")
    name = parts[0]
    if name == "":
        raise TargetPathError(
            f"target `{text}` has an empty name: expected `{prefix}/<name>`",
            "missing-target-name",
        )
    container = _parse_container_suffix(text, parts[1:])
    return TargetPath(kind=kind, name=name, container=container)


def _parse_container_suffix(text: str, tail: list[str]) -> str | None:
    if not tail:
        return None
    token = tail[0]
    if token != "container":
        close = close_matches(token, ["container"], n=1, cutoff=0.6)
        hint = " (did you mean `container`?)" if close else ""
        raise TargetPathError(
            f"target `{text}`: expected `container` after the name, found `{token}`{hint}",
            "invalid-target-path",
        )
    if len(tail) < 2 or tail[1] == "":
        raise TargetPathError(
            f"target `{text}`: `container` must be followed by a container name, "
            "e.g. `/container/app`",
            "missing-container-name",
        )
    if len(tail) > 2:
        extra = "/".join(tail[2:])
        raise TargetPathError(
            f"target `{text}` has unexpected trailing parts `{extra}` after the container name",
            "trailing-target-parts",
        )
    return tail[1]


def _unknown_type_message(text: str, prefix: str, has_slash: bool) -> str:
    choices = sorted(set(PREFIXES) | {"label", "targetless"})
    close = close_matches(prefix, choices, n=1, cutoff=0.6)
    if not close:
        close = close_matches(prefix.lower(), choices, n=1, cutoff=0.6)
    if has_slash:
        msg = f"unknown target type `{prefix}` in `{text}`"
        if close:
            msg += f"; did you mean `{close[0]}`?"
        msg += f" Supported types: {', '.join(sorted(set(PREFIXES.values()) | {'label'}))}"
        return msg
    if close and close[0] == "targetless":
        return f"unknown target `{text}`; did you mean `targetless`?"
    return (
        f"target `{text}` has no type; did you remember a prefix, e.g. pod/{text}? "
        f"Accepted forms: {FORMATS_HINT}"
    )


def _parse_label(text: str, rest: str | None) -> TargetPath:
    usage = f"label target `{text}` must use `label/key=value[,key=value...][/container/name]`"
    if rest is None or rest == "":
        raise TargetPathError(
            f"{usage}: it must contain at least one label", "invalid-label-target"
        )
    body, container = rest, None
    # Labels may not contain `/container/`; mirrord splits on its last occurrence.
    idx = rest.rfind("/container/")
    if idx >= 0:
        body, container = rest[:idx], rest[idx + len("/container/") :]
        if container == "":
            raise TargetPathError(
                f"target `{text}`: `container` must be followed by a container name",
                "missing-container-name",
            )
        if "/" in container:
            raise TargetPathError(
                f"target `{text}` has unexpected trailing parts after the container name",
                "trailing-target-parts",
            )
    elif rest.endswith("/container"):
        raise TargetPathError(
            f"target `{text}`: `container` must be followed by a container name",
            "missing-container-name",
        )
    if body == "":
        raise TargetPathError(
            f"{usage}: it must contain at least one label", "invalid-label-target"
        )
    labels: list[tuple[str, str]] = []
    seen: set[str] = set()
    for pair in body.split(","):
        key, eq, value = pair.partition("=")
        if not eq:
            raise TargetPathError(
                f"{usage}: `{pair}` is not a `key=value` pair", "invalid-label-target"
            )
        if key == "":
            raise TargetPathError(
                f"{usage}: the label `{pair}` has an empty key", "invalid-label-target"
            )
        if key in seen:
            raise TargetPathError(
                f"label target `{text}` contains the key `{key}` more than once",
                "invalid-label-target",
            )
        seen.add(key)
        labels.append((key, value))
    return TargetPath(kind="label", labels=tuple(labels), container=container)


def target_from_object(value: Mapping[str, Any]) -> TargetPath:
    """The bare object form, e.g. `{"pod": "x", "container": "c"}` or `{"labels": {...}}`."""
    kinds = [k for k in value if k in OBJECT_KEYS]
    if len(kinds) != 1:
        raise TargetPathError(
            "a target object needs exactly one of "
            + ", ".join(f"`{k}`" for k in OBJECT_KEYS)
            + (f" (found {', '.join(kinds)})" if kinds else ""),
            "invalid-target-path",
        )
    key = kinds[0]
    container = value.get("container")
    if container is not None and not isinstance(container, str):
        raise TargetPathError("`container` must be a string", "invalid-target-path")
    if key == "labels":
        labels = value[key]
        if not isinstance(labels, Mapping) or not labels:
            raise TargetPathError(
                "`labels` must be an object with at least one label", "invalid-label-target"
            )
        if any(k == "" for k in labels):
            raise TargetPathError("a label key must not be empty", "invalid-label-target")
        return TargetPath(
            kind="label",
            labels=tuple((str(k), str(v)) for k, v in labels.items()),
            container=container,
        )
    name = value[key]
    if not isinstance(name, str):
        raise TargetPathError(f"`{key}` must be a string (the resource name)")
    return TargetPath(kind=OBJECT_KEYS[key], name=name, container=container)


def _path_value(value: Any) -> TargetPath | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_target_path(value)
    if isinstance(value, Mapping):
        return target_from_object(value)
    raise TargetPathError(
        f"a target must be a string, an object or null, not {type(value).__name__}"
    )


def target_from_config_value(value: Any) -> tuple[TargetPath | None, str | None]:
    """Read the config's `target` value in any of its forms.

    Returns (target, namespace). target is None when no target is named (absent,
    null, `{}` or `{"namespace": ...}`), `TARGETLESS` for the literal "targetless".
    Raises `TargetPathError` for a malformed target.
    """
    # A pydantic model (the validated config) is read through its JSON form.
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json", exclude_none=True)
    if value is None or isinstance(value, str):
        return _path_value(value), None
    if isinstance(value, Mapping):
        if any(k in OBJECT_KEYS for k in value):
            return target_from_object(value), None
        namespace = value.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            raise TargetPathError("`target.namespace` must be a string")
        return _path_value(value.get("path")), namespace
    raise TargetPathError(
        f"`target` must be a string, an object or null, not {type(value).__name__}"
    )
