"""Each semantic check on its own: code, severity and location."""

from __future__ import annotations

from typing import Any

import pytest

from mirrord_ide.config import checks
from mirrord_ide.config.model import MirrordConfig
from mirrord_ide.config.problems import Problem

INC = ("feature", "network", "incoming")


def run(check: Any, value: dict[str, Any]) -> list[tuple[str, str, tuple[Any, ...]]]:
    result: list[Problem] = check(MirrordConfig.model_validate(value))
    return [(p.code, p.severity, p.path) for p in result]


def steal(**incoming: Any) -> dict[str, Any]:
    return {"feature": {"network": {"incoming": {"mode": "steal", **incoming}}}}


def test_targetless_steal_explicit_is_error() -> None:
    value = {"target": "targetless", **steal()}
    assert run(checks.check_targetless_steal, value) == [
        ("targetless-steal", "error", INC + ("mode",))
    ]
    shorthand = {"target": {"path": "targetless"}, "feature": {"network": {"incoming": "steal"}}}
    assert run(checks.check_targetless_steal, shorthand) == [("targetless-steal", "error", INC)]


def test_targetless_steal_without_target_is_warning() -> None:
    found = checks.check_targetless_steal(MirrordConfig.model_validate(steal()))
    assert [(p.code, p.severity) for p in found] == [("targetless-steal", "warning")]
    assert "the IDE will ask" in found[0].message
    # A namespace alone still names no target.
    value = {"target": {"namespace": "ns"}, **steal()}
    assert run(checks.check_targetless_steal, value)[0][1] == "warning"


def test_steal_with_target_is_fine() -> None:
    assert run(checks.check_targetless_steal, {"target": "pod/a", **steal()}) == []
    assert run(checks.check_targetless_steal, {"target": "targetless"}) == []


def test_targetless_ephemeral() -> None:
    value = {"target": "targetless", "agent": {"ephemeral": True}}
    assert run(checks.check_targetless_ephemeral, value) == [
        ("targetless-ephemeral", "error", ("agent", "ephemeral"))
    ]
    assert run(checks.check_targetless_ephemeral, {"agent": {"ephemeral": True}})[0][1] == "warning"
    assert (
        run(checks.check_targetless_ephemeral, {"target": "pod/a", "agent": {"ephemeral": True}})
        == []
    )


def test_env_include_exclude() -> None:
    value = {"feature": {"env": {"include": "A", "exclude": "B"}}}
    # An error in mirrord (`LayerConfig::verify`, `fetch_env_vars`), so one here.
    assert run(checks.check_env_include_exclude, value) == [
        ("env-include-exclude", "error", ("feature", "env", "exclude"))
    ]
    as_lists = {"feature": {"env": {"include": ["A"], "exclude": ["B", "C"]}}}
    assert run(checks.check_env_include_exclude, as_lists)[0][:2] == (
        "env-include-exclude",
        "error",
    )
    assert run(checks.check_env_include_exclude, {"feature": {"env": {"include": "A"}}}) == []


def test_ports_conflict() -> None:
    assert run(checks.check_ports_conflict, steal(ports=[80], ignore_ports=[81])) == [
        ("ports-conflict", "error", INC + ("ignore_ports",))
    ]
    assert run(checks.check_ports_conflict, steal(ports=[80])) == []


def test_multiple_http_filters() -> None:
    value = steal(http_filter={"header_filter": "a", "path_filter": "b"})
    assert run(checks.check_http_filters, value) == [
        ("multiple-http-filters", "error", INC + ("http_filter", "path_filter"))
    ]
    ok = steal(http_filter={"all_of": [{"header": "a"}, {"path": "b"}], "ports": [80]})
    assert run(checks.check_http_filters, ok) == []


@pytest.mark.parametrize("key", ["all_of", "any_of"])
def test_empty_filter_list(key: str) -> None:
    assert run(checks.check_http_filters, steal(http_filter={key: []})) == [
        ("empty-filter-list", "error", INC + ("http_filter", key))
    ]


def test_duplicate_ports() -> None:
    value = steal(port_mapping=[[80, 8080], [81, 8080]], ports=[1, 2, 1])
    assert run(checks.check_duplicate_ports, value) == [
        ("duplicate-port", "warning", INC + ("port_mapping", 1, 1)),
        ("duplicate-port", "warning", INC + ("ports", 2)),
    ]
    assert run(checks.check_duplicate_ports, steal(listen_ports=[[80, 1], [80, 2]])) == [
        ("duplicate-port", "warning", INC + ("listen_ports", 1, 0))
    ]


def test_startup_retry_order() -> None:
    value = {"startup_retry": {"min_ms": 6000}}
    assert run(checks.check_startup_retry, value) == [
        ("out-of-range", "error", ("startup_retry", "min_ms"))
    ]
    assert run(checks.check_startup_retry, {"startup_retry": {"min_ms": 5000}}) == []


def test_zero_startup_timeout() -> None:
    # mirrord accepts 0 (the session then fails), so it is a warning.
    assert run(checks.check_agent_timeouts, {"agent": {"startup_timeout": 0}}) == [
        ("out-of-range", "warning", ("agent", "startup_timeout"))
    ]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (128000, []),
        (1024 * 1024, []),
        (1024 * 1024 + 1, [("large-file-buffer", "warning")]),
        (15 * 1024 * 1024 + 1, [("out-of-range", "error")]),
    ],
)
def test_readonly_file_buffer(size: int, expected: list[tuple[str, str]]) -> None:
    value = {"feature": {"fs": {"readonly_file_buffer": size}}}
    assert [(c, s) for c, s, _ in run(checks.check_readonly_file_buffer, value)] == expected


def test_copy_target() -> None:
    explicit = {"target": "targetless", "feature": {"copy_target": True}}
    assert run(checks.check_copy_target, explicit) == [
        ("copy-target-targetless", "error", ("feature", "copy_target"))
    ]
    no_operator = {
        "target": "deploy/a",
        "operator": False,
        "feature": {"copy_target": {"enabled": True}},
    }
    assert run(checks.check_copy_target, no_operator) == [
        ("copy-target-without-operator", "error", ("feature", "copy_target", "enabled"))
    ]
    service = {"target": "service/s", "feature": {"copy_target": True}}
    assert run(checks.check_copy_target, service)[0][0] == "copy-target-service"
    assert (
        run(checks.check_copy_target, {"target": "deploy/a", "feature": {"copy_target": True}})
        == []
    )
    assert run(checks.check_copy_target, {"target": "targetless"}) == []


def test_https_and_tls_delivery() -> None:
    both = steal(https_delivery={"protocol": "tcp"}, tls_delivery={"protocol": "tls"})
    assert run(checks.check_tls_delivery, both) == [
        ("tls-delivery-conflict", "error", INC + ("https_delivery",))
    ]
    old = steal(https_delivery={"protocol": "tcp"})
    assert run(checks.check_tls_delivery, old) == [
        ("deprecated", "warning", INC + ("https_delivery",))
    ]


def test_agent_namespace_ignored() -> None:
    targetless = {"target": "targetless", "agent": {"namespace": "x"}}
    assert run(checks.check_agent_namespace_ignored, targetless) == [
        ("agent-namespace-ignored", "warning", ("agent", "namespace"))
    ]
    ephemeral = {"target": "pod/a", "agent": {"namespace": "x", "ephemeral": True}}
    assert run(checks.check_agent_namespace_ignored, ephemeral)[0][0] == "agent-namespace-ignored"
    assert (
        run(checks.check_agent_namespace_ignored, {"target": "pod/a", "agent": {"namespace": "x"}})
        == []
    )


def test_deprecated_experimental() -> None:
    value = {"experimental": {"sip_utils": True}}
    assert run(checks.check_deprecated, value) == [
        ("deprecated", "warning", ("experimental", "sip_utils"))
    ]


def test_default_config_passes_every_check() -> None:
    problems = checks.run_checks(MirrordConfig.model_validate({}))
    # Only the hint that no target is set (the picker will ask).
    assert [p.code for p in problems] == ["no-target"]
    assert problems[0].severity == "hint"


def test_no_target_hint_only_when_target_absent() -> None:
    assert checks.check_no_target(MirrordConfig.model_validate({"target": "targetless"})) == []
    assert checks.check_no_target(MirrordConfig.model_validate({"target": "pod/a"})) == []
    assert checks.check_no_target(MirrordConfig.model_validate({"target": {"namespace": "x"}}))


def test_incoming_of_shorthands() -> None:
    def mode(network: Any) -> str:
        config = MirrordConfig.model_validate({"feature": {"network": network}})
        return checks.incoming_of(config)[0]

    assert mode(False) == "off"
    assert mode(True) == "mirror"
    assert mode({"incoming": "steal"}) == "steal"
    assert mode({"incoming": False}) == "off"
    assert mode({"incoming": {"mode": "steal"}}) == "steal"
    assert mode({}) == "mirror"


def test_ignore_ports_empty_list_with_ports_is_fine() -> None:
    # mirrord rejects only a non-empty `ignore_ports` next to `ports`.
    assert run(checks.check_ports_conflict, steal(ports=[80], ignore_ports=[])) == []


def test_method_filter_with_header_filter_is_not_a_conflict() -> None:
    # `LayerConfig::verify` counts path, header, body, all_of and any_of only.
    value = steal(http_filter={"header_filter": "x", "method_filter": "GET"})
    assert run(checks.check_http_filters, value) == []
    both = steal(http_filter={"header_filter": "x", "path_filter": "/y"})
    assert run(checks.check_http_filters, both)[0][:2] == ("multiple-http-filters", "error")


def test_startup_retry_max_zero() -> None:
    value = {"startup_retry": {"min_ms": 0, "max_ms": 0}}
    assert run(checks.check_startup_retry, value) == [
        ("out-of-range", "error", ("startup_retry", "max_ms"))
    ]


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"feature": {"copy_target": True}}, ("feature", "copy_target")),
        ({"multi_cluster": True}, ("multi_cluster",)),
        ({"feature": {"split_queues": {"q": {"queue_type": "SQS"}}}}, ("feature", "split_queues")),
        (
            {"feature": {"db_branches": [{"type": "pg", "version": "16"}]}},
            ("feature", "db_branches"),
        ),
    ],
)
def test_label_target_conflicts(extra: dict[str, Any], where: tuple[str, ...]) -> None:
    value = {"target": "label/app=web", "operator": True, **extra}
    assert run(checks.check_label_target, value) == [("label-conflict", "error", where)]
    assert run(checks.check_label_target, {**value, "target": "deployment/web"}) == []


def test_remote_outgoing_filter_without_dns_is_warning() -> None:
    outgoing = {"filter": {"remote": ["db.internal:5432"]}}
    value = {"feature": {"network": {"outgoing": outgoing, "dns": False}}}
    assert run(checks.check_remote_filter_without_dns, value) == [
        (
            "remote-filter-without-dns",
            "warning",
            ("feature", "network", "outgoing", "filter", "remote"),
        )
    ]
    dns_on = {"feature": {"network": {"outgoing": outgoing}}}
    assert run(checks.check_remote_filter_without_dns, dns_on) == []


def test_copy_target_without_steal_is_warning() -> None:
    value = {"target": "pod/a", "feature": {"copy_target": {"enabled": True}}}
    assert run(checks.check_copy_target_without_steal, value) == [
        ("copy-target-without-steal", "warning", ("feature", "copy_target", "enabled"))
    ]
    stealing = {**steal(), "target": "pod/a"}
    stealing["feature"]["copy_target"] = True
    assert run(checks.check_copy_target_without_steal, stealing) == []


def test_port_mapped_to_itself_is_warning() -> None:
    value = steal(port_mapping=[[8080, 80], [9000, 9000]])
    assert run(checks.check_port_mapping_same_port, value) == [
        ("redundant-port-mapping", "warning", INC + ("port_mapping", 1))
    ]


def test_empty_http_filter_strings_are_errors() -> None:
    value = steal(http_filter={"all_of": [{"header": "x"}, {"path": ""}], "method_filter": ""})
    assert run(checks.check_empty_http_filters, value) == [
        ("empty-http-filter", "error", INC + ("http_filter", "method_filter")),
        ("empty-http-filter", "error", INC + ("http_filter", "all_of", 1, "path")),
    ]
    assert run(checks.check_empty_http_filters, steal(http_filter={"header_filter": " "})) == []
