"""Field information for completion and hover, read from the models."""

from __future__ import annotations

from mirrord_ide.config.schema_info import expected_text, field_at, fields_under, type_at


def names(path: tuple[object, ...]) -> set[str]:
    return {f.name for f in fields_under(path)}  # type: ignore[arg-type]


def test_root_keys_match_mirrord() -> None:
    expected = {
        "accept_invalid_certificates",
        "agent",
        "api",
        "baggage",
        "ci",
        "container",
        "experimental",
        "external_proxy",
        "feature",
        "internal_proxy",
        "key",
        "kube_context",
        "kubeconfig",
        "multi_cluster",
        "operator",
        "profile",
        "sip_binaries",
        "skip_build_tools",
        "skip_extra_build_tools",
        "skip_processes",
        "skip_sip",
        "startup_retry",
        "target",
        "telemetry",
        "traceparent",
        "use_proxy",
    }
    assert names(()) == expected


def test_fields_under_follow_unions_into_objects() -> None:
    incoming = names(("feature", "network", "incoming"))
    assert {"mode", "http_filter", "ports", "ignore_ports", "port_mapping"} <= incoming
    target = names(("target",))
    assert {"path", "namespace", "pod", "cron_job", "labels", "container"} <= target
    assert "header_filter" in names(("feature", "network", "incoming", "http_filter"))
    assert fields_under(("agent", "ttl")) == []
    assert fields_under(("nope",)) == []


def test_field_at_enum_and_snippet() -> None:
    info = field_at(("feature", "network", "incoming"))
    assert info is not None
    assert info.enum_values == ["mirror", "steal", "off"]
    assert info.value_kinds >= {"string", "boolean", "object"}
    assert info.snippet == '{\n\t"mode": "${1|mirror,steal,off|}"\n}'
    mode = field_at(("feature", "network", "incoming", "mode"))
    assert mode is not None and mode.default == "mirror" and mode.default_repr == '"mirror"'
    assert mode.snippet == '"${1|mirror,steal,off|}"'


def test_field_at_defaults_and_descriptions() -> None:
    ttl = field_at(("agent", "ttl"))
    assert ttl is not None
    assert ttl.default == 1 and ttl.default_repr == "1"
    assert ttl.value_kinds == {"integer"}
    assert "seconds" in ttl.description.lower()
    ephemeral = field_at(("agent", "ephemeral"))
    assert ephemeral is not None and ephemeral.default is False
    assert ephemeral.snippet == "${1|false,true|}"
    namespace = field_at(("agent", "namespace"))
    assert namespace is not None and namespace.default is None
    assert namespace.value_kinds == {"string", "null"}


def test_deprecated_flag() -> None:
    info = field_at(("feature", "network", "incoming", "https_delivery"))
    assert info is not None and info.deprecated
    assert field_at(("feature", "network", "incoming", "tls_delivery")).deprecated is False  # type: ignore[union-attr]


def test_paths_through_lists_and_maps() -> None:
    assert field_at(("agent", "labels", "anything")) is not None
    item = field_at(("feature", "network", "incoming", "ports", 0))
    assert item is not None and item.value_kinds == {"integer"}
    assert names(("agent", "tolerations", 0)) >= {"key", "operator", "effect"}
    assert field_at(("feature", "bogus")) is None


def test_expected_text() -> None:
    assert expected_text(type_at(("feature", "fs"))) == (
        "`local`, `localwithoverrides`, `read`, `write`, a boolean or an object"
    )
    assert expected_text(type_at(("skip_processes",))) == "a string or an array"
    assert expected_text(type_at(("target",))) == "a string or an object"
