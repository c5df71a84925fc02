"""The official kubernetes client against the simulated cluster: CRUD, selectors, paging,
errors with their real Status bodies, RBAC."""

from __future__ import annotations

import pytest
from kubernetes import client

from mirrord_simcluster.testing import SimCluster
from simcluster.helpers import api_client, apps, batch, body_of, core, pod_manifest

pytestmark = pytest.mark.timeout(60)


def test_discovery_and_lists(sim_cluster: SimCluster) -> None:
    api = api_client(sim_cluster)
    assert client.VersionApi(api).get_code().git_version.startswith("v1.32")
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "batch"} <= groups
    v1 = core(sim_cluster)
    names = {ns.metadata.name for ns in v1.list_namespace().items}
    assert {"default", "shop", "payments"} <= names
    pods = v1.list_namespaced_pod("shop").items
    assert pods and all(p.metadata.namespace == "shop" for p in pods)
    everywhere = v1.list_pod_for_all_namespaces().items
    assert len({p.metadata.namespace for p in everywhere}) >= 3
    deployment = apps(sim_cluster).read_namespaced_deployment("frontend", "shop")
    assert deployment.spec.replicas == 3
    assert deployment.status.available_replicas == 3


def test_deployment_pods_are_realistic(sim_cluster: SimCluster) -> None:
    v1, a = core(sim_cluster), apps(sim_cluster)
    dep = a.read_namespaced_deployment("api", "shop")
    (rs,) = [
        r
        for r in a.list_namespaced_replica_set("shop").items
        if r.metadata.owner_references[0].uid == dep.metadata.uid
    ]
    template_hash = rs.metadata.labels["pod-template-hash"]
    pods = v1.list_namespaced_pod(
        "shop", label_selector=f"app=api,pod-template-hash={template_hash}"
    )
    assert len(pods.items) == 2
    for pod in pods.items:
        assert pod.metadata.owner_references[0].kind == "ReplicaSet"
        assert pod.metadata.owner_references[0].name == rs.metadata.name
        assert pod.spec.node_name and pod.status.pod_ip and pod.status.pod_ips
        names = [c.name for c in pod.spec.containers]
        assert names == ["api", "istio-proxy"]
        assert pod.metadata.annotations["kubectl.kubernetes.io/default-container"] == "api"
        for status in pod.status.container_statuses:
            runtime, _, cid = status.container_id.partition("://")
            assert runtime == "containerd" and len(cid) == 64
            assert status.ready
        assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"


def test_special_pods_in_demo(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    crash = v1.read_namespaced_pod("thumbnailer", "shop")
    assert crash.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert {c.type: c.status for c in crash.status.conditions}["Ready"] == "False"
    pending = v1.read_namespaced_pod("batch-import", "shop")
    assert pending.status.phase == "Pending"
    (scheduled,) = pending.status.conditions
    assert (scheduled.type, scheduled.status, scheduled.reason) == (
        "PodScheduled",
        "False",
        "Unschedulable",
    )
    job = batch(sim_cluster).read_namespaced_job("db-migrate-v42", "shop")
    assert job.status.succeeded == 1
    env = {
        e.name: e
        for e in v1.read_namespaced_pod(
            v1.list_namespaced_pod("shop", label_selector="app=api").items[0].metadata.name, "shop"
        )
        .spec.containers[0]
        .env
    }
    assert env["DB_HOST"].value_from.config_map_key_ref.name == "shop-config"
    assert env["DB_PASSWORD"].value_from.secret_key_ref.key == "DB_PASSWORD"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=frontend", {"frontend"}),
        ("app==frontend", {"frontend"}),
        ("tier=backend,app!=cart", {"api"}),
        ("app in (cart,frontend)", {"cart", "frontend"}),
        ("tier,app notin (api,cart)", {"frontend", "metrics-collector"}),
        ("!tier,app in (redis,thumbnailer)", {"redis", "thumbnailer"}),
    ],
)
def test_label_selectors(sim_cluster: SimCluster, selector: str, expected: set[str]) -> None:
    pods = core(sim_cluster).list_namespaced_pod("shop", label_selector=selector).items
    assert {p.metadata.labels["app"] for p in pods} == expected


def test_field_selectors(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    running = v1.list_namespaced_pod("shop", field_selector="status.phase=Running").items
    not_running = v1.list_namespaced_pod("shop", field_selector="status.phase!=Running").items
    everything = v1.list_namespaced_pod("shop").items
    assert {p.status.phase for p in running} == {"Running"}
    assert "Running" not in {p.status.phase for p in not_running}
    assert len(running) + len(not_running) == len(everything)
    on_node = v1.list_pod_for_all_namespaces(field_selector="spec.nodeName=node-1").items
    assert on_node and {p.spec.node_name for p in on_node} == {"node-1"}
    named = v1.list_pod_for_all_namespaces(
        field_selector="metadata.name=thumbnailer,metadata.namespace=shop"
    ).items
    assert [p.metadata.name for p in named] == ["thumbnailer"]
    with pytest.raises(client.ApiException) as err:
        v1.list_namespaced_pod("shop", field_selector="spec.bogus=1")
    assert err.value.status == 400
    assert "field label not supported: spec.bogus" in body_of(err.value)["message"]


def test_pagination_walks_every_item_once(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    all_names = [p.metadata.name for p in v1.list_pod_for_all_namespaces().items]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = v1.list_pod_for_all_namespaces(limit=4, _continue=token)
        pages += 1
        seen += [p.metadata.name for p in page.items]
        assert len(page.items) <= 4
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == len(all_names) - len(seen)
    assert seen == all_names
    assert pages == -(-len(all_names) // 4)
    # Selector and paging together.
    page = v1.list_namespaced_pod("shop", limit=1, label_selector="tier=backend")
    assert len(page.items) == 1 and page.metadata._continue
    assert page.metadata.remaining_item_count is None


def test_resource_version_in_list_metadata_grows(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    first = int(v1.list_namespaced_pod("default").metadata.resource_version)
    v1.create_namespaced_config_map("default", {"metadata": {"name": "x"}, "data": {"a": "1"}})
    second = int(v1.list_namespaced_pod("default").metadata.resource_version)
    assert second > first


def test_create_get_delete_pod(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    created = v1.create_namespaced_pod("default", pod_manifest("web"))
    assert created.metadata.uid and created.metadata.creation_timestamp
    assert created.metadata.resource_version
    assert created.status.phase == "Pending"
    generated = v1.create_namespaced_pod(
        "default",
        {
            "metadata": {"generateName": "worker-"},
            "spec": {"containers": [{"name": "w", "image": "busybox"}]},
        },
    )
    assert generated.metadata.name.startswith("worker-") and len(generated.metadata.name) > 7
    with pytest.raises(client.ApiException) as err:
        v1.create_namespaced_pod("default", pod_manifest("web"))
    assert err.value.status == 409
    assert body_of(err.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "web" already exists',
        "reason": "AlreadyExists",
        "details": {"name": "web", "kind": "pods"},
        "code": 409,
    }
    v1.delete_namespaced_pod("web", "default")
    with pytest.raises(client.ApiException) as err:
        v1.read_namespaced_pod("web", "default")
    assert err.value.status == 404
    assert body_of(err.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "web" not found',
        "reason": "NotFound",
        "details": {"name": "web", "kind": "pods"},
        "code": 404,
    }


def test_not_found_names_the_group(sim_cluster: SimCluster) -> None:
    with pytest.raises(client.ApiException) as err:
        apps(sim_cluster).read_namespaced_deployment("nope", "shop")
    body = body_of(err.value)
    assert body["message"] == 'deployments.apps "nope" not found'
    assert body["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}


def test_create_in_missing_namespace_is_404(sim_cluster: SimCluster) -> None:
    with pytest.raises(client.ApiException) as err:
        core(sim_cluster).create_namespaced_pod("ghost", pod_manifest("x"))
    assert err.value.status == 404
    assert body_of(err.value)["message"] == 'namespaces "ghost" not found'


def test_invalid_pod_is_422(sim_cluster: SimCluster) -> None:
    with pytest.raises(client.ApiException) as err:
        core(sim_cluster).create_namespaced_pod(
            "default", {"metadata": {"name": "bad"}, "spec": {"containers": []}}
        )
    assert err.value.status == 422
    assert body_of(err.value)["reason"] == "Invalid"


def test_deleting_a_deployment_takes_its_replicasets_and_pods(sim_cluster: SimCluster) -> None:
    v1, a = core(sim_cluster), apps(sim_cluster)
    assert v1.list_namespaced_pod("shop", label_selector="app=frontend").items
    a.delete_namespaced_deployment("frontend", "shop")
    assert not v1.list_namespaced_pod("shop", label_selector="app=frontend").items
    assert not a.list_namespaced_replica_set("shop", label_selector="app=frontend").items


def test_rbac_forbidden_bodies(sim_cluster: SimCluster) -> None:
    viewer = core(sim_cluster, "viewer")
    assert viewer.list_namespaced_pod("shop").items
    with pytest.raises(client.ApiException) as err:
        viewer.list_namespaced_pod("payments")
    assert err.value.status == 403
    assert body_of(err.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods is forbidden: User "viewer" cannot list resource "pods" in API group ""'
        ' in the namespace "payments"',
        "reason": "Forbidden",
        "details": {"kind": "pods"},
        "code": 403,
    }
    with pytest.raises(client.ApiException) as err:
        viewer.list_namespace()
    assert body_of(err.value)["message"] == (
        'namespaces is forbidden: User "viewer" cannot list resource "namespaces" in API group'
        ' "" at the cluster scope'
    )
    with pytest.raises(client.ApiException) as err:
        apps(sim_cluster, "viewer").read_namespaced_deployment("api", "shop")
    assert body_of(err.value)["message"] == (
        'deployments.apps "api" is forbidden: User "viewer" cannot get resource "deployments"'
        ' in API group "apps" in the namespace "shop"'
    )
    with pytest.raises(client.ApiException) as err:
        viewer.delete_namespaced_pod("thumbnailer", "shop")
    assert err.value.status == 403
    # The demo user reads its three namespaces but not kube-system.
    demo = core(sim_cluster, "demo")
    assert demo.list_namespace().items
    with pytest.raises(client.ApiException) as err:
        demo.list_namespaced_pod("kube-system")
    assert err.value.status == 403


def test_unauthorized_tokens(sim_cluster: SimCluster) -> None:
    expected = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    with pytest.raises(client.ApiException) as err:
        core(sim_cluster, "expired").list_namespaced_pod("default")
    assert err.value.status == 401 and body_of(err.value) == expected
    cfg = client.Configuration()
    cfg.host = sim_cluster.url
    assert sim_cluster.ca_pem is not None
    ca_file = sim_cluster.workdir / "ca.crt"
    ca_file.write_bytes(sim_cluster.ca_pem)
    cfg.ssl_ca_cert = str(ca_file)
    cfg.api_key = {"authorization": "Bearer not-a-token"}
    with pytest.raises(client.ApiException) as err:
        client.CoreV1Api(client.ApiClient(cfg)).list_namespaced_pod("default")
    assert err.value.status == 401


def test_store_handle_changes_are_visible(sim_cluster: SimCluster) -> None:
    sim_cluster.store.put(
        "pods",
        "default",
        pod_manifest("from-test")
        | {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
    )
    pod = core(sim_cluster).read_namespaced_pod("from-test", "default")
    assert pod.status.phase == "Running"
    assert sim_cluster.store.get("pods", "default", "from-test")["metadata"]["uid"]
    assert sim_cluster.store.delete("pods", "default", "from-test") is not None
    assert sim_cluster.store.get("pods", "default", "from-test") is None
    assert sim_cluster.requests.count(method="GET", path_contains="/pods/from-test") == 1
