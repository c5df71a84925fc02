"""Where the target and the namespaces come from, in mirrord's documented order.

request params (the CLI flags' role) > environment (`MIRRORD_IMPERSONATED_TARGET`,
`MIRRORD_TARGET_NAMESPACE`, `MIRRORD_AGENT_NAMESPACE`) > config file > the kubeconfig
namespace. Each value is resolved on its own, so a request may name the target while
the namespace still comes from the config file. Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from ..errors import InvalidConfig
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


def _parse(text: str, origin: str) -> TargetPath:
    try:
        return parse_target_path(text)
    except TargetPathError as exc:
        raise InvalidConfig(
            f"invalid target in {origin}: {exc.message}",
            hint='use "targetless" or a path such as pod/<name>[/container/<name>]',
        ) from exc


def _nonempty(value: str | None) -> str | None:
    return value if value else None


def resolve_selection(
    *,
    request_target: str | None | Unset = UNSET,
    request_namespace: str | None = None,
    request_agent_namespace: str | None = None,
    env: Mapping[str, str] | None = None,
    config: MirrordConfig | None = None,
    kube_namespace: str = "default",
) -> Selection:
    """Apply the precedence. `request_target=None` means targetless, `UNSET` means not given.

    Raises `InvalidConfig` for a malformed target in the request, the environment
    (naming the variable) or the config file.
    """
    env = env or {}
    config_target: TargetPath | None = None
    config_namespace: str | None = None
    if config is not None and config.target is not None:
        try:
            config_target, config_namespace = target_from_config_value(config.target)
        except TargetPathError as exc:
            raise InvalidConfig(f"invalid `target` in the config file: {exc.message}") from exc

    target: TargetPath | None
    source: Source
    if not isinstance(request_target, Unset):
        target = TARGETLESS if request_target is None else _parse(request_target, "the request")
        source = "request"
    elif _nonempty(env.get(ENV_TARGET)):
        target = _parse(env[ENV_TARGET], ENV_TARGET)
        source = "env"
    elif config_target is not None:
        target, source = config_target, "config"
    else:
        target, source = None, "none"

    namespace_source: Source
    if _nonempty(request_namespace):
        namespace, namespace_source = str(request_namespace), "request"
    elif _nonempty(env.get(ENV_TARGET_NAMESPACE)):
        namespace, namespace_source = env[ENV_TARGET_NAMESPACE], "env"
    elif config_namespace:
        namespace, namespace_source = config_namespace, "config"
    else:
        namespace, namespace_source = kube_namespace or "default", "none"

    agent_namespace: str | None
    if _nonempty(request_agent_namespace):
        agent_namespace = request_agent_namespace
    elif _nonempty(env.get(ENV_AGENT_NAMESPACE)):
        agent_namespace = env[ENV_AGENT_NAMESPACE]
    elif config is not None and config.agent.namespace:
        agent_namespace = config.agent.namespace
    else:
        agent_namespace = None

    return Selection(
        target=target,
        targetless=target is not None and target.is_targetless,
        namespace=namespace,
        agent_namespace=agent_namespace,
        source=source,
        namespace_source=namespace_source,
        kube_namespace=kube_namespace or "default",
    )
