"""Find and load the kubeconfig the way kubectl does.

`KUBECONFIG` may list several files (`:`-separated; `;` on Windows). They are
merged: the first file to define a cluster, context or user wins, and so does
the first `current-context`. Without `KUBECONFIG`, `~/.kube/config` is used.
The namespace is the context's namespace, else `default`.

The official client silently logs and ignores a failing exec plugin, which
later shows up as a confusing 401. We check the plugin command ourselves first
so the user learns which command is missing and how to fix it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mirrord_ide.errors import InvalidConfig, MirrordError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

PATH_SEPARATOR = ";" if os.name == "nt" else ":"
DEFAULT_KUBECONFIG = "~/.kube/config"


@dataclass(frozen=True, slots=True)
class KubeSettings:
    """Where to read the cluster from: an explicit kubeconfig (path or
    `:`-separated list) and context, or None for kubectl's defaults."""

    kubeconfig: str | None = None
    context: str | None = None


@dataclass(slots=True)
class KubeTarget:
    context: str
    namespace: str
    server: str
    api_client: ApiClient


def settings_for_config(config: Any, environ: Mapping[str, str] | None = None) -> KubeSettings:
    """The cluster a mirrord config points at: its `kubeconfig`/`kube_context`,
    overridden by `MIRRORD_KUBECONFIG`/`MIRRORD_KUBE_CONTEXT` (as mirrord reads them)."""
    env = os.environ if environ is None else environ
    value = config if isinstance(config, Mapping) else {}
    kubeconfig = env.get("MIRRORD_KUBECONFIG") or value.get("kubeconfig")
    context = env.get("MIRRORD_KUBE_CONTEXT") or value.get("kube_context")
    return KubeSettings(
        kubeconfig=kubeconfig if isinstance(kubeconfig, str) and kubeconfig else None,
        context=context if isinstance(context, str) and context else None,
    )


def kubeconfig_paths(settings: KubeSettings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The kubeconfig files to merge, in precedence order (existing files only)."""
    env = os.environ if environ is None else environ
    raw = settings.kubeconfig or env.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    paths = []
    for part in raw.split(PATH_SEPARATOR):
        if part.strip():
            path = os.path.expanduser(part.strip())
            if os.path.exists(path) and path not in paths:
                paths.append(path)
    return paths


def _first_current_context(paths: list[str]) -> str | None:
    import yaml

    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("current-context"):
            return str(data["current-context"])
    return None


def _named(items: Any, name: str) -> dict[str, Any] | None:
    for item in items or []:
        value = item.value if hasattr(item, "value") else item
        if isinstance(value, dict) and value.get("name") == name:
            return value
    return None


def check_exec_plugin(user: dict[str, Any] | None, base_dir: str) -> None:
    """Raise a clear error when the user's exec credential plugin cannot run."""
    if not user or not isinstance(user.get("exec"), dict):
        return
    command = str(user["exec"].get("command") or "")
    if not command:
        raise InvalidConfig(
            "the kubeconfig's exec credential plugin has no command",
            hint="set users[].user.exec.command in your kubeconfig",
        )
    if os.sep in command or (os.altsep and os.altsep in command):
        resolved = command if os.path.isabs(command) else os.path.join(base_dir, command)
        found = os.access(resolved, os.X_OK)
    else:
        found = shutil.which(command) is not None
    if not found:
        install = user["exec"].get("installHint")
        hint = (
            f"install `{command}` or put it on the PATH the IDE was started with "
            f"(the IDE may not see your shell's PATH), or use its absolute path in the kubeconfig"
        )
        if install:
            hint += f". {str(install).strip()}"
        raise MirrordError(
            f"the kubeconfig's credential plugin `{command}` was not found",
            hint=hint,
            kind="unauthorized",
        )


class _ExecErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("exec:"):
            self.messages.append(message.splitlines()[0])


@contextlib.contextmanager
def _captured_exec_errors() -> Iterator[list[str]]:
    """The client logs exec plugin failures on the root logger instead of raising."""
    handler = _ExecErrors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.messages
    finally:
        root.removeHandler(handler)


def _has_credentials(configuration: Any) -> bool:
    return bool(configuration.api_key.get("BearerToken") or configuration.cert_file)


def load_kube_target(settings: KubeSettings) -> KubeTarget:
    """Load the kubeconfig into a fresh ApiClient. Blocking (files, exec plugins)."""
    from kubernetes import client as k8s
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    paths = kubeconfig_paths(settings)
    if not paths:
        where = settings.kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
        raise InvalidConfig(
            f"no kubeconfig found at {where}",
            hint="point KUBECONFIG (or the `mirrord.kubeconfig` setting) at a kubeconfig file",
        )
    try:
        merger = KubeConfigMerger(PATH_SEPARATOR.join(paths))
        merged = merger.config
        if merged is None:
            raise InvalidConfig(f"the kubeconfig {paths[0]} is empty")
        # The client's merger lets the last file's current-context win; kubectl uses the first.
        first_current = _first_current_context(paths)
        if first_current is not None:
            merged.value["current-context"] = first_current
        context_name = settings.context or merged.value.get("current-context")
        if not context_name:
            raise InvalidConfig(
                "the kubeconfig has no current context",
                hint="run `kubectl config use-context NAME` or set the `mirrord.context` setting",
            )
        context = _named(merged.value.get("contexts"), context_name)
        if context is None:
            raise InvalidConfig(
                f"context `{context_name}` not found in the kubeconfig",
                hint="check `kubectl config get-contexts` and the `mirrord.context` setting",
            )
        ctx = context.get("context") or {}
        user = _named(merged.value.get("users"), str(ctx.get("user") or ""))
        check_exec_plugin((user or {}).get("user"), os.path.dirname(os.path.abspath(paths[0])))
        loader = KubeConfigLoader(
            config_dict=merged, active_context=context_name, config_base_path=None
        )
        configuration = k8s.Configuration()
        with _captured_exec_errors() as exec_errors:
            loader.load_and_set(configuration)
        if exec_errors and not _has_credentials(configuration):
            command = str(((user or {}).get("user") or {}).get("exec", {}).get("command", ""))
            raise MirrordError(
                f"the kubeconfig's credential plugin `{command}` failed: {exec_errors[0][:300]}",
                hint=f"run `{command}` in a terminal (log in to your cloud again), then retry",
                kind="unauthorized",
            )
        # Each watch holds a connection; keep enough pooled for watches plus requests.
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, 32)
    except MirrordError:
        raise
    except (ConfigException, KeyError, ValueError, TypeError, OSError) as error:
        # ConfigException texts name keys and files, never credential values.
        raise InvalidConfig(
            f"cannot load the kubeconfig: {error}",
            hint="check the kubeconfig with `kubectl config view`",
        ) from None
    namespace = str(ctx.get("namespace") or "default")
    api_client = k8s.ApiClient(configuration)
    return KubeTarget(
        context=str(context_name),
        namespace=namespace,
        server=str(configuration.host),
        api_client=api_client,
    )
