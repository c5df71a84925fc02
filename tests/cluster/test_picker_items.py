"""Picker items for `mirrord/targetPickerItems` (pure)."""

from __future__ import annotations

import orjson
import pytest

from mirrord_ide.cluster.targets import Target
from mirrord_ide.picker import (
    TARGETLESS_LABEL,
    PickerInput,
    Preselection,
    choose_namespace,
    choose_preselection,
    picker_items,
    picker_items_json,
)

pytestmark = pytest.mark.timeout(30)

TARGETS = [
    Target("deployment/web", "deployment", "web", "shop", "app", True),
    Target("pod/web-1", "pod", "web-1", "shop", "app", True),
    Target("pod/crash", "pod", "crash", "shop", "app", False, "CrashLoopBackOff"),
]


def kinds(result: dict) -> list[str]:
    return [i["kind"] for i in result["items"]]


def test_exactly_one_targetless_item_with_null_path() -> None:
    result = picker_items(
        PickerInput(namespace="shop", targets=TARGETS, namespaces=["shop", "default"])
    )
    targetless = [i for i in result["items"] if i["kind"] == "targetless"]
    assert len(targetless) == 1
    assert targetless[0]["label"] == TARGETLESS_LABEL == 'No Target ("targetless")'
    assert targetless[0]["path"] is None
    assert result["skipDialog"] is False and result["preselected"] is None
    assert result["namespace"] == "shop"


def test_separators_group_targets_by_kind_in_order() -> None:
    result = picker_items(
        PickerInput(
            namespace="shop", targets=TARGETS, namespaces=["shop", "default", "kube-system"]
        )
    )
    labels = [(i["kind"], i["label"]) for i in result["items"]]
    assert labels == [
        ("targetless", TARGETLESS_LABEL),
        ("separator", "Deployments"),
        ("target", "deployment/web"),
        ("separator", "Pods"),
        ("target", "pod/web-1"),
        ("target", "pod/crash"),
        ("separator", "Namespaces"),
        ("namespace", "All namespaces"),
        ("namespace", "default"),
        ("namespace", "kube-system"),
    ]
    crash = next(i for i in result["items"] if i.get("path") == "pod/crash")
    assert crash["available"] is False and "CrashLoopBackOff" in crash["description"]
    switch = next(i for i in result["items"] if i["label"] == "default")
    assert switch["namespace"] == "default"
    every = next(i for i in result["items"] if i["label"] == "All namespaces")
    assert every["allNamespaces"] is True


def test_filter_is_a_case_insensitive_substring() -> None:
    result = picker_items(
        PickerInput(namespace="shop", targets=TARGETS, namespaces=["shop"], filter="WEB")
    )
    paths = [i["path"] for i in result["items"] if i["kind"] == "target"]
    assert paths == ["deployment/web", "pod/web-1"]
    assert kinds(result).count("targetless") == 1
    none = picker_items(PickerInput(namespace="shop", targets=TARGETS, filter="zzz"))
    assert any(i["kind"] == "message" and "zzz" in i["label"] for i in none["items"])


def test_filter_matches_path_or_namespace_on_repeated_and_new_lists() -> None:
    many = [
        Target(f"pod/api-{i}", "pod", f"api-{i}", f"team-{i % 3}", "app", True) for i in range(30)
    ]

    def shown(targets: list[Target], needle: str) -> list[str]:
        result = picker_items(
            PickerInput(namespace="", targets=targets, all_namespaces=True, filter=needle)
        )
        return [i["path"] for i in result["items"] if i["kind"] == "target"]

    assert len(shown(many, "TEAM-1")) == 10  # by namespace
    assert shown(many, "api-29") == ["pod/api-29"]  # the same list again, by path
    other = [*many[:2], Target("pod/web", "pod", "web", "team-1", "app", True)]
    assert shown(other, "web") == ["pod/web"]  # a new list is not matched with old keys
    # Text that spans the path and the namespace matches neither.
    assert shown(other, "web\x00team") == []


def test_unreadable_cluster_still_offers_targetless_and_says_why() -> None:
    result = picker_items(
        PickerInput(namespace="shop", targets=None, messages=["cannot connect to the cluster"])
    )
    assert kinds(result)[:2] == ["message", "targetless"]
    assert "target" not in kinds(result)


def test_hidden_kinds_become_messages() -> None:
    result = picker_items(
        PickerInput(
            namespace="shop",
            targets=TARGETS[1:],
            hidden={"deployment": 'deployments.apps is forbidden: User "dev"'},
        )
    )
    [message] = [i for i in result["items"] if i["kind"] == "message"]
    assert "deployments" in message["label"] and "forbidden" in message["detail"]


def test_preselection_skips_the_dialog() -> None:
    result = picker_items(
        PickerInput(
            namespace="shop", targets=TARGETS, preselection=Preselection("targetless", "config")
        )
    )
    assert result["skipDialog"] is True
    assert result["preselected"] == "targetless"
    assert result["preselectedBy"] == "config"


def test_all_namespaces_mode_shows_namespace_in_description() -> None:
    targets = [
        Target("pod/a", "pod", "a", "one", "app", True),
        Target("pod/a", "pod", "a", "two", "app", True),
    ]
    result = picker_items(
        PickerInput(
            namespace="one", targets=targets, namespaces=["one", "two"], all_namespaces=True
        )
    )
    descriptions = [i["description"] for i in result["items"] if i["kind"] == "target"]
    assert descriptions == ["one · container app", "two · container app"]
    assert result["allNamespaces"] is True
    # Each namespace can be picked to narrow the list down.
    assert [i["label"] for i in result["items"] if i["kind"] == "namespace"] == ["one", "two"]


def test_targetless_ruled_out_by_config_is_marked() -> None:
    result = picker_items(
        PickerInput(
            namespace="n", targets=[], targetless_reason="not compatible with feature.copy_target"
        )
    )
    [item] = [i for i in result["items"] if i["kind"] == "targetless"]
    assert item["available"] is False and "copy_target" in item["description"]


@pytest.mark.parametrize(
    ("request_target", "env", "config", "expected"),
    [
        ("pod/a", {"MIRRORD_IMPERSONATED_TARGET": "pod/b"}, "pod/c", ("pod/a", "request")),
        (None, {"MIRRORD_IMPERSONATED_TARGET": "pod/b"}, "pod/c", ("pod/b", "env")),
        (None, {}, "pod/c", ("pod/c", "config")),
        (None, {}, "targetless", ("targetless", "config")),
        (None, {}, None, (None, None)),
    ],
)
def test_precedence_request_env_config(request_target, env, config, expected) -> None:  # type: ignore[no-untyped-def]
    pre = choose_preselection(request_target, env, config)
    assert (pre.choice, pre.source) == expected


def test_namespace_precedence() -> None:
    env = {"MIRRORD_TARGET_NAMESPACE": "from-env"}
    assert choose_namespace("req", env, "cfg", "ctx") == "req"
    assert choose_namespace(None, env, "cfg", "ctx") == "from-env"
    assert choose_namespace(None, {}, "cfg", "ctx") == "cfg"
    assert choose_namespace(None, {}, None, "ctx") == "ctx"


@pytest.mark.parametrize(
    ("config", "available"),
    [(None, False), ({}, False), ({"operator": False}, False), ({"operator": True}, True)],
)
def test_operator_kinds_are_offered_only_with_the_operator(config: object, available: bool) -> None:
    from mirrord_ide.cluster.records import decode_workload
    from mirrord_ide.cluster.targets import TargetRules, build_targets

    raw = {
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": [{"name": "pg"}]}}},
        "status": {"readyReplicas": 1, "availableReplicas": 1},
    }
    workloads = [w for w in (decode_workload(k, raw) for k in ("statefulset", "job")) if w]
    targets = build_targets([], workloads, TargetRules.from_config(config))
    items = picker_items(PickerInput(namespace="shop", targets=targets))["items"]
    offered = [i for i in items if i["kind"] == "target"]
    assert [i["path"] for i in offered] == ["statefulset/db", "job/db"]
    for item in offered:
        assert item["available"] is available
        if not available:
            assert item["detail"].startswith("needs the mirrord operator")
            assert "unavailable: needs the mirrord operator" in item["description"]


@pytest.mark.parametrize("count", [0, 3, 2048, 2049, 5000])
@pytest.mark.parametrize("needle", [None, "svc-1", "nothing-matches"])
def test_encoded_items_are_the_items_encoded(count: int, needle: str | None) -> None:
    many = [
        Target(f"pod/svc-{i}", "pod", f"svc-{i}", f"team-{i % 7}", "app", i % 5 != 0, None)
        if i % 5
        else Target(f"pod/svc-{i}", "pod", f"svc-{i}", f"team-{i % 7}", "app", False, "Pending")
        for i in range(count)
    ]
    many += [Target("deployment/web", "deployment", "web", "team-1", None, True)]
    for all_namespaces in (False, True):
        data = PickerInput(
            namespace='odd "items":[] name',
            targets=many,
            namespaces=["team-1", "team-2"],
            all_namespaces=all_namespaces,
            messages=["a message"],
            preselection=Preselection("pod/svc-3", "config"),
            filter=needle,
        )
        assert picker_items_json(data) == orjson.dumps(picker_items(data))
        with_stale = orjson.loads(picker_items_json(data, {"stale": True}))
        assert with_stale == {**picker_items(data), "stale": True}
