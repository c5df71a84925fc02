"""The fast page decoder gives exactly what the tolerant per-item decoders give, and
declines (None) pages it cannot read the same way, so the caller falls back."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrord_ide.cluster.client import _decode_page
from mirrord_ide.cluster.fastlist import decode_pod_page, workload_page_decoder
from mirrord_ide.cluster.records import decode_pod, decode_workload
from mirrord_simcluster.state import build_state

STATE = build_state()  # the demo seed: running, pending, crashing pods and every workload kind
KINDS = {
    "deployment": "deployments",
    "statefulset": "statefulsets",
    "job": "jobs",
    "cronjob": "cronjobs",
    "rollout": "rollouts",
}


def page(items: list[Any], token: str | None = None) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": "42"}
    if token:
        meta["continue"] = token
    return orjson.dumps({"kind": "List", "apiVersion": "v1", "metadata": meta, "items": items})


def pods() -> list[Any]:
    return STATE.store.list("pods")


def test_demo_pods_decode_identically() -> None:
    items = pods()
    assert items
    fast = decode_pod_page(page(items, "tok"))
    assert fast is not None
    assert fast.items == [decode_pod(i) for i in items]
    assert (fast.resource_version, fast.next) == ("42", "tok")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_demo_workloads_decode_identically(kind: str) -> None:
    items = STATE.store.list(KINDS[kind])
    fast = workload_page_decoder(kind)(page(items))
    assert fast is not None
    assert fast.items == [decode_workload(kind, i) for i in items]
    assert fast.next is None


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=3),
    st.just({}),
    st.just([]),
    st.just({"reason": 7}),
    st.just([{"name": 1}, "x"]),
)


def mutate(obj: Any, path: list[str], value: Any) -> Any:
    out = copy.deepcopy(obj)
    target = out
    for key in path[:-1]:
        nxt = target.get(key) if isinstance(target, dict) else None
        if isinstance(nxt, list):
            nxt = nxt[0] if nxt else None
        if not isinstance(nxt, dict):
            return out
        target = nxt
    if isinstance(target, dict):
        target[path[-1]] = value
    return out


POD_PATHS = [
    ["metadata"],
    ["metadata", "name"],
    ["metadata", "namespace"],
    ["metadata", "labels"],
    ["metadata", "deletionTimestamp"],
    ["metadata", "ownerReferences"],
    ["metadata", "ownerReferences", "kind"],
    ["spec"],
    ["spec", "nodeName"],
    ["spec", "containers"],
    ["status"],
    ["status", "phase"],
    ["status", "conditions"],
    ["status", "conditions", "status"],
    ["status", "containerStatuses", "state"],
    ["status", "containerStatuses", "state", "waiting"],
    ["status", "containerStatuses", "state", "terminated"],
    ["status", "containerStatuses", "ready"],
    ["status", "podIPs"],
    ["status", "podIP"],
]
WORKLOAD_PATHS = [
    ["spec", "replicas"],
    ["spec", "selector"],
    ["spec", "template", "spec", "containers"],
    ["spec", "jobTemplate"],
    ["spec", "suspend"],
    ["status", "availableReplicas"],
    ["status", "conditions"],
    ["status", "active"],
]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_odd_pods_decode_identically_or_fall_back(data: st.DataObject) -> None:
    items = [
        mutate(p, data.draw(st.sampled_from(POD_PATHS)), data.draw(ODD))
        for p in data.draw(st.lists(st.sampled_from(pods()), min_size=1, max_size=3))
    ]
    if data.draw(st.booleans()):
        items.append(data.draw(ODD))
    body = page(items)
    fast = decode_pod_page(body)
    tolerant = [r for r in map(decode_pod, items) if r is not None]
    if fast is not None:
        assert fast.items == tolerant
    # Whatever the fast path declines, the client's page decoding still gets right.
    assert _decode_page(body, "/api/v1/pods", decode_pod, decode_pod_page).items == tolerant


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(KINDS)), st.data())
def test_odd_workloads_decode_identically_or_fall_back(kind: str, data: st.DataObject) -> None:
    stored = STATE.store.list(KINDS[kind])
    items = [
        mutate(w, data.draw(st.sampled_from(WORKLOAD_PATHS + POD_PATHS[:5])), data.draw(ODD))
        for w in data.draw(st.lists(st.sampled_from(stored), min_size=1, max_size=3))
    ]
    body = page(items)
    fast = workload_page_decoder(kind)(body)
    tolerant = [r for r in (decode_workload(kind, i) for i in items) if r is not None]
    if fast is not None:
        assert fast.items == tolerant


def test_not_json_is_declined() -> None:
    assert decode_pod_page(b"<html>") is None
    assert workload_page_decoder("job")(b'{"items": 5}') is None
    with pytest.raises(ValueError):
        workload_page_decoder("pod")
