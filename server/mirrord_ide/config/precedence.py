"""Where the target and the namespaces come from: one resolution for the picker,
`startSession`, the live config checks and `ls`.

Each value is resolved on its own, first found wins:

1. the request's params (the role of mirrord's CLI flags);
2. the request's `env` (the debuggee's environment: `MIRRORD_IMPERSONATED_TARGET`,
   `MIRRORD_TARGET_NAMESPACE`, `MIRRORD_AGENT_NAMESPACE`);
3. the same variables in the server's own environment;
4. the config file (`target`, `target.namespace`, `agent.namespace`);
5. the kubeconfig context's namespace (namespaces only).

mirrord reads the same variables over its config file (mirrord/config/src/target.rs
and agent.rs: `FromEnv("MIRRORD_IMPERSONATED_TARGET")`, `FromEnv("MIRRORD_TARGET_NAMESPACE")`,
`FromEnv("MIRRORD_AGENT_NAMESPACE")` come before the file's value). So a request may
name the target while the namespace still comes from the config file. Namespaces are
checked as Kubernetes names wherever they come from. Pure: no I/O.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ..errors import InvalidConfig
from ..names import check_namespace
from .kube_names import check_target_names
from .model import MirrordConfig
from .target_path import (
    TARGETLESS,
    TargetPath,
    TargetPathError,
    parse_target_path,
    target_from_config_value,
)

ENV_TARGET: Final = "MIRRORD_IMPERSONATED_TARGET"
ENV_TARGET_NAMESPACE: Final = "MIRRORD_TARGET_NAMESPACE"
ENV_AGENT_NAMESPACE: Final = "MIRRORD_AGENT_NAMESPACE"

Source = Literal["request", "env", "config", "none"]


class Unset(enum.Enum):
    """Marks a request parameter that was not given (as opposed to an explicit null)."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class Selection:
    target: TargetPath | None  # None: nothing chosen yet (the IDE shows its picker)
    targetless: bool  # explicitly targetless
    namespace: str  # the target namespace
    agent_namespace: str | None  # None: the agent goes where mirrord puts it by default
    source: Source  # where the target choice came from
    namespace_source: Source = "none"
    kube_namespace: str = "default"
    # Inputs that were skipped as malformed (only with `lenient=True`), as messages.
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def effective_agent_namespace(self) -> str:
        """Where the agent pod goes: targetless runs use the target namespace."""
        if self.target is None or self.targetless:
            return self.namespace
        return self.agent_namespace or self.kube_namespace

    @property
    def target_path(self) -> str | None:
        """The canonical path, "targetless", or None when nothing is chosen."""
        return None if self.target is None else self.target.canonical


TARGET_HINT = 'use "targetless" or a path such as pod/<name>[/container/<name>]'


def _parse(text: str, origin: str) -> TargetPath:
    try:
        target = parse_target_path(text)
    except TargetPathError as exc:
        raise InvalidConfig(f"invalid target in {origin}: {exc.message}", hint=TARGET_HINT) from exc
    return check_target_names(target, origin)


def _nonempty(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _config_parts(config: Any) -> tuple[Any, Any]:
    """The config's `target` value and `agent.namespace`, from the validated model or
    the config as parsed (a plain mapping)."""
    if config is None:
        return None, None
    if isinstance(config, Mapping):
        agent = config.get("agent")
        return config.get("target"), agent.get("namespace") if isinstance(agent, Mapping) else None
    agent_section = getattr(config, "agent", None)
    return getattr(config, "target", None), getattr(agent_section, "namespace", None)


class _Resolver:
    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient
        self.problems: list[str] = []

    def attempt(self, fn: Any, *args: Any) -> Any:
        """`fn(*args)`; with `lenient`, a malformed input is noted and skipped (None)."""
        try:
            return fn(*args)
        except InvalidConfig as error:
            if not self.lenient:
                raise
            self.problems.append(error.message)
            return None


def _namespace(value: str, origin: str) -> str:
    return check_namespace(value, origin)


def resolve_selection(
    *,
    request_target: str | None | Unset = UNSET,
    request_namespace: str | None = None,
    request_agent_namespace: str | None = None,
    env: Mapping[str, str] | None = None,
    server_env: Mapping[str, str] | None = None,
    config: MirrordConfig | Mapping[str, Any] | None = None,
    kube_namespace: str = "default",
    lenient: bool = False,
) -> Selection:
    """Apply the precedence. `request_target=None` means targetless, `UNSET` means not given.

    `env` is the request's environment (the debuggee's), `server_env` the server's own
    (`os.environ` when not given). `config` is the validated config or the config as
    parsed. Raises `InvalidConfig` for a malformed target or namespace, naming where it
    came from; with `lenient=True` a malformed input is skipped instead (the next source
    decides) and described in `Selection.problems`.
    """
    resolver = _Resolver(lenient)
    request_env = env or {}
    own_env = os.environ if server_env is None else server_env

    def from_env(name: str) -> tuple[str, str] | None:
        for where, values in (("the request's env", request_env), ("the environment", own_env)):
            value = _nonempty(values.get(name))
            if value is not None:
                return value, f"{name} in {where}"
        return None

    config_target_value, config_agent_namespace = _config_parts(config)
    config_target: TargetPath | None = None
    config_namespace: str | None = None

    def read_config_target() -> tuple[TargetPath | None, str | None]:
        try:
            return target_from_config_value(config_target_value)
        except TargetPathError as exc:
            raise InvalidConfig(
                f"invalid `target` in the config file: {exc.message}", hint=TARGET_HINT
            ) from exc

    found = resolver.attempt(read_config_target)
    if found is not None:
        config_target, config_namespace = found
    elif isinstance(config_target_value, Mapping):
        # A malformed target may still name its namespace.
        config_namespace = _nonempty(config_target_value.get("namespace"))

    target: TargetPath | None = None
    source: Source = "none"
    if not isinstance(request_target, Unset):
        if request_target is None:
            target, source = TARGETLESS, "request"
        else:
            target = resolver.attempt(_parse, request_target, "the request")
            source = "request" if target is not None else "none"
    if target is None and source == "none":
        env_target = from_env(ENV_TARGET)
        if env_target is not None:
            target = resolver.attempt(_parse, *env_target)
            source = "env" if target is not None else "none"
    if target is None and source == "none" and config_target is not None:
        target, source = config_target, "config"

    namespace: str | None = None
    namespace_source: Source = "none"
    if _nonempty(request_namespace):
        namespace = resolver.attempt(_namespace, request_namespace, "the request's namespace")
        namespace_source = "request"
    if namespace is None:
        env_namespace = from_env(ENV_TARGET_NAMESPACE)
        if env_namespace is not None:
            namespace = resolver.attempt(_namespace, *env_namespace)
            namespace_source = "env"
    if namespace is None and config_namespace:
        namespace = resolver.attempt(_namespace, config_namespace, "`target.namespace`")
        namespace_source = "config"
    if namespace is None:
        namespace, namespace_source = kube_namespace or "default", "none"

    agent_namespace: str | None = None
    if _nonempty(request_agent_namespace):
        agent_namespace = resolver.attempt(
            _namespace, request_agent_namespace, "the request's agent namespace"
        )
    if agent_namespace is None:
        env_agent = from_env(ENV_AGENT_NAMESPACE)
        if env_agent is not None:
            agent_namespace = resolver.attempt(_namespace, *env_agent)
    if agent_namespace is None and _nonempty(config_agent_namespace):
        agent_namespace = resolver.attempt(_namespace, config_agent_namespace, "`agent.namespace`")

    return Selection(
        target=target,
        targetless=target is not None and target.is_targetless,
        namespace=namespace,
        agent_namespace=agent_namespace,
        source=source,
        namespace_source=namespace_source,
        kube_namespace=kube_namespace or "default",
        problems=tuple(resolver.problems),
    )
