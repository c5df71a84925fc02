"""Target discovery against the simulated cluster over real HTTPS: listing, the
watch-backed cache, RBAC, bad namespaces, dead clusters and slow ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mirrord_ide.cluster.client import ClusterClient
from mirrord_ide.cluster.config_checks import live_problems, live_problems_sync
from mirrord_ide.cluster.kubeconfig import KubeSettings
from mirrord_ide.cluster.service import ClusterService
from mirrord_ide.cluster.targets import TargetRules
from mirrord_ide.errors import ClusterUnreachable, Forbidden, NotFound, Timeout, Unauthorized
from mirrord_simcluster.testing import SimCluster
from support.cluster import (
    ADMIN,
    EXPIRED,
    HELLO,
    NODEPLOY,
    cluster_fixture,
    container,
    seed,
    workload,
)
from support.server import unreachable_kubeconfig

pytestmark = pytest.mark.timeout(60)

SHOPONLY = {
    "name": "shoponly",
    "rules": [{"verbs": ["get", "list", "watch"], "resources": ["*"], "namespaces": ["shop"]}],
}
SEED = seed(
    {"name": "default", "deployments": [HELLO]},
    {
        "name": "shop",
        "deployments": [
            workload("api", "api:1", replicas=2, sidecars=["istio"]),
            {
                "name": "broken",
                "replicas": 1,
                "ready": 0,
                "unready_state": "crashloop",
                "containers": [container("b", "b:1")],
            },
            {
                "name": "ledger",
                "replicas": 1,
                "containers": [container("ledger", "ledger:1"), container("audit", "fluent:1")],
            },
        ],
        "pods": [
            {"name": "crasher", "state": "crashloop", "containers": [container("c", "c:1")]},
            {"name": "waiting", "state": "pending", "containers": [container("w", "w:1")]},
        ],
    },
    users=(ADMIN, NODEPLOY, SHOPONLY, EXPIRED),
    schedule_delay=0.05,
)


cluster = cluster_fixture(SEED)


@pytest_asyncio.fixture
async def service(cluster: SimCluster) -> AsyncIterator[ClusterService]:
    svc = ClusterService(KubeSettings(str(cluster.kubeconfig_for("admin"))), timeout=10)
    yield svc
    svc.close()


def running_pod(name: str, namespace: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "main", "image": "x:1"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": True,
                    "containerID": f"containerd://{name}",
                    "state": {"running": {}},
                }
            ],
        },
    }


async def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_lists_the_namespace_like_mirrord_ls(service: ClusterService) -> None:
    listing = await service.list_targets("shop")
    by_path = {t.path: t for t in listing.targets}
    kinds = [t.kind for t in listing.targets]
    assert kinds == sorted(kinds, key=["deployment", "pod"].index)
    assert by_path["deployment/api"].available
    assert by_path["deployment/api"].container == "api"  # istio-proxy is never a target
    assert not by_path["deployment/broken"].available
    assert by_path["deployment/broken"].reason == "no available replicas"
    assert by_path["deployment/ledger/container/ledger"].available
    assert by_path["deployment/ledger/container/audit"].available
    assert by_path["pod/crasher"].reason == "CrashLoopBackOff"
    assert by_path["pod/waiting"].available is False
    api_pods = [t for t in listing.targets if t.kind == "pod" and t.name.startswith("api-")]
    assert len(api_pods) == 2 and all(t.available and "/container/" not in t.path for t in api_pods)
    assert all(t.namespace == "shop" for t in listing.targets)
    assert not any("istio" in t.path for t in listing.targets)
    json = listing.to_json()
    assert json["namespace"] == "shop"
    assert set(json["targets"][0]) >= {
        "path",
        "kind",
        "name",
        "namespace",
        "container",
        "available",
    }


async def test_second_listing_is_served_from_the_watch_and_stays_current(
    cluster: SimCluster, service: ClusterService
) -> None:
    await service.list_targets("default")
    lists_before = sum(1 for r in cluster.requests.records() if "watch" not in r.query)
    started = time.perf_counter()
    await service.list_targets("default")
    assert time.perf_counter() - started < 0.05
    lists_after = sum(1 for r in cluster.requests.records() if "watch" not in r.query)
    assert lists_after == lists_before  # answered from memory

    cluster.store.put("pods", "default", running_pod("newcomer", "default"))
    cluster.store.put(
        "pods", "default", running_pod("mirrord-agent-xyz", "default", {"app": "mirrord"})
    )

    async def arrived() -> bool:
        paths = {t.path for t in (await service.list_targets("default")).targets}
        return "pod/newcomer" in paths

    await eventually(arrived)
    paths = {t.path for t in (await service.list_targets("default")).targets}
    assert "pod/mirrord-agent-xyz" not in paths  # our own agents never appear

    cluster.store.delete("pods", "default", "newcomer")

    async def gone() -> bool:
        paths = {t.path for t in (await service.list_targets("default")).targets}
        return "pod/newcomer" not in paths

    await eventually(gone)


async def test_watch_survives_drops_and_gone(cluster: SimCluster) -> None:
    svc = ClusterService(KubeSettings(str(cluster.kubeconfig_for("admin"))), timeout=10)
    try:
        cluster.faults.add(resource="pods", verb="watch", drop_watch_after=0.2, times=3)
        cluster.faults.add(resource="pods", verb="watch", gone=True, times=2)
        await svc.list_targets("default")
        cluster.store.put("pods", "default", running_pod("late", "default"))

        async def arrived() -> bool:
            return "pod/late" in {t.path for t in (await svc.list_targets("default")).targets}

        await eventually(arrived, timeout=15)
    finally:
        cluster.faults.rules.clear()
        cluster.store.delete("pods", "default", "late")
        svc.close()


async def test_all_namespaces_lists_every_namespace(service: ClusterService) -> None:
    listing = await service.list_targets(all_namespaces=True)
    namespaces = {t.namespace for t in listing.targets}
    assert namespaces == {"default", "shop"}
    assert listing.to_json()["allNamespaces"] is True
    hello = [t for t in listing.targets if t.path == "deployment/hello"]
    assert hello and hello[0].namespace == "default"


async def test_unknown_namespace_is_not_found_with_suggestion(service: ClusterService) -> None:
    with pytest.raises(NotFound) as raised:
        await service.list_targets("shoop")
    assert 'namespace "shoop" not found' in raised.value.message
    assert "shop" in (raised.value.hint or "")
    # Nothing is left watching a namespace that does not exist.
    catalog = await service.catalog()
    assert "shoop" not in catalog._scopes


async def test_bad_namespace_is_refused_before_any_request(
    cluster: SimCluster, service: ClusterService
) -> None:
    from mirrord_ide.errors import InvalidConfig

    await service.list_targets("shop")  # connected and warm
    before = len(cluster.requests)
    for bad in ("default?watch=1", "default/../shop", "..", "Shop", "sh\u043ep"):
        with pytest.raises(InvalidConfig, match="is not a valid namespace name"):
            await service.list_targets(bad)
        with pytest.raises(InvalidConfig):
            await service.namespace_exists(bad)
        with pytest.raises(InvalidConfig):
            await service.snapshot(bad)
    assert len(cluster.requests) == before


async def test_forbidden_kind_is_hidden_and_the_rest_listed(cluster: SimCluster) -> None:
    svc = ClusterService(KubeSettings(str(cluster.kubeconfig_for("nodeploy", "shop"))))
    try:
        listing = await svc.list_targets("shop")
        assert "deployment" in listing.hidden
        assert "forbidden" in listing.hidden["deployment"]
        assert listing.targets and all(t.kind == "pod" for t in listing.targets)
        assert any("deployments hidden" in w for w in listing.to_json()["warnings"])
    finally:
        svc.close()


async def test_forbidden_namespace_listing_falls_back_to_current(cluster: SimCluster) -> None:
    svc = ClusterService(KubeSettings(str(cluster.kubeconfig_for("shoponly", "shop"))))
    try:
        listing = await svc.list_namespaces()
        assert listing.namespaces == ["shop"] and listing.current == "shop"
        assert listing.warning and "forbidden" in listing.warning
        every = await svc.list_targets(all_namespaces=True)
        assert {t.namespace for t in every.targets} == {"shop"}
        with pytest.raises(Forbidden):
            await svc.list_targets("default")
    finally:
        svc.close()


async def test_expired_credentials_are_unauthorized(cluster: SimCluster) -> None:
    svc = ClusterService(KubeSettings(str(cluster.kubeconfig_for("expired"))))
    try:
        with pytest.raises(Unauthorized) as raised:
            await svc.list_targets("default")
        assert "refresh" in (raised.value.hint or "")
        assert cluster.token_for("expired") not in raised.value.message
    finally:
        svc.close()


async def test_unreachable_cluster_fails_fast(tmp_path: Any) -> None:
    kubeconfig = unreachable_kubeconfig(tmp_path / "config", token="t0ps3cret")
    svc = ClusterService(KubeSettings(str(kubeconfig)), timeout=5)
    try:
        started = time.monotonic()
        with pytest.raises(ClusterUnreachable) as raised:
            await svc.list_targets("default")
        assert time.monotonic() - started < 5
        assert "KUBECONFIG" in (raised.value.hint or "")
        assert "t0ps3cret" not in raised.value.message
    finally:
        svc.close()


async def test_slow_cluster_times_out_at_the_deadline(cluster: SimCluster) -> None:
    svc = ClusterService(KubeSettings(str(cluster.kubeconfig_for("admin"))))
    rule = cluster.faults.add(resource="pods", verb="list", latency=5.0)
    try:
        started = time.monotonic()
        with pytest.raises(Timeout):
            await svc.list_targets("default", timeout=0.7)
        assert time.monotonic() - started < 1.5
    finally:
        cluster.faults.rules.remove(rule)
        svc.close()


async def test_copy_target_rules_mark_rollouts_and_pods(service: ClusterService) -> None:
    rules = TargetRules.from_config({"feature": {"copy_target": {"scale_down": True}}})
    listing = await service.list_targets("shop", rules=rules)
    pods = [t for t in listing.targets if t.kind == "pod"]
    assert pods and all(not t.available and "scale_down" in (t.reason or "") for t in pods)


async def test_live_problems_name_the_closest_existing_things(service: ClusterService) -> None:
    [problem] = await live_problems(
        {"target": {"path": "deployment/lgder", "namespace": "shop"}}, service
    )
    assert problem.code == "target-not-found" and problem.severity == "warning"
    assert problem.path == ("target", "path")
    assert "deployment/ledger" in problem.message

    [problem] = await live_problems({"target": {"path": "pod/x", "namespace": "shpo"}}, service)
    assert problem.code == "namespace-not-found" and problem.path == ("target", "namespace")
    assert "shop" in problem.message

    [problem] = await live_problems(
        {"target": {"namespace": "shop", "path": {"deployment": "ledger", "container": "audti"}}},
        service,
    )
    assert problem.code == "container-not-found"
    assert problem.path == ("target", "path", "container")
    assert problem.data["suggestions"] == ["audit"]

    assert (
        await live_problems({"target": {"path": "deployment/api", "namespace": "shop"}}, service)
        == []
    )
    assert await live_problems({"target": "targetless"}, service) == []


def test_live_problems_sync_is_silent_when_the_cluster_is_away(tmp_path: Any) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    assert (
        live_problems_sync({"target": "pod/nope"}, KubeSettings(str(kubeconfig)), timeout=3) == []
    )


def test_live_problems_sync_against_the_cluster(cluster: SimCluster) -> None:
    settings = KubeSettings(str(cluster.kubeconfig_for("admin")))
    [problem] = live_problems_sync({"target": "pod/crashr"}, settings)
    assert problem.code == "target-not-found" and problem.path == ("target",)


async def test_client_get_json_and_errors(cluster: SimCluster) -> None:
    client = await ClusterClient.connect(KubeSettings(str(cluster.kubeconfig_for("admin"))))
    try:
        version = await client.get_json("/version", timeout=5)
        assert "gitVersion" in version
        with pytest.raises(NotFound):
            await client.get_json("/api/v1/namespaces/shop/pods/nope", timeout=5)
        raw = await client.list_raw("/api/v1/namespaces/shop/pods", timeout=5)
        assert raw.resource_version and len(raw.items) >= 5
    finally:
        client.close()


async def test_pages_are_followed_and_decoded(sim_cluster_factory: Any) -> None:
    from mirrord_ide.cluster.client import PAGE_SIZE
    from mirrord_simcluster.seedgen import big_namespace

    total = 2 * PAGE_SIZE + 203  # two full pages and a partial one
    sim = sim_cluster_factory(big_namespace(pods=total, deployments=3, namespace="big"))
    svc = ClusterService(KubeSettings(str(sim.kubeconfig_for("admin", "big"))), timeout=30)
    try:
        listing = await svc.list_targets("big")
        pods = [t for t in listing.targets if t.kind == "pod"]
        assert len(pods) == total and len({t.name for t in pods}) == total
        assert all(t.container == "app" for t in pods)  # the istio sidecar is skipped
        assert [t.path for t in listing.targets[:3]] == [
            "deployment/svc-0000",
            "deployment/svc-0001",
            "deployment/svc-0002",
        ]
        pages = [
            r
            for r in sim.requests.records()
            if r.path.endswith("/big/pods") and "watch" not in r.query
        ]
        assert len(pages) == 3
    finally:
        svc.close()
