"""The parts of a mirrord config the agent launch reads, as plain typed values.

Read from the config's JSON form (mirrord's key names), so the launch does not
depend on the model's Python attribute names. Defaults are mirrord's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mirrord_ide.errors import InvalidConfig

AGENT_VERSION = "3.250.0"
DEFAULT_AGENT_IMAGE = f"ghcr.io/metalbear-co/mirrord:{AGENT_VERSION}"
DEFAULT_STARTUP_TIMEOUT = 60.0
DEFAULT_COMMUNICATION_TIMEOUT = 30
DEFAULT_TTL = 1


def config_as_dict(config: Any) -> dict[str, Any]:
    """A MirrordConfig (pydantic), a plain dict or None as a JSON-like dict."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    dump = getattr(config, "model_dump", None)
    if callable(dump):
        value = dump(mode="json", by_alias=True, exclude_none=True)
        return dict(value) if isinstance(value, Mapping) else {}
    raise TypeError(f"unsupported config type {type(config).__name__}")


def _section(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, Mapping) else {}


def _int_or(value: Any, default: int, key: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidConfig(f"`{key}` must be a number, got {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class AgentSettings:
    image: str = DEFAULT_AGENT_IMAGE
    image_pull_policy: str = "IfNotPresent"
    image_pull_secrets: tuple[dict[str, Any], ...] = ()
    namespace: str | None = None
    ttl: int = DEFAULT_TTL
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    communication_timeout: int = DEFAULT_COMMUNICATION_TIMEOUT
    log_level: str = "info"
    json_log: bool = False
    tolerations: tuple[dict[str, Any], ...] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    node_selector: dict[str, str] = field(default_factory=dict)
    privileged: bool = False
    disabled_capabilities: tuple[str, ...] = ()
    resources: dict[str, Any] | None = None
    service_account: str | None = None
    priority_class: str | None = None
    disable_mesh_sidecar_injection: bool = True
    flush_connections: bool = True
    external_ip_fix: bool = True
    override_cache_control: bool = True
    max_body_buffer_size: int = 65535
    max_body_buffer_timeout: int = 1000
    http_detection_timeout: int = 2
    jaq_time_limit: int = 1
    nftables: bool | None = None
    inject_headers: bool | None = None
    clean_iptables_on_start: bool | None = None
    metrics: str | None = None
    dns: dict[str, Any] = field(default_factory=dict)


def _image(agent: Mapping[str, Any], env: Mapping[str, str]) -> str:
    if env.get("MIRRORD_AGENT_IMAGE"):
        return env["MIRRORD_AGENT_IMAGE"]
    image = agent.get("image")
    registry, _, tag = DEFAULT_AGENT_IMAGE.rpartition(":")
    if isinstance(image, str) and image:
        return image
    if isinstance(image, Mapping):
        registry = str(image.get("registry") or env.get("MIRRORD_AGENT_IMAGE_REGISTRY") or registry)
        tag = str(image.get("tag") or env.get("MIRRORD_AGENT_IMAGE_TAG") or tag)
    else:
        registry = env.get("MIRRORD_AGENT_IMAGE_REGISTRY") or registry
        tag = env.get("MIRRORD_AGENT_IMAGE_TAG") or tag
    return f"{registry}:{tag}"


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def agent_settings(config: Any, env: Mapping[str, str] | None = None) -> AgentSettings:
    """AgentSettings from a config (model, dict or None) and the debuggee env."""
    env = env or {}
    agent = _section(config_as_dict(config), "agent")
    startup = agent.get("startup_timeout")
    if env.get("MIRRORD_AGENT_STARTUP_TIMEOUT"):
        startup = _env_number(env, "MIRRORD_AGENT_STARTUP_TIMEOUT")
    comm = agent.get("communication_timeout")
    if env.get("MIRRORD_AGENT_COMMUNICATION_TIMEOUT"):
        comm = _env_number(env, "MIRRORD_AGENT_COMMUNICATION_TIMEOUT")
    ttl = agent.get("ttl")
    if env.get("MIRRORD_AGENT_TTL"):
        ttl = _env_number(env, "MIRRORD_AGENT_TTL")
    tolerations = agent.get("tolerations")
    caps = agent.get("disabled_capabilities") or ()
    secrets = agent.get("image_pull_secrets") or ()
    return AgentSettings(
        image=_image(agent, env),
        image_pull_policy=str(agent.get("image_pull_policy") or "IfNotPresent"),
        image_pull_secrets=tuple(dict(s) for s in secrets if isinstance(s, Mapping)),
        namespace=agent.get("namespace") or None,
        ttl=_int_or(ttl, DEFAULT_TTL, "agent.ttl"),
        startup_timeout=float(startup) if startup is not None else DEFAULT_STARTUP_TIMEOUT,
        communication_timeout=_int_or(
            comm, DEFAULT_COMMUNICATION_TIMEOUT, "agent.communication_timeout"
        ),
        log_level=str(env.get("MIRRORD_AGENT_RUST_LOG") or agent.get("log_level") or "info"),
        json_log=bool(agent.get("json_log", False)),
        tolerations=(
            tuple(dict(t) for t in tolerations if isinstance(t, Mapping))
            if isinstance(tolerations, list)
            else None
        ),
        labels=_str_map(agent.get("labels")),
        annotations=_str_map(agent.get("annotations")),
        node_selector=_str_map(agent.get("node_selector")),
        privileged=bool(agent.get("privileged", False)),
        disabled_capabilities=tuple(str(c) for c in caps),
        resources=dict(agent["resources"]) if isinstance(agent.get("resources"), Mapping) else None,
        service_account=agent.get("service_account") or None,
        priority_class=agent.get("priority_class") or None,
        disable_mesh_sidecar_injection=bool(agent.get("disable_mesh_sidecar_injection", True)),
        flush_connections=bool(agent.get("flush_connections", True)),
        external_ip_fix=bool(agent.get("external_ip_fix", True)),
        override_cache_control=bool(agent.get("override_cache_control", True)),
        max_body_buffer_size=int(agent.get("max_body_buffer_size") or 65535),
        max_body_buffer_timeout=int(agent.get("max_body_buffer_timeout") or 1000),
        http_detection_timeout=int(agent.get("http_detection_timeout") or 2),
        jaq_time_limit=int(agent.get("jaq_time_limit") or 1),
        nftables=agent.get("nftables"),
        inject_headers=agent.get("inject_headers"),
        clean_iptables_on_start=agent.get("clean_iptables_on_start"),
        metrics=agent.get("metrics") or None,
        dns=dict(agent["dns"]) if isinstance(agent.get("dns"), Mapping) else {},
    )


def _env_number(env: Mapping[str, str], name: str) -> float:
    try:
        return float(env[name])
    except ValueError:
        raise InvalidConfig(f"`{name}` must be a number, got {env[name]!r}") from None


@dataclass(frozen=True, slots=True)
class EnvSettings:
    """`feature.env`: which remote variables the debuggee gets."""

    enabled: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    override: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    mapping: dict[str, str] = field(default_factory=dict)


def _patterns(value: Any) -> tuple[str, ...]:
    """mirrord accepts a string with `;` separators or an array of them."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    out: list[str] = []
    for item in items:
        out.extend(p.strip() for p in str(item).split(";") if p.strip())
    return tuple(out)


def env_settings(config: Any, env: Mapping[str, str] | None = None) -> EnvSettings:
    env = env or {}
    feature = _section(config_as_dict(config), "feature")
    raw = feature.get("env", True)
    if raw is False:
        return EnvSettings(enabled=False)
    section = raw if isinstance(raw, Mapping) else {}
    include = _patterns(section.get("include"))
    exclude = _patterns(section.get("exclude"))
    if env.get("MIRRORD_OVERRIDE_ENV_VARS_INCLUDE"):
        include = _patterns(env["MIRRORD_OVERRIDE_ENV_VARS_INCLUDE"])
    if env.get("MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE"):
        exclude = _patterns(env["MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE"])
    if include and exclude:
        raise InvalidConfig(
            "cannot use both `include` and `exclude` filters for environment variables",
            hint="keep only one of feature.env.include and feature.env.exclude",
        )
    unset = section.get("unset") or ()
    return EnvSettings(
        enabled=True,
        include=include,
        exclude=exclude,
        override=_str_map(section.get("override")),
        unset=tuple(str(u) for u in unset) if isinstance(unset, list) else (),
        mapping=_str_map(section.get("mapping")),
    )
