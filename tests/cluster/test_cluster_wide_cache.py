"""All namespaces against the simulated cluster: one list and one watch per kind for
the whole cluster, shared by every single-namespace view; namespace by namespace
when RBAC forbids cluster-wide reads; caches dropped when nobody asks for them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mirrord_ide.cluster.catalog import KINDS, MAX_CACHED_OBJECTS, Catalog
from mirrord_ide.cluster.kubeconfig import KubeSettings
from mirrord_ide.cluster.service import ClusterService
from mirrord_ide.errors import Forbidden
from mirrord_simcluster.bigseed import big_cluster, namespace_name
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture

pytestmark = pytest.mark.timeout(120)

NAMESPACES = 8
PODS = 160  # 20 per namespace, 2 deployments of 10 each


def seed() -> dict[str, Any]:
    found = big_cluster(pods=PODS, namespaces=NAMESPACES)
    read = ["get", "list", "watch"]
    found["users"].append(
        {  # pods everywhere, the other kinds in one namespace only
            "name": "podsonly",
            "rules": [
                {"verbs": read, "resources": ["pods", "namespaces"]},
                {
                    "verbs": read,
                    "resources": ["deployments", "statefulsets", "jobs", "cronjobs", "rollouts"],
                    "namespaces": [namespace_name(0)],
                },
            ],
        }
    )
    return found


cluster = cluster_fixture(seed())


def service_for(cluster: SimCluster, user: str) -> ClusterService:
    kubeconfig = cluster.kubeconfig_for(user, namespace_name(0))
    return ClusterService(KubeSettings(kubeconfig=str(kubeconfig)), timeout=30)


def target_lists(cluster: SimCluster, user: str) -> list[tuple[str, bool]]:
    """(path, is a watch) of `user`'s requests for target kinds."""
    plurals = {spec.plural for spec in KINDS}
    out = []
    for r in cluster.requests.records():
        if r.user != user or r.method != "GET":
            continue
        if r.path.rsplit("/", 1)[-1] in plurals:
            out.append((r.path, "watch=" in r.query.lower()))
    return out


async def wait_until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def test_all_namespaces_lists_and_watches_each_kind_once(cluster: SimCluster) -> None:
    cluster.requests.clear()
    service = service_for(cluster, "admin")

    async def scenario() -> None:
        everything = await service.list_targets(all_namespaces=True)
        pods = [t for t in everything.targets if t.kind == "pod"]
        assert len(pods) == PODS
        assert {t.namespace for t in pods} == {namespace_name(n) for n in range(NAMESPACES)}
        assert everything.all_namespaces and not everything.warnings
        catalog = await service.catalog()
        await wait_until(lambda: catalog.is_current(None))
        # Every single-namespace view is answered from the cluster-wide caches.
        for n in range(NAMESPACES):
            one = await service.list_targets(namespace_name(n))
            assert {t.namespace for t in one.targets} == {namespace_name(n)}
            assert len([t for t in one.targets if t.kind == "pod"]) == PODS // NAMESPACES
        assert catalog.scopes() == [None]  # no cache of their own
        requests = target_lists(cluster, "admin")
        assert all("/namespaces/" not in path for path, _ in requests), requests
        listed = [path for path, watch in requests if not watch]
        assert len(listed) == len(KINDS)  # one list per kind (one page each here)
        watches = [path for path, watch in requests if watch]
        assert sorted(set(watches)) == sorted(watches)  # one watch per kind

        # A pod created in one namespace shows in that namespace's view and in the
        # all-namespaces view, through the one cluster-wide watch.
        template = cluster.store.list("pods", namespace_name(3))[0]
        template["metadata"] = {
            "name": "late-pod",
            "namespace": namespace_name(3),
            "labels": dict(template["metadata"].get("labels") or {}),
        }
        cluster.store.put("pods", namespace_name(3), template)

        async def seen() -> bool:
            view = await service.list_targets(namespace_name(3))
            return any(t.name == "late-pod" for t in view.targets)

        deadline = time.monotonic() + 10
        while not await seen():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        everything = await service.list_targets(all_namespaces=True)
        assert any(t.name == "late-pod" for t in everything.targets)
        assert not [p for p, watch in target_lists(cluster, "admin") if "/namespaces/" in p]
        cluster.store.delete("pods", namespace_name(3), "late-pod")
        deadline = time.monotonic() + 10
        while await seen():  # and its deletion is seen too
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        others = await service.list_targets(namespace_name(4))
        assert len([t for t in others.targets if t.kind == "pod"]) == PODS // NAMESPACES

    try:
        asyncio.run(scenario())
    finally:
        service.close()


def test_namespace_views_listed_first_give_way_to_the_cluster_wide_cache(
    cluster: SimCluster,
) -> None:
    service = service_for(cluster, "admin")

    async def scenario() -> None:
        await service.list_targets(namespace_name(1))
        catalog = await service.catalog()
        assert catalog.scopes() == [namespace_name(1)]
        await service.list_targets(all_namespaces=True)
        await wait_until(lambda: catalog.is_current(None))
        await service.list_targets(all_namespaces=True)
        # The namespace's own caches (and watches) are redundant now: dropped.
        assert catalog.scopes() == [None]

    try:
        asyncio.run(scenario())
    finally:
        service.close()


def test_rbac_without_cluster_wide_reads_falls_back_per_namespace(cluster: SimCluster) -> None:
    cluster.requests.clear()
    service = service_for(cluster, "scoped")  # may read targets in three namespaces only

    async def scenario() -> None:
        listing = await service.list_targets(all_namespaces=True)
        allowed = {namespace_name(n) for n in range(3)}
        assert {t.namespace for t in listing.targets} == allowed
        assert len([t for t in listing.targets if t.kind == "pod"]) == 3 * PODS // NAMESPACES
        assert any("not allowed to list targets in" in w for w in listing.warnings)
        assert namespace_name(5) in " ".join(listing.warnings)
        requests = target_lists(cluster, "scoped")
        namespaced = {
            path.split("/namespaces/")[1].split("/")[0]
            for path, _ in requests
            if "/namespaces/" in path
        }
        assert allowed <= namespaced
        # A namespace it may read still works on its own.
        one = await service.list_targets(namespace_name(2))
        assert {t.namespace for t in one.targets} == {namespace_name(2)}
        with pytest.raises(Forbidden):
            await service.list_targets(namespace_name(6))

    try:
        asyncio.run(scenario())
    finally:
        service.close()


def test_kinds_forbidden_cluster_wide_are_read_per_namespace(cluster: SimCluster) -> None:
    cluster.requests.clear()
    service = service_for(cluster, "podsonly")

    async def scenario() -> None:
        listing = await service.list_targets(all_namespaces=True)
        pods = [t for t in listing.targets if t.kind == "pod"]
        deployments = [t for t in listing.targets if t.kind == "deployment"]
        assert len(pods) == PODS
        assert {t.namespace for t in deployments} == {namespace_name(0)}
        assert "deployment" in listing.hidden
        assert any("deployments hidden" in w for w in listing.to_json()["warnings"])
        requests = target_lists(cluster, "podsonly")
        # Pods: one cluster-wide list, never namespace by namespace.
        assert not [p for p, _ in requests if "/namespaces/" in p and p.endswith("/pods")]
        assert [
            p for p, _ in requests if p.endswith(f"/namespaces/{namespace_name(0)}/deployments")
        ]

    try:
        asyncio.run(scenario())
    finally:
        service.close()


def test_cluster_wide_reads_are_used_when_allowed(cluster: SimCluster) -> None:
    cluster.requests.clear()
    service = service_for(cluster, "lister")

    async def scenario() -> None:
        listing = await service.list_targets(all_namespaces=True)
        assert len([t for t in listing.targets if t.kind == "pod"]) == PODS
        assert not any("/namespaces/" in path for path, _ in target_lists(cluster, "lister"))

    try:
        asyncio.run(scenario())
    finally:
        service.close()


def test_idle_and_oversized_scopes_are_dropped_with_their_watches(cluster: SimCluster) -> None:
    service = service_for(cluster, "admin")

    async def scenario() -> None:
        catalog = await service.catalog()
        for n in range(4):
            await service.list_targets(namespace_name(n))
        assert set(catalog.scopes()) == {namespace_name(n) for n in range(4)}
        watched = [c for c in catalog._scopes[namespace_name(0)].values()]
        await wait_until(lambda: any(c._thread is not None for c in watched))
        # Nobody asked for namespaces 0-2 in a long while: dropped, watches closed.
        later = time.monotonic() + catalog.idle_seconds + 1
        catalog._used[namespace_name(3)] = later
        dropped = catalog.evict(keep=namespace_name(3), now=later)
        assert set(dropped) == {namespace_name(n) for n in range(3)}
        assert catalog.scopes() == [namespace_name(3)]
        assert all(len(c) == 0 for c in watched)
        await wait_until(
            lambda: all(c._thread is None or not c._thread.is_alive() for c in watched)
        )

        # Over the object budget: the least recently used scopes go first.
        catalog.max_objects = 2 * (PODS // NAMESPACES + 2)
        for n in (4, 5, 6):
            await service.list_targets(namespace_name(n))
        catalog._used = {ns: 0.0 for ns in catalog._used}  # none is in use right now
        catalog.evict(keep=namespace_name(6))
        assert catalog.cached_objects() <= catalog.max_objects
        assert catalog.scopes()[-1] == namespace_name(6)
        assert namespace_name(3) not in catalog.scopes()
        # A dropped namespace is listed again when asked for.
        again = await service.list_targets(namespace_name(3))
        assert len([t for t in again.targets if t.kind == "pod"]) == PODS // NAMESPACES

    try:
        asyncio.run(scenario())
    finally:
        service.close()


def test_catalog_defaults_bound_memory() -> None:
    catalog = Catalog(object())  # type: ignore[arg-type]
    assert catalog.max_objects == MAX_CACHED_OBJECTS and catalog.idle_seconds > 0
    # The documented big cluster (50,000 pods, 5,000 deployments) fits in the budget.
    assert MAX_CACHED_OBJECTS >= 55_000
