"""The target container's environment, resolved as the kubelet would and
filtered per `feature.env`, so the debuggee sees the remote environment.

Sources, in the kubelet's order: `envFrom` (config maps and secrets, with
their prefix), then `env` (values with `$(VAR)` expansion, `configMapKeyRef`,
`secretKeyRef`, common `fieldRef`s). Variables baked into the container image
are not visible through the API and are not included.

Secret values are never logged; warnings name keys, never values.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import io
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrord_ide.agent.settings import EnvSettings
from mirrord_ide.errors import Forbidden, InvalidConfig

# (kind, name) → the object, or None when it does not exist; raises
# `Forbidden` when the user may not read it.
Fetch = Callable[[str, str], Awaitable[Mapping[str, Any] | None]]


class Denied:
    """Stands for a config map or secret the user may not read: it may well
    exist (the kubelet reads it), so it is reported as forbidden, not missing."""

    __slots__ = ()


DENIED = Denied()
Source = Mapping[str, Any] | Denied | None


@dataclass(slots=True)
class RemoteEnv:
    env: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def container_spec(pod: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    spec = pod.get("spec") or {}
    for container in spec.get("containers") or []:
        if isinstance(container, Mapping) and container.get("name") == name:
            return container
    return {}


def references(container: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Names of the config maps and secrets a container's env refers to."""
    configmaps: set[str] = set()
    secrets: set[str] = set()
    for source in container.get("envFrom") or []:
        if not isinstance(source, Mapping):
            continue
        if isinstance(source.get("configMapRef"), Mapping) and source["configMapRef"].get("name"):
            configmaps.add(str(source["configMapRef"]["name"]))
        if isinstance(source.get("secretRef"), Mapping) and source["secretRef"].get("name"):
            secrets.add(str(source["secretRef"]["name"]))
    for var in container.get("env") or []:
        value_from = var.get("valueFrom") if isinstance(var, Mapping) else None
        if not isinstance(value_from, Mapping):
            continue
        cm = value_from.get("configMapKeyRef")
        if isinstance(cm, Mapping) and cm.get("name"):
            configmaps.add(str(cm["name"]))
        sec = value_from.get("secretKeyRef")
        if isinstance(sec, Mapping) and sec.get("name"):
            secrets.add(str(sec["name"]))
    return configmaps, secrets


def _configmap_data(obj: Source) -> dict[str, str] | Denied | None:
    if obj is None or isinstance(obj, Denied):
        return obj
    data = {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    for key, value in (obj.get("binaryData") or {}).items():
        data.setdefault(str(key), _b64(str(value)))
    return data


def _secret_data(obj: Source) -> dict[str, str] | Denied | None:
    if obj is None or isinstance(obj, Denied):
        return obj
    data = {str(k): _b64(str(v)) for k, v in (obj.get("data") or {}).items()}
    for key, value in (obj.get("stringData") or {}).items():
        data[str(key)] = str(value)
    return data


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


FORBIDDEN = "could not be read: forbidden (ask for `get` access to it)"

_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


def expand(value: str, defined: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: defined names are replaced, `$$` escapes,
    unknown references stay as written."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return defined.get(name, match.group(0))

    return _REF.sub(sub, value)


def _field_ref(pod: Mapping[str, Any], path: str) -> str | None:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
    }
    if path in simple:
        value = simple[path]
        return None if value is None else str(value)
    match = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if match:
        found = (meta.get(match.group(1)) or {}).get(match.group(2))
        return None if found is None else str(found)
    return None


def container_env(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    configmaps: Mapping[str, Source],
    secrets: Mapping[str, Source],
) -> tuple[dict[str, str], list[str]]:
    """The environment the kubelet gives `container`, plus warnings about
    references that could not be resolved."""
    cm_data = {name: _configmap_data(obj) for name, obj in configmaps.items()}
    secret_data = {name: _secret_data(obj) for name, obj in secrets.items()}
    env: dict[str, str] = {}
    warnings: list[str] = []

    for source in container.get("envFrom") or []:
        if not isinstance(source, Mapping):
            continue
        prefix = str(source.get("prefix") or "")
        for key, table, store in (
            ("configMapRef", "config map", cm_data),
            ("secretRef", "secret", secret_data),
        ):
            ref = source.get(key)
            if not isinstance(ref, Mapping) or not ref.get("name"):
                continue
            data = store.get(str(ref["name"]))
            if isinstance(data, Denied):
                # Optional or not, the pod may well get these variables.
                warnings.append(f"{table} `{ref['name']}` (envFrom) {FORBIDDEN}")
                continue
            if data is None:
                if not ref.get("optional"):
                    warnings.append(f"{table} `{ref['name']}` (envFrom) not found")
                continue
            for name, value in data.items():
                env[prefix + name] = value

    for var in container.get("env") or []:
        if not isinstance(var, Mapping) or not var.get("name"):
            continue
        name = str(var["name"])
        value_from = var.get("valueFrom")
        if not isinstance(value_from, Mapping):
            env[name] = expand(str(var.get("value") or ""), env)
            continue
        resolved = _value_from(pod, name, value_from, cm_data, secret_data, warnings)
        if resolved is not None:
            env[name] = resolved
    return env, warnings


def _value_from(
    pod: Mapping[str, Any],
    name: str,
    value_from: Mapping[str, Any],
    cm_data: Mapping[str, dict[str, str] | Denied | None],
    secret_data: Mapping[str, dict[str, str] | Denied | None],
    warnings: list[str],
) -> str | None:
    for key, table, store in (
        ("configMapKeyRef", "config map", cm_data),
        ("secretKeyRef", "secret", secret_data),
    ):
        ref = value_from.get(key)
        if not isinstance(ref, Mapping):
            continue
        data = store.get(str(ref.get("name")))
        wanted = str(ref.get("key"))
        if isinstance(data, Denied):
            warnings.append(f"`{name}`: {table} `{ref.get('name')}` {FORBIDDEN}")
            return None
        if data is None or wanted not in data:
            if not ref.get("optional"):
                missing = f"{table} `{ref.get('name')}`" + (
                    f" has no key `{wanted}`" if data is not None else " not found"
                )
                warnings.append(f"`{name}`: {missing}")
            return None
        return data[wanted]
    field_ref = value_from.get("fieldRef")
    if isinstance(field_ref, Mapping):
        value = _field_ref(pod, str(field_ref.get("fieldPath")))
        if value is None:
            warnings.append(f"`{name}`: field `{field_ref.get('fieldPath')}` is not available")
        return value
    warnings.append(f"`{name}`: this kind of valueFrom is not resolved")
    return None


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    # Case-sensitive globs with `*` and `?`, as mirrord's env filters.
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _remap(env: dict[str, str], mapping: Mapping[str, str]) -> None:
    """`feature.env.mapping`: each variable whose name a pattern matches
    (anywhere in the name) takes the first matching pattern's value
    (`mirrord/config/src/feature/env/mapper.rs`)."""
    compiled: list[tuple[re.Pattern[str], str]] = []
    for pattern, value in mapping.items():
        try:
            compiled.append((re.compile(pattern), value))
        except re.error as error:
            raise InvalidConfig(
                f"env mapping `{pattern}` is not a valid regex: {error}",
                hint="fix feature.env.mapping",
            ) from None
    for key in env:
        for regex, value in compiled:
            if regex.search(key):
                env[key] = value
                break


def _adjust(env: dict[str, str], settings: EnvSettings) -> RemoteEnv:
    """The env file's variables over the remote ones, then mapping, then
    override (`mirrord/cli/src/execution.rs` `fetch_env_vars`), then the
    `unset` names removed, ignoring case, as mirrord's layer removes them from
    the process (`mirrord/layer/src/lib.rs`)."""
    env.update(settings.file_env)
    _remap(env, settings.mapping)
    env.update(settings.override)
    unset = list(settings.unset)
    lowered = {u.lower() for u in unset}
    for key in [k for k in env if k.lower() in lowered]:
        del env[key]
    return RemoteEnv(env=env, unset=unset)


def apply_process_env(remote: Mapping[str, str], settings: EnvSettings) -> RemoteEnv:
    """The debuggee's env from the target process's env as the agent returned
    it (already filtered by the agent per `process_filter`/`process_select`)."""
    return _adjust(dict(remote), settings)


def apply_settings(remote: Mapping[str, str], settings: EnvSettings) -> RemoteEnv:
    """Filter and adjust an env read from the pod spec per `feature.env`:
    include/exclude (globs, as the agent applies them), then mapping,
    override and unset as for the process env."""
    if not settings.enabled:
        # Nothing from the pod; the env file (named by the env var) still applies.
        return _adjust({}, settings)
    env = dict(remote)
    if settings.include:
        env = {k: v for k, v in env.items() if _matches(k, settings.include)}
    elif settings.exclude:
        env = {k: v for k, v in env.items() if not _matches(k, settings.exclude)}
    return _adjust(env, settings)


async def fetch_remote_env(
    fetch: Fetch, pod: Mapping[str, Any], container_name: str, settings: EnvSettings
) -> RemoteEnv:
    """Fetch the referenced config maps and secrets, then resolve and filter."""
    if not settings.enabled:
        return apply_settings({}, settings)
    container = container_spec(pod, container_name)
    cm_names, secret_names = references(container)
    cm_list = sorted(cm_names)
    secret_list = sorted(secret_names)

    async def read(kind: str, name: str) -> Source:
        try:
            return await fetch(kind, name)
        except Forbidden:
            return DENIED

    results = await asyncio.gather(
        *(read("configmaps", n) for n in cm_list),
        *(read("secrets", n) for n in secret_list),
    )
    configmaps = dict(zip(cm_list, results[: len(cm_list)], strict=True))
    secrets = dict(zip(secret_list, results[len(cm_list) :], strict=True))
    remote, warnings = container_env(pod, container, configmaps, secrets)
    out = apply_settings(remote, settings)
    out.warnings = warnings + out.warnings
    return out


ENV_FILE_HINT = "fix feature.env.env_file (or MIRRORD_OVERRIDE_ENV_VARS_FILE)"


def env_file_path(path: str, workspace: str | None, config_path: str | None) -> Path:
    """Where `feature.env.env_file` points: `~` expanded; a relative path taken
    from the workspace folder (the mirrord CLI engine's working directory),
    else from the config file's folder, else from the server's own directory."""
    resolved = Path(os.path.expanduser(path))
    if resolved.is_absolute():
        return resolved
    if workspace and os.path.isdir(workspace):
        return Path(workspace) / resolved
    if config_path:
        return Path(config_path).parent / resolved
    return Path.cwd() / resolved


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a dotenv file, as mirrord reads `feature.env.env_file`
    (`dotenvy::from_path_iter` in `mirrord/cli/src/execution.rs`). A file that
    cannot be read or parsed is an `invalid-config` error, as it fails mirrord.

    Parsed with python-dotenv, which differs from dotenvy in details:
    - a name alone on a line (`KEY`, no `=`) is a parse error in dotenvy;
      python-dotenv takes it as a name without a value, and it is reported
      here as an error too, so a file mirrord refuses is refused here;
    - `${VAR}` is expanded from the file's earlier variables, then the
      server's environment (dotenvy looks at the environment first, and also
      expands a bare `$VAR`, which python-dotenv keeps as written).
    """
    # Imported here: python-dotenv costs ~30 ms to import, and only a session with an
    # env file needs it (the server's start-up stays fast).
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        # dotenvy skips a UTF-8 byte order mark and refuses other encodings.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidConfig(
            f"cannot read the env file `{path}`: it is not UTF-8 text ({error.reason})",
            hint=ENV_FILE_HINT,
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidConfig(
            f"cannot read the env file `{path}`: {reason}", hint=ENV_FILE_HINT
        ) from None
    for binding in parse_stream(io.StringIO(text)):
        # Errors name the line and the key, never the text: values may be secrets.
        line = binding.original.line
        if binding.error:
            raise InvalidConfig(
                f"cannot parse the env file `{path}`: line {line} is not `NAME=value`",
                hint=ENV_FILE_HINT,
            )
        if binding.key is not None and binding.value is None:
            raise InvalidConfig(
                f"cannot parse the env file `{path}`: line {line} names `{binding.key}` "
                f"without `=` (write `{binding.key}=` for an empty value)",
                hint=ENV_FILE_HINT,
            )
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {key: value for key, value in values.items() if value is not None}
