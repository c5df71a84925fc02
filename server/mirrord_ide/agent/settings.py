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
    # The agent's `GetEnvVarsRequest`, built as mirrord's CLI builds it
    # (`mirrord/cli/src/execution.rs` `fetch_env_vars`): names matching
    # `process_filter` are dropped, only names matching `process_select` kept
    # (globs). Both empty: nothing is asked of the agent.
    process_filter: frozenset[str] = frozenset()
    process_select: frozenset[str] = frozenset({"*"})
    env_file: str | None = None  # `feature.env.env_file` / MIRRORD_OVERRIDE_ENV_VARS_FILE
    # The variables read from `env_file` (the session start reads the file;
    # this module does no I/O). They go over the remote env, before `mapping`.
    file_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def fetch_process_env(self) -> bool:
        return bool(self.process_filter or self.process_select)


def _mirrord_list(value: Any) -> list[str] | None:
    """A `VecOrSingle<String>` value: None when unset, else its items."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def _env_var_list(env: Mapping[str, str], name: str) -> list[str] | None:
    # `VecOrSingle::from_str` (`mirrord/config/src/util.rs`) splits on `;`.
    raw = env.get(name)
    return raw.split(";") if raw else None


def _name_set(items: list[str]) -> frozenset[str]:
    # `EnvVars` → `HashSet` (`mirrord/protocol/src/lib.rs`): the items joined
    # with `;`, then split with a trailing empty piece dropped.
    joined = ";".join(items)
    parts = joined.split(";")
    if parts and parts[-1] == "":
        parts.pop()
    return frozenset(parts)


def process_env_request(
    include: list[str] | None, exclude: list[str] | None
) -> tuple[frozenset[str], frozenset[str]]:
    """(env_vars_filter, env_vars_select) for the agent, as mirrord's CLI
    builds them; include and exclude together are a config error."""
    if include is not None and exclude is not None:
        raise InvalidConfig(
            "cannot use both `include` and `exclude` filters for environment variables",
            hint="keep only one of feature.env.include and feature.env.exclude",
        )
    if exclude is not None:
        return _name_set(exclude), frozenset()
    if include is not None:
        return frozenset(), _name_set(include)
    return frozenset(), frozenset({"*"})


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
    """`feature.env` with mirrord's precedence (the process env beats the file)
    and mirrord's defaults (`mirrord/config/src/feature/env.rs`)."""
    env = env or {}
    feature = _section(config_as_dict(config), "feature")
    raw = feature.get("env", True)
    env_include = _env_var_list(env, "MIRRORD_OVERRIDE_ENV_VARS_INCLUDE")
    env_exclude = _env_var_list(env, "MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE")
    if raw is False:
        # Disabled: everything is excluded unless the env vars say otherwise.
        process_filter, process_select = process_env_request(
            env_include, env_exclude if env_exclude is not None else ["*"]
        )
        # The env file still applies: only the env vars can name it then
        # (`EnvFileConfig::disabled_config`, `mirrord/config/src/feature/env.rs`).
        return EnvSettings(
            enabled=False,
            process_filter=process_filter,
            process_select=process_select,
            env_file=env.get("MIRRORD_OVERRIDE_ENV_VARS_FILE") or None,
        )
    section = raw if isinstance(raw, Mapping) else {}
    include_list = env_include if env_include is not None else _mirrord_list(section.get("include"))
    exclude_list = env_exclude if env_exclude is not None else _mirrord_list(section.get("exclude"))
    process_filter, process_select = process_env_request(include_list, exclude_list)
    include = _patterns(section.get("include"))
    exclude = _patterns(section.get("exclude"))
    if env_include is not None:
        include = _patterns(env["MIRRORD_OVERRIDE_ENV_VARS_INCLUDE"])
    if env_exclude is not None:
        exclude = _patterns(env["MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE"])
    return EnvSettings(
        enabled=True,
        include=include,
        exclude=exclude,
        override=_str_map(section.get("override")),
        unset=tuple(_mirrord_list(section.get("unset")) or ()),
        mapping=_str_map(section.get("mapping")),
        process_filter=process_filter,
        process_select=process_select,
        env_file=env.get("MIRRORD_OVERRIDE_ENV_VARS_FILE")
        or (str(section["env_file"]) if section.get("env_file") else None),
    )


@dataclass(frozen=True, slots=True)
class IncomingSettings:
    """`feature.network.incoming` as the builtin engine uses it
    (`mirrord/config/src/feature/network/incoming.rs`)."""

    mode: str = "mirror"  # "mirror" | "steal" | "off"
    ports: frozenset[int] | None = None  # remote ports; None: the container's declared ports
    ignore_ports: frozenset[int] = frozenset()
    port_mapping: dict[int, int] = field(default_factory=dict)  # remote → local
    http_filter: bool = False  # an HTTP filter is configured

    def local_port(self, remote: int) -> int:
        return self.port_mapping.get(remote, remote)


def _mode(value: Any, key: str) -> str:
    # `IncomingMode::from_str`: a bool string means steal (true) or off (false).
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text is True or text == "true":
        return "steal"
    if text is False or text == "false":
        return "off"
    if text in ("mirror", "steal", "off"):
        return str(text)
    raise InvalidConfig(
        f"`{key}` must be one of mirror, steal, off; got {value!r}",
        hint='set feature.network.incoming to "mirror", "steal" or "off"',
    )


def _port(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise InvalidConfig(f"`{key}` must hold ports (1-65535), got {value!r}")
    return value


def incoming_settings(config: Any, env: Mapping[str, str] | None = None) -> IncomingSettings:
    env = env or {}
    network = _section(config_as_dict(config), "feature").get("network", True)
    if network is False:
        raw: Any = False
    else:
        raw = network.get("incoming", True) if isinstance(network, Mapping) else True
    override = env.get("MIRRORD_AGENT_TCP_STEAL_TRAFFIC") or None
    if not isinstance(raw, Mapping):
        if override is not None:
            return IncomingSettings(mode=_mode(override, "MIRRORD_AGENT_TCP_STEAL_TRAFFIC"))
        if raw is True or raw is None:
            return IncomingSettings()
        if raw is False:
            return IncomingSettings(mode="off")
        return IncomingSettings(mode=_mode(raw, "feature.network.incoming"))
    key = "feature.network.incoming"
    if override is not None:
        mode = _mode(override, "MIRRORD_AGENT_TCP_STEAL_TRAFFIC")
    elif raw.get("mode") is not None:
        mode = _mode(raw["mode"], f"{key}.mode")
    else:
        mode = "mirror"
    ports = raw.get("ports")
    mapping: dict[int, int] = {}
    for pair in raw.get("port_mapping") or ():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidConfig(f"`{key}.port_mapping` entries must be [local, remote] pairs")
        local, remote = (_port(p, f"{key}.port_mapping") for p in pair)
        mapping[remote] = local
    http_filter = raw.get("http_filter")
    return IncomingSettings(
        mode=mode,
        ports=(
            frozenset(_port(p, f"{key}.ports") for p in ports) if isinstance(ports, list) else None
        ),
        ignore_ports=frozenset(
            _port(p, f"{key}.ignore_ports") for p in raw.get("ignore_ports") or ()
        ),
        port_mapping=mapping,
        http_filter=isinstance(http_filter, Mapping)
        and any(v not in (None, [], {}) for k, v in http_filter.items() if k != "ports"),
    )
