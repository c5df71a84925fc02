"""Kubernetes names in a config: the target's name and container, its namespace and
the agent's namespace must be names the API server accepts (see `mirrord_ide.names`).

mirrord sends these names to the cluster as they are written; one it rejects (or
one that reads as another path, such as `default/../kube-system`) fails at start-up
or, worse, finds something else. Each bad name is an error located at its key.
"""

from __future__ import annotations

from mirrord_ide.names import check_name, name_problem, rule_for, show

from .model import MirrordConfig, TargetObject, TargetSpec
from .problems import KeyPath, Problem
from .target_path import OBJECT_KEYS, TargetPath, TargetPathError, target_from_config_value

CODE = "invalid-name"


def _templated(value: str) -> bool:
    return "{{" in value or "{%" in value


def _problem(path: KeyPath, kind: str, value: str) -> Problem | None:
    if _templated(value):
        return None  # rendered before mirrord reads it
    why = name_problem(value, rule_for(kind))
    if why is None:
        return None
    return Problem(path, f"`{show(value)}` is not a valid {kind} name: {why}", CODE)


def _target_keys(config: MirrordConfig) -> tuple[KeyPath, KeyPath]:
    """Where the target's name and its container are written."""
    value = config.target
    base: KeyPath = ("target",)
    if isinstance(value, TargetSpec):
        base = ("target", "path")
        value = value.path
    if isinstance(value, TargetObject):
        key = next((k for k in OBJECT_KEYS if getattr(value, k, None) is not None), None)
        name_at: KeyPath = (*base, key) if key else base
        return name_at, (*base, "container")
    return base, base


def check_kube_names(config: MirrordConfig) -> list[Problem]:
    """Errors for names in the target, `target.namespace` and `agent.namespace` that
    Kubernetes would reject."""
    problems: list[Problem | None] = []
    try:
        target, namespace = target_from_config_value(config.target)
    except TargetPathError:
        target, namespace = None, None  # reported by the target path checks
    if target is not None and not target.is_targetless:
        name_at, container_at = _target_keys(config)
        if target.name is not None and target.kind != "label":
            problems.append(_problem(name_at, target.kind, target.name))
        if target.container is not None and target.container != "":
            problems.append(_problem(container_at, "container", target.container))
    if namespace is not None:
        problems.append(_problem(("target", "namespace"), "namespace", namespace))
    if config.agent.namespace is not None:
        problems.append(_problem(("agent", "namespace"), "namespace", config.agent.namespace))
    return [p for p in problems if p is not None]


def check_target_names(target: TargetPath, source: str) -> TargetPath:
    """`target` if its name and container are names Kubernetes accepts; else
    `InvalidConfig` quoting the bad one and naming `source` (a request parameter, an
    environment variable)."""
    if target.name is not None and target.kind not in ("label", "targetless"):
        check_name(target.kind, target.name, source)
    if target.container is not None:
        check_name("container", target.container, source)
    return target
