"""Semantic checks over a validated config: the conflicts mirrord rejects at start-up.

Each check is a small function returning `Problem`s with a stable code, located at the
most precise key. Severities follow mirrord: what `LayerConfig::verify`
(`mirrord/config/src/lib.rs`) returns as an error is an error here, what it adds as a
warning is a warning. When the config names no target at all, the IDE shows its target
picker, so checks that assume a targetless run are *warnings* with a hint then; they
are errors only when the config says `"targetless"` explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .kube_names import check_kube_names
from .model import (
    CopyTargetConfig,
    EnvConfig,
    FsConfig,
    HttpFilter,
    IncomingConfig,
    MirrordConfig,
    NetworkConfig,
    OutgoingConfig,
    TargetObject,
    TargetSpec,
)
from .problems import KeyPath, Problem
from .target_path import TargetPath, TargetPathError, target_from_config_value

MIB = 1024 * 1024
BUFFER_WARN = 1 * MIB
BUFFER_MAX = 15 * MIB

TargetState = Literal["targetless", "absent", "target", "unknown"]

INCOMING: KeyPath = ("feature", "network", "incoming")


@dataclass(frozen=True)
class TargetInfo:
    state: TargetState
    target: TargetPath | None
    path: KeyPath  # where the target is written (for locating problems)


def target_info(config: MirrordConfig) -> TargetInfo:
    """Whether the config names a target, says targetless, or leaves it to the IDE."""
    value = config.target
    where: KeyPath = ("target",)
    if isinstance(value, TargetSpec) and value.path is not None:
        where = ("target", "path")
    if isinstance(value, str | TargetSpec) and _templated(value):
        return TargetInfo("unknown", None, where)
    try:
        target, _ns = target_from_config_value(value)
    except TargetPathError:
        return TargetInfo("unknown", None, where)
    if target is None:
        return TargetInfo("absent", None, where)
    if target.is_targetless:
        return TargetInfo("targetless", target, where)
    return TargetInfo("target", target, where)


def _templated(value: str | TargetSpec) -> bool:
    text = value if isinstance(value, str) else value.path
    return isinstance(text, str) and ("{{" in text or "{%" in text)


def incoming_of(config: MirrordConfig) -> tuple[str, IncomingConfig | None, KeyPath]:
    """The effective incoming mode, the object form if used, and where the mode is written."""
    network = config.feature.network
    if isinstance(network, bool):
        return ("mirror" if network else "off"), None, ("feature", "network")
    incoming = network.incoming
    if isinstance(incoming, bool):
        return ("mirror" if incoming else "off"), None, INCOMING
    if isinstance(incoming, str):
        return incoming, None, INCOMING
    where = INCOMING + ("mode",) if "mode" in incoming.model_fields_set else INCOMING
    return incoming.mode, incoming, where


def _network(config: MirrordConfig) -> NetworkConfig | None:
    network = config.feature.network
    return network if isinstance(network, NetworkConfig) else None


def _http_filter(incoming: IncomingConfig | None) -> HttpFilter | None:
    if incoming is None or not isinstance(incoming.http_filter, HttpFilter):
        return None
    return incoming.http_filter


def _copy_target(config: MirrordConfig) -> tuple[bool, KeyPath]:
    value = config.feature.copy_target
    where: KeyPath = ("feature", "copy_target")
    if isinstance(value, bool):
        return value, where
    assert isinstance(value, CopyTargetConfig)
    return value.enabled, where + ("enabled",) if "enabled" in value.model_fields_set else where


# ------------------------------------------------------------------------- checks

PICKER_HINT = 'no target is set, so the IDE will ask for one; picking "targetless" there would fail'


def check_targetless_steal(config: MirrordConfig) -> list[Problem]:
    mode, _incoming, where = incoming_of(config)
    if mode != "steal":
        return []
    info = target_info(config)
    message = (
        'steal mode is not compatible with a targetless run; set a target or use `"mirror"` mode'
    )
    if info.state == "targetless":
        return [Problem(where, message, "targetless-steal")]
    if info.state == "absent":
        return [
            Problem(
                where,
                f"steal mode needs a target: {PICKER_HINT}",
                "targetless-steal",
                severity="warning",
            )
        ]
    return []


def check_targetless_ephemeral(config: MirrordConfig) -> list[Problem]:
    if not config.agent.ephemeral:
        return []
    info = target_info(config)
    where: KeyPath = ("agent", "ephemeral")
    if info.state == "targetless":
        return [
            Problem(
                where,
                "an ephemeral agent runs inside the target pod, so it needs a target",
                "targetless-ephemeral",
            )
        ]
    if info.state == "absent":
        return [
            Problem(
                where,
                f"an ephemeral agent needs a target: {PICKER_HINT}",
                "targetless-ephemeral",
                severity="warning",
            )
        ]
    return []


def check_env_include_exclude(config: MirrordConfig) -> list[Problem]:
    # An error in `LayerConfig::verify` (`mirrord/config/src/lib.rs`) and again when the
    # CLI fetches the remote env (`mirrord/cli/src/execution.rs` `fetch_env_vars`). Some
    # of mirrord's documented examples combine the two; mirrord itself rejects them.
    env = config.feature.env
    if isinstance(env, EnvConfig) and env.include is not None and env.exclude is not None:
        return [
            Problem(
                ("feature", "env", "exclude"),
                "`include` and `exclude` cannot both be set: mirrord refuses to start with "
                "both env filters; keep only one of them",
                "env-include-exclude",
            )
        ]
    return []


def check_ports_conflict(config: MirrordConfig) -> list[Problem]:
    # `mirrord/config/src/lib.rs` `verify`: a non-empty `ignore_ports` with `ports` set.
    _mode, incoming, _where = incoming_of(config)
    if incoming is not None and incoming.ports is not None and incoming.ignore_ports:
        return [
            Problem(
                INCOMING + ("ignore_ports",),
                "`ports` and `ignore_ports` cannot both be set; keep only one of them",
                "ports-conflict",
            )
        ]
    return []


# The filters `LayerConfig::verify` (`mirrord/config/src/lib.rs`) allows only one of.
# `method_filter` and `header_filter_jq` are not counted there.
_SINGLE_FILTERS = (
    "header_filter",
    "path_filter",
    "body_filter",
    "all_of",
    "any_of",
)


def check_http_filters(config: MirrordConfig) -> list[Problem]:
    _mode, incoming, _where = incoming_of(config)
    http = _http_filter(incoming)
    if http is None:
        return []
    base = INCOMING + ("http_filter",)
    problems: list[Problem] = []
    used = [k for k in _SINGLE_FILTERS if getattr(http, k) is not None]
    if len(used) > 1:
        names = ", ".join(f"`{k}`" for k in used)
        problems.append(
            Problem(
                base + (used[1],),
                f"only one HTTP filter may be set, found {names}; combine them with "
                "`all_of` or `any_of`",
                "multiple-http-filters",
            )
        )
    for key in ("all_of", "any_of"):
        items = getattr(http, key)
        if items is not None and len(items) == 0:
            problems.append(
                Problem(base + (key,), f"`{key}` must not be empty", "empty-filter-list")
            )
    return problems


def check_empty_http_filters(config: MirrordConfig) -> list[Problem]:
    """Present but empty filter strings: an error in `LayerConfig::verify`
    (`mirrord/config/src/lib.rs`, `HttpFilterConfig::ensure_no_empty_strings` in
    `mirrord/config/src/feature/network/incoming/http_filter.rs`)."""
    _mode, incoming, _where = incoming_of(config)
    http = _http_filter(incoming)
    if http is None:
        return []
    base = INCOMING + ("http_filter",)
    places: list[tuple[KeyPath, Any]] = [
        (base + (key,), getattr(http, key))
        for key in ("header_filter", "path_filter", "method_filter", "header_filter_jq")
    ]
    if http.body_filter is not None:
        for key in ("query", "matches"):
            places.append((base + ("body_filter", key), getattr(http.body_filter, key)))
    for group in ("all_of", "any_of"):
        for i, inner in enumerate(getattr(http, group) or []):
            for key in ("header", "path", "method", "query", "matches"):
                places.append((base + (group, i, key), getattr(inner, key)))
    return [
        Problem(where, "an HTTP filter cannot be an empty string", "empty-http-filter")
        for where, value in places
        if value == ""
    ]


def _duplicates(values: Iterable[Any]) -> list[tuple[int, Any]]:
    seen: set[Any] = set()
    dups: list[tuple[int, Any]] = []
    for i, v in enumerate(values):
        if v in seen:
            dups.append((i, v))
        seen.add(v)
    return dups


def check_duplicate_ports(config: MirrordConfig) -> list[Problem]:
    _mode, incoming, _where = incoming_of(config)
    if incoming is None:
        return []
    problems: list[Problem] = []
    for key in ("port_mapping", "listen_ports"):
        pairs = getattr(incoming, key)
        if not pairs:
            continue
        for side, label in ((0, "first"), (1, "second")):
            for i, port in _duplicates(p[side] for p in pairs):
                problems.append(
                    Problem(
                        INCOMING + (key, i, side),
                        f"port {port} appears more than once as the {label} port of "
                        f"`{key}`; only one mapping takes effect",
                        "duplicate-port",
                        severity="warning",
                    )
                )
    for key in ("ports", "ignore_ports"):
        for i, port in _duplicates(getattr(incoming, key) or []):
            problems.append(
                Problem(
                    INCOMING + (key, i),
                    f"port {port} is listed more than once",
                    "duplicate-port",
                    severity="warning",
                )
            )
    return problems


def check_startup_retry(config: MirrordConfig) -> list[Problem]:
    # Both are errors in `LayerConfig::verify` (`mirrord/config/src/lib.rs`).
    retry = config.startup_retry
    if retry.min_ms > retry.max_ms:
        return [
            Problem(
                ("startup_retry", "min_ms"),
                f"`min_ms` ({retry.min_ms}) is larger than `max_ms` ({retry.max_ms})",
                "out-of-range",
            )
        ]
    if retry.max_ms == 0:
        return [
            Problem(("startup_retry", "max_ms"), "`max_ms` must be greater than 0", "out-of-range")
        ]
    return []


def check_agent_timeouts(config: MirrordConfig) -> list[Problem]:
    if "startup_timeout" in config.agent.model_fields_set and config.agent.startup_timeout == 0:
        return [
            Problem(
                ("agent", "startup_timeout"),
                "a startup timeout of 0 seconds gives the agent no time to start",
                "out-of-range",
                # mirrord accepts it (`mirrord/config/src/agent.rs`); the session then fails.
                severity="warning",
            )
        ]
    return []


def check_readonly_file_buffer(config: MirrordConfig) -> list[Problem]:
    fs = config.feature.fs
    if not isinstance(fs, FsConfig) or fs.readonly_file_buffer is None:
        return []
    size = fs.readonly_file_buffer
    where: KeyPath = ("feature", "fs", "readonly_file_buffer")
    if size > BUFFER_MAX:
        return [
            Problem(where, f"{size} bytes is above the 15 MiB ({BUFFER_MAX}) limit", "out-of-range")
        ]
    if size > BUFFER_WARN:
        return [
            Problem(
                where,
                f"{size} bytes is a large buffer (over 1 MiB); each open file may use this much",
                "large-file-buffer",
                severity="warning",
            )
        ]
    return []


def check_copy_target(config: MirrordConfig) -> list[Problem]:
    enabled, where = _copy_target(config)
    if not enabled:
        return []
    problems: list[Problem] = []
    if config.operator is False:
        problems.append(
            Problem(
                where,
                "copy_target needs the mirrord operator, but `operator` is false",
                "copy-target-without-operator",
            )
        )
    info = target_info(config)
    if info.state == "targetless":
        problems.append(
            Problem(where, "copy_target needs a target to copy", "copy-target-targetless")
        )
    elif info.state == "absent":
        problems.append(
            Problem(
                where,
                f"copy_target needs a target: {PICKER_HINT}",
                "copy-target-targetless",
                severity="warning",
            )
        )
    elif info.target is not None and info.target.kind == "service":
        problems.append(
            Problem(where, "copy_target cannot copy a service target", "copy-target-service")
        )
    return problems


def check_tls_delivery(config: MirrordConfig) -> list[Problem]:
    _mode, incoming, _where = incoming_of(config)
    if incoming is None or incoming.https_delivery is None:
        return []
    where = INCOMING + ("https_delivery",)
    if incoming.tls_delivery is not None:
        return [
            Problem(
                where,
                "`https_delivery` and `tls_delivery` cannot both be set; keep `tls_delivery`",
                "tls-delivery-conflict",
            )
        ]
    return [
        Problem(
            where,
            "`https_delivery` is deprecated; use `tls_delivery`",
            "deprecated",
            severity="warning",
            data={"replaceKey": "tls_delivery"},
        )
    ]


def check_agent_namespace_ignored(config: MirrordConfig) -> list[Problem]:
    if config.agent.namespace is None:
        return []
    where: KeyPath = ("agent", "namespace")
    if config.agent.ephemeral:
        return [
            Problem(
                where,
                "`agent.namespace` is ignored for ephemeral agents (they run in the target pod)",
                "agent-namespace-ignored",
                severity="warning",
            )
        ]
    if target_info(config).state == "targetless":
        return [
            Problem(
                where,
                "`agent.namespace` is ignored for targetless runs; the agent goes to the "
                "target namespace",
                "agent-namespace-ignored",
                severity="warning",
            )
        ]
    return []


def check_deprecated(config: MirrordConfig) -> list[Problem]:
    exp = config.experimental
    return [
        Problem(
            ("experimental", key),
            f"`experimental.{key}` is deprecated and will be removed",
            "deprecated",
            severity="warning",
        )
        for key in ("latency", "non_blocking_tcp_connect", "sip_utils")
        if key in exp.model_fields_set
    ]


def check_target_object_container(config: MirrordConfig) -> list[Problem]:
    """A bare target object with an empty container name."""
    value = config.target
    obj = value.path if isinstance(value, TargetSpec) else value
    if isinstance(obj, TargetObject) and obj.container == "":
        base: KeyPath = ("target", "path") if isinstance(value, TargetSpec) else ("target",)
        return [
            Problem(base + ("container",), "the container name is empty", "invalid-target-path")
        ]
    return []


def check_label_target(config: MirrordConfig) -> list[Problem]:
    """What `LayerConfig::verify` (`mirrord/config/src/lib.rs`) refuses with a label target."""
    info = target_info(config)
    if info.target is None or info.target.kind != "label":
        return []
    feature = config.feature
    problems: list[Problem] = []
    enabled, where = _copy_target(config)
    if enabled:
        problems.append(
            Problem(where, "copy_target is not supported with label targets", "label-conflict")
        )
    if config.multi_cluster is True:
        problems.append(
            Problem(
                ("multi_cluster",),
                "label targets are not supported in multi-cluster sessions; set "
                "`multi_cluster` to false to use the primary cluster only",
                "label-conflict",
            )
        )
    if feature.split_queues:
        problems.append(
            Problem(
                ("feature", "split_queues"),
                "queue splitting is not supported with label targets",
                "label-conflict",
            )
        )
    if feature.db_branches:
        problems.append(
            Problem(
                ("feature", "db_branches"),
                "database branching is not supported with label targets",
                "label-conflict",
            )
        )
    return problems


def check_remote_filter_without_dns(config: MirrordConfig) -> list[Problem]:
    """A warning in `LayerConfig::verify` (`mirrord/config/src/lib.rs`)."""
    network = _network(config)
    if network is None or not isinstance(network.outgoing, OutgoingConfig):
        return []
    flt = network.outgoing.filter
    dns_on = network.dns if isinstance(network.dns, bool) else network.dns.enabled
    if flt is None or flt.remote is None or dns_on:
        return []
    return [
        Problem(
            ("feature", "network", "outgoing", "filter", "remote"),
            "the outgoing filter names hosts to connect to remotely, but remote DNS is off, "
            "so their addresses are resolved locally; consider turning `dns` on",
            "remote-filter-without-dns",
            severity="warning",
        )
    ]


def check_copy_target_without_steal(config: MirrordConfig) -> list[Problem]:
    """A warning in `LayerConfig::verify` (`mirrord/config/src/lib.rs`)."""
    enabled, where = _copy_target(config)
    mode, _incoming, _where = incoming_of(config)
    if not enabled or mode == "steal":
        return []
    return [
        Problem(
            where,
            "copy_target without steal mode may leave requests in the cluster unanswered: "
            "the app itself is not running in the copied pod",
            "copy-target-without-steal",
            severity="warning",
        )
    ]


def check_port_mapping_same_port(config: MirrordConfig) -> list[Problem]:
    """A warning in `LayerConfig::verify` (`mirrord/config/src/lib.rs`)."""
    _mode, incoming, _where = incoming_of(config)
    if incoming is None or not incoming.port_mapping:
        return []
    return [
        Problem(
            INCOMING + ("port_mapping", i),
            f"port {local} is mapped to itself; a mapping is only needed when the local app "
            "listens on a different port than the remote one",
            "redundant-port-mapping",
            severity="warning",
        )
        for i, (local, remote) in enumerate(incoming.port_mapping)
        if local == remote
    ]


def check_no_target(config: MirrordConfig) -> list[Problem]:
    """No target at all: not wrong, but the IDE will ask at every launch. A hint
    (with a quick fix) tells the user how to make the choice permanent."""
    info = target_info(config)
    if info.state != "absent":
        return []
    return [
        Problem(
            (),
            "no target set: the target picker opens when a session starts; set `target` "
            '(e.g. "pod/<name>" or "targetless") to skip it',
            "no-target",
            "hint",
        )
    ]


CHECKS: tuple[Callable[[MirrordConfig], list[Problem]], ...] = (
    check_no_target,
    check_targetless_steal,
    check_targetless_ephemeral,
    check_env_include_exclude,
    check_ports_conflict,
    check_http_filters,
    check_empty_http_filters,
    check_duplicate_ports,
    check_startup_retry,
    check_agent_timeouts,
    check_readonly_file_buffer,
    check_copy_target,
    check_tls_delivery,
    check_agent_namespace_ignored,
    check_deprecated,
    check_target_object_container,
    check_label_target,
    check_remote_filter_without_dns,
    check_copy_target_without_steal,
    check_port_mapping_same_port,
    check_kube_names,
)


def run_checks(config: MirrordConfig, raw: Any = None) -> list[Problem]:
    """Every semantic check, in a stable order. `raw` is accepted for future checks."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(config))
    return problems
