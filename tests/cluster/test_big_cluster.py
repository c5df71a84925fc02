"""The 50,000-pod / 200-namespace cluster: served cluster-wide like the API server
(pages with continue tokens at one resourceVersion, watches from it with bookmarks),
and listed by the server with one paginated list and one watch per kind."""

from __future__ import annotations

import asyncio
import json

import pytest

from mirrord_ide.cluster.catalog import KINDS
from mirrord_ide.cluster.kubeconfig import KubeSettings
from mirrord_ide.cluster.service import ClusterService
from mirrord_simcluster.bigseed import big_cluster, namespace_name
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PODS = 50_000
NAMESPACES = 200


cluster = cluster_fixture(big_cluster(pods=PODS, namespaces=NAMESPACES))


def test_big_seed_shape() -> None:
    seed = big_cluster()
    spaces = [ns for ns in seed["namespaces"] if ns["name"] != "default"]
    assert len(spaces) == NAMESPACES
    assert sum(d["replicas"] for ns in spaces for d in ns["deployments"]) == PODS
    with pytest.raises(ValueError):
        big_cluster(pods=10, namespaces=20)


def test_cluster_wide_pages_and_watch_like_the_api_server(cluster: SimCluster) -> None:
    from kubernetes import client, config, watch

    api = client.CoreV1Api(config.new_client_from_config(str(cluster.kubeconfig_path)))
    names: set[tuple[str, str]] = set()
    token: str | None = None
    versions = set()
    pages = 0
    while True:
        response = api.list_pod_for_all_namespaces(
            limit=5000, _continue=token, _preload_content=False
        )
        body = json.loads(response.data)
        pages += 1
        versions.add(body["metadata"]["resourceVersion"])
        names.update((p["metadata"]["namespace"], p["metadata"]["name"]) for p in body["items"])
        token = body["metadata"].get("continue")
        if not token:
            break
        assert body["metadata"]["remainingItemCount"] == PODS - len(names)
    assert len(names) == PODS and pages == PODS // 5000
    assert len(versions) == 1  # every page is of the same snapshot
    (list_rv,) = versions

    # A watch from the list's version: changes anywhere, then a bookmark.
    cluster.options.bookmark_interval = 0.2
    cluster.store.delete("pods", *sorted(names)[123])
    stream = watch.Watch()
    seen: list[str] = []
    for event in stream.stream(
        api.list_pod_for_all_namespaces,
        resource_version=list_rv,
        allow_watch_bookmarks=True,
        timeout_seconds=5,
        _request_timeout=10,
    ):
        seen.append(event["type"])
        if "BOOKMARK" in seen:
            stream.stop()
    assert seen[0] == "DELETED" and "BOOKMARK" in seen


def test_all_namespaces_then_one_namespace(cluster: SimCluster) -> None:
    cluster.requests.clear()
    service = ClusterService(
        KubeSettings(kubeconfig=str(cluster.kubeconfig_for("admin", namespace_name(0)))),
        timeout=300,
    )

    async def scenario() -> None:
        everything = await service.list_targets(all_namespaces=True)
        pods = [t for t in everything.targets if t.kind == "pod"]
        assert len(pods) >= PODS - 1  # one may have been deleted above
        assert len({t.namespace for t in pods}) == NAMESPACES
        one = await service.list_targets(namespace_name(42))
        assert {t.namespace for t in one.targets} == {namespace_name(42)}
        plurals = {spec.plural for spec in KINDS}
        requests = [
            r
            for r in cluster.requests.records()
            if r.path.rsplit("/", 1)[-1] in plurals and r.method == "GET"
        ]
        assert not [r.path for r in requests if "/namespaces/" in r.path]
        watches = [r.path for r in requests if "watch=" in r.query.lower()]
        assert len(watches) == len(set(watches))

    try:
        asyncio.run(scenario())
    finally:
        service.close()
