"""Seeds: parsing, errors, expansion, the big-namespace generator."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mirrord_simcluster.seed import SeedError, expand_seed, load_seed
from mirrord_simcluster.seedgen import big_namespace
from mirrord_simcluster.testing import running_cluster


def test_demo_seed_shape() -> None:
    objs = expand_seed(load_seed(None))
    namespaces = {n["metadata"]["name"] for n in objs["namespaces"]}
    assert {"default", "shop", "payments", "kube-system"} <= namespaces
    assert 2 <= len(objs["nodes"]) <= 3
    pods = objs["pods"]
    by_uid = {o["metadata"]["uid"]: o for kind in objs.values() for o in kind}
    for pod in pods:
        for ref in pod["metadata"].get("ownerReferences", []):
            assert by_uid[ref["uid"]]["metadata"]["name"] == ref["name"]
    sidecar = [p for p in pods if any(c["name"] == "istio-proxy" for c in p["spec"]["containers"])]
    assert sidecar
    assert any(
        len(p["spec"]["containers"]) > 1 and "ownerReferences" not in p["metadata"] for p in pods
    )
    states = {
        c["state"].get("waiting", {}).get("reason")
        for p in pods
        for c in p["status"].get("containerStatuses", [])
    }
    assert "CrashLoopBackOff" in states
    assert any(p["status"]["phase"] == "Succeeded" for p in pods)
    env_forms = {
        key
        for p in pods
        for c in p["spec"]["containers"]
        for e in c.get("env", [])
        for key in e.get("valueFrom", {})
    }
    assert {"configMapKeyRef", "secretKeyRef"} <= env_forms
    assert any(c.get("envFrom") for p in pods for c in p["spec"]["containers"])


def test_seed_from_yaml_text_and_file(tmp_path: Path) -> None:
    text = (
        "namespaces:\n  - name: solo\n    pods:\n      - name: p\n        containers:\n"
        "          - {name: c, image: busybox}\n"
    )
    seed = load_seed(text)
    assert seed.default_namespace == "solo"
    path = tmp_path / "seed.yaml"
    path.write_text(text)
    assert expand_seed(load_seed(path))["pods"][0]["metadata"]["name"] == "p"


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("- just\n- a list\n", "must be a mapping"),
        ({"namespaces": [{"pods": []}]}, "needs a name"),
        (
            {"namespaces": [{"name": "x", "pods": [{"name": "p", "containers": [{"name": "c"}]}]}]},
            "name and image",
        ),
        (
            {
                "namespaces": [
                    {
                        "name": "x",
                        "pods": [
                            {
                                "name": "p",
                                "state": "weird",
                                "containers": [{"name": "c", "image": "i"}],
                            }
                        ],
                    }
                ]
            },
            "unknown pod state",
        ),
        ({"users": [{"token": "t"}]}, "without a name"),
        (
            {"objects": [{"apiVersion": "v9", "kind": "Nope", "metadata": {"name": "x"}}]},
            "unknown kind",
        ),
    ],
)
def test_bad_seeds_are_clear_errors(seed: object, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        expand_seed(load_seed(seed))  # type: ignore[arg-type]


def test_missing_seed_file(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read seed"):
        load_seed(tmp_path / "absent.yaml")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_big_namespace_lists_fast() -> None:
    seed = big_namespace(pods=10_000, deployments=1_000)
    with running_cluster(seed) as cluster:
        assert len(cluster.store.list("deployments", "bench")) == 1_000
        from mirrord_simcluster import api

        rp = api.parse_resource_path("/api/v1/namespaces/bench/pods")
        assert rp is not None
        started = time.monotonic()
        meta, items = api.list_objects(cluster.state, rp, {})
        body = api.list_body(rp, meta, items)
        assert len(items) == 10_000
        assert all(len(p["spec"]["containers"]) == 2 for p in items)
        assert time.monotonic() - started < 2.0
        assert len(body) > 10_000_000
