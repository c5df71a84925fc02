"""validate_config: clean problems from schema errors, target grammar, never raising."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrord_ide.config.problems import Problem
from mirrord_ide.config.validate import validate_config


def problems(value: Any) -> list[Problem]:
    return validate_config(value).problems


def only(value: Any, code: str) -> Problem:
    found = [p for p in problems(value) if p.code == code]
    assert len(found) == 1, problems(value)
    return found[0]


def test_valid_config_has_no_problems() -> None:
    result = validate_config(
        {"target": "deployment/api", "feature": {"network": {"incoming": "steal"}}}
    )
    assert result.problems == []
    assert result.config is not None and result.ok


def test_unknown_key_did_you_mean() -> None:
    p = only({"feature": {"network": {"incomng": "steal"}}}, "unknown-key")
    assert p.path == ("feature", "network", "incomng")
    assert p.on_key
    assert "did you mean `incoming`?" in p.message
    assert p.data == {"replaceKey": "incoming"}


def test_unknown_key_without_suggestion_lists_allowed() -> None:
    p = only({"startup_retry": {"zzz": 1}}, "unknown-key")
    assert "replaceKey" not in p.data
    assert "`min_ms`" in p.message


def test_unknown_root_key() -> None:
    p = only({"targt": "pod/a"}, "unknown-key")
    assert p.path == ("targt",) and p.data["replaceKey"] == "target"


def test_unknown_key_in_target_object_suggests_kind() -> None:
    p = only({"target": {"pods": "a"}}, "unknown-key")
    assert p.data["replaceKey"] == "pod"


def test_union_gives_one_message() -> None:
    found = problems({"feature": {"network": {"incoming": 5}}})
    assert len(found) == 1
    assert found[0].code == "wrong-type"
    assert found[0].path == ("feature", "network", "incoming")
    assert "expected `mirror`, `steal`, `off`, a boolean or an object" in found[0].message
    assert "got the integer 5" in found[0].message


def test_bad_enum_value_in_union() -> None:
    p = only({"feature": {"network": {"incoming": "stea"}}}, "invalid-value")
    assert p.data["allowed"] == ["mirror", "steal", "off"]
    assert p.data["replaceValue"] == "steal"


def test_bad_enum_value_in_object() -> None:
    p = only({"feature": {"fs": {"mode": "raed"}}}, "invalid-value")
    assert p.path == ("feature", "fs", "mode")
    assert "`local`, `localwithoverrides`, `read` or `write`" in p.message


@pytest.mark.parametrize(
    ("value", "path", "expected"),
    [
        ({"agent": {"ttl": "5"}}, ("agent", "ttl"), "expected an integer, got the string"),
        ({"agent": {"ephemeral": 1}}, ("agent", "ephemeral"), "expected a boolean"),
        ({"agent": {"labels": {"a": 1}}}, ("agent", "labels", "a"), "expected a string"),
        ({"agent": []}, ("agent",), "expected an object, got an array"),
        ({"skip_processes": 3}, ("skip_processes",), "expected a string or an array"),
        ({"feature": {"env": "yes"}}, ("feature", "env"), "expected a boolean or an object"),
    ],
)
def test_wrong_types(value: Any, path: tuple[Any, ...], expected: str) -> None:
    p = only(value, "wrong-type")
    assert p.path == path
    assert expected in p.message


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"agent": {"ttl": 70000}}, ("agent", "ttl")),
        ({"agent": {"ttl": -1}}, ("agent", "ttl")),
        ({"agent": {"startup_timeout": -5}}, ("agent", "startup_timeout")),
        (
            {"feature": {"network": {"incoming": {"ports": [80, 65536]}}}},
            ("feature", "network", "incoming", "ports", 1),
        ),
        (
            {"feature": {"network": {"incoming": {"port_mapping": [[1, 99999]]}}}},
            ("feature", "network", "incoming", "port_mapping", 0, 1),
        ),
    ],
)
def test_out_of_range(value: Any, path: tuple[Any, ...]) -> None:
    p = only(value, "out-of-range")
    assert p.path == path
    assert "out of range" in p.message


def test_port_range_message_names_the_range() -> None:
    p = only({"feature": {"network": {"incoming": {"ports": [70000]}}}}, "out-of-range")
    assert "0..65535" in p.message


def test_reports_all_problems_and_still_checks_semantics() -> None:
    result = validate_config(
        {
            "agent": {"ttl": "x", "namespce": "a"},
            "feature": {
                "fs": {"mode": "nope"},
                "network": {"incoming": {"mode": "steal", "ports": [1], "ignore_ports": [2]}},
            },
            "target": "targetless",
        }
    )
    codes = sorted(p.code for p in result.problems)
    assert codes == sorted(
        ["wrong-type", "unknown-key", "invalid-value", "ports-conflict", "targetless-steal"]
    )
    assert result.config is not None


def test_missing_required_key() -> None:
    value = {"feature": {"network": {"incoming": {"tls_delivery": {"server_name": "x"}}}}}
    p = only(value, "missing-key")
    assert p.path == ("feature", "network", "incoming", "tls_delivery")
    assert p.data == {"missingKey": "protocol"}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"target": "pdo/web"}, ("target",)),
        ({"target": {"path": "pod/a/contaner/b"}}, ("target", "path")),
        ({"target": "label/a=1,a=2"}, ("target",)),
    ],
)
def test_invalid_target_path(value: Any, path: tuple[Any, ...]) -> None:
    p = only(value, "invalid-target-path")
    assert p.path == path and p.severity == "error"


def test_two_target_kinds_in_object() -> None:
    p = only({"target": {"pod": "a", "deployment": "b"}}, "invalid-target-path")
    assert p.path == ("target",)
    assert "exactly one of" in p.message


def test_operator_target_is_a_warning() -> None:
    result = validate_config({"target": {"path": "job/migrate", "namespace": "x"}})
    assert result.ok
    assert [(p.code, p.severity, p.path) for p in result.problems] == [
        ("requires-operator", "warning", ("target", "path"))
    ]
    assert only({"target": {"cron_job": "c"}}, "requires-operator").path == ("target",)


def test_templated_target_is_not_parsed() -> None:
    value = {"target": '{{ get_env(name="TARGET", default="pod/fallback") }}'}
    assert problems(value) == []


@pytest.mark.parametrize("root", [None, 1, "x", [1, 2], True, 2.5])
def test_non_object_root(root: Any) -> None:
    result = validate_config(root)
    assert result.config is None
    assert [p.code for p in result.problems] == ["wrong-type"]
    assert result.problems[0].path == ()


def test_input_is_not_modified() -> None:
    value = {"agent": {"ttl": "x"}, "target": {"pods": "a"}}
    validate_config(value)
    assert value == {"agent": {"ttl": "x"}, "target": {"pods": "a"}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

config_keys = st.sampled_from(
    [
        "target",
        "agent",
        "feature",
        "network",
        "incoming",
        "mode",
        "ports",
        "env",
        "fs",
        "path",
        "namespace",
        "pod",
        "container",
        "ttl",
        "http_filter",
        "copy_target",
    ]
)
config_like = st.recursive(
    json_values,
    lambda children: st.dictionaries(config_keys, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_never_raises_on_any_json(value: Any) -> None:
    result = validate_config(value)
    assert all(isinstance(p, Problem) for p in result.problems)
    assert all(p.code != "internal-error" for p in result.problems)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(config_like)
def test_never_raises_on_config_like_values(value: Any) -> None:
    result = validate_config(value)
    assert all(p.code != "internal-error" for p in result.problems), result.problems


def test_non_string_map_key() -> None:
    p = only({"agent": {"labels": {1: "x"}}}, "wrong-type")
    assert p.path == ("agent", "labels", 1) and p.on_key
    assert "keys must be strings" in p.message


def test_key_valid_only_in_another_form() -> None:
    p = only({"target": {"path": "pod/a", "pod": "a"}}, "unknown-key")
    assert p.path == ("target", "path")
    assert "cannot be combined" in p.message and "replaceKey" not in p.data


def test_checks_do_not_echo_removed_values() -> None:
    value = {"feature": {"network": {"incoming": {"http_filter": {"all_of": [{"header": 1}]}}}}}
    assert [p.code for p in problems(value)] == ["wrong-type"]


def test_invalid_inner_filter() -> None:
    value = {
        "feature": {
            "network": {"incoming": {"http_filter": {"any_of": [{"header": "a", "path": "b"}]}}}
        }
    }
    p = only(value, "invalid-value")
    assert p.path == ("feature", "network", "incoming", "http_filter", "any_of", 0)
    assert "exactly one of" in p.message
