"""The target path grammar: every accepted form and every way a path can be wrong."""

from __future__ import annotations

import pytest

from mirrord_ide.config.target_path import (
    TARGETLESS,
    TargetPath,
    TargetPathError,
    parse_target_path,
    target_from_config_value,
)


@pytest.mark.parametrize(
    ("text", "kind", "name", "container", "canonical"),
    [
        ("pod/web", "pod", "web", None, "pod/web"),
        ("pod/web/container/app", "pod", "web", "app", "pod/web/container/app"),
        ("deploy/api", "deployment", "api", None, "deployment/api"),
        ("deployment/api/container/c", "deployment", "api", "c", "deployment/api/container/c"),
        ("rollout/r", "rollout", "r", None, "rollout/r"),
        ("job/j", "job", "j", None, "job/j"),
        ("cronjob/cj", "cronjob", "cj", None, "cronjob/cj"),
        ("statefulset/s", "statefulset", "s", None, "statefulset/s"),
        ("service/svc", "service", "svc", None, "service/svc"),
        ("replicaset/rs", "replicaset", "rs", None, "replicaset/rs"),
    ],
)
def test_accepted_paths(
    text: str, kind: str, name: str, container: str | None, canonical: str
) -> None:
    target = parse_target_path(text)
    assert (target.kind, target.name, target.container) == (kind, name, container)
    assert target.canonical == canonical
    assert parse_target_path(target.canonical) == target


def test_targetless() -> None:
    target = parse_target_path("targetless")
    assert target is TARGETLESS
    assert target.is_targetless and target.canonical == "targetless"
    assert not target.requires_operator


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("pod/a", False),
        ("deploy/a", False),
        ("rollout/a", False),
        ("job/a", True),
        ("cronjob/a", True),
        ("statefulset/a", True),
        ("service/a", True),
        ("replicaset/a", True),
        ("label/app=x", True),
    ],
)
def test_requires_operator(text: str, operator: bool) -> None:
    assert parse_target_path(text).requires_operator is operator


def test_label_targets_sorted_and_with_container() -> None:
    target = parse_target_path("label/tier=web,app=shop/container/main")
    assert target.kind == "label"
    assert target.label_map == {"tier": "web", "app": "shop"}
    assert target.container == "main"
    assert target.canonical == "label/app=shop,tier=web/container/main"
    # Values may be empty.
    assert parse_target_path("label/app=").label_map == {"app": ""}


def _error(text: str) -> TargetPathError:
    with pytest.raises(TargetPathError) as info:
        parse_target_path(text)
    return info.value


def test_unknown_type_suggests_closest() -> None:
    err = _error("pdo/web")
    assert err.code == "unknown-target-type"
    assert "unknown target type `pdo`" in err.message
    assert "did you mean `pod`?" in err.message


def test_prefixes_are_case_sensitive() -> None:
    err = _error("Pod/web")
    assert err.code == "unknown-target-type"
    assert "`pod`" in err.message


def test_bare_name_asks_for_a_prefix() -> None:
    err = _error("web-7d9f")
    assert "did you remember a prefix, e.g. pod/web-7d9f?" in err.message


def test_misspelled_targetless() -> None:
    assert "did you mean `targetless`?" in _error("targetles").message


@pytest.mark.parametrize("text", ["pod", "pod/", "deployment"])
def test_missing_name(text: str) -> None:
    err = _error(text)
    assert err.code == "missing-target-name"
    assert "name" in err.message


@pytest.mark.parametrize("text", ["pod/a/container", "pod/a/container/"])
def test_container_without_name(text: str) -> None:
    err = _error(text)
    assert err.code == "missing-container-name"
    assert "must be followed by a container name" in err.message


def test_wrong_token_instead_of_container() -> None:
    err = _error("pod/a/contaner/b")
    assert "expected `container` after the name, found `contaner`" in err.message
    assert "did you mean `container`?" in err.message
    assert "found `b`" in _error("pod/a/b").message


def test_trailing_parts() -> None:
    err = _error("pod/a/container/b/extra")
    assert err.code == "trailing-target-parts"
    assert "`extra`" in err.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("label", "at least one label"),
        ("label/", "at least one label"),
        ("label/app", "`app` is not a `key=value` pair"),
        ("label/=x", "empty key"),
        ("label/a=1,a=2", "contains the key `a` more than once"),
    ],
)
def test_label_errors(text: str, fragment: str) -> None:
    err = _error(text)
    assert fragment in err.message
    assert err.code == "invalid-label-target"


def test_empty_string() -> None:
    assert _error("").code == "missing-target-name"


@pytest.mark.parametrize(
    ("value", "expected", "namespace"),
    [
        (None, None, None),
        ("targetless", TARGETLESS, None),
        ("pod/a", TargetPath("pod", "a"), None),
        ({"path": "deploy/d", "namespace": "ns"}, TargetPath("deployment", "d"), "ns"),
        ({"namespace": "ns"}, None, "ns"),
        ({}, None, None),
        ({"path": None}, None, None),
        ({"path": {"pod": "p", "container": "c"}}, TargetPath("pod", "p", "c"), None),
        ({"cron_job": "nightly"}, TargetPath("cronjob", "nightly"), None),
        ({"stateful_set": "db"}, TargetPath("statefulset", "db"), None),
        ({"replica_set": "rs"}, TargetPath("replicaset", "rs"), None),
        ({"labels": {"app": "x"}}, TargetPath("label", labels=(("app", "x"),)), None),
    ],
)
def test_config_value_forms(
    value: object, expected: TargetPath | None, namespace: str | None
) -> None:
    assert target_from_config_value(value) == (expected, namespace)


@pytest.mark.parametrize(
    "value", [5, {"pod": "a", "deployment": "b"}, {"labels": {}}, {"path": "nope"}, [1]]
)
def test_config_value_errors(value: object) -> None:
    with pytest.raises(TargetPathError):
        target_from_config_value(value)
