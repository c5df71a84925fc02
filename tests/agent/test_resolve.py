"""Target resolution rules over raw pod objects."""

from __future__ import annotations

from typing import Any

import pytest

from mirrord_ide.agent.resolve import (
    choose_container,
    parse_container_id,
    resolve_pod,
    resolve_workload,
    selector_of,
)
from mirrord_ide.errors import Conflict, NotFound


def make_pod(
    name: str = "web-1",
    containers: tuple[str, ...] = ("app",),
    *,
    phase: str = "Running",
    ready: bool = True,
    runtime: str = "containerd",
    annotations: dict[str, str] | None = None,
    node: str | None = "node-a",
    deleting: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "shop", "annotations": annotations or {}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": c} for c in containers]},
        "status": {
            "phase": phase,
            "podIP": "10.0.0.7",
            "podIPs": [{"ip": "10.0.0.7"}],
            "containerStatuses": [
                {
                    "name": c,
                    "ready": ready,
                    "containerID": f"{runtime}://{'ab' * 32}{i}",
                    "state": {"running": {}}
                    if ready
                    else {"waiting": {"reason": "CrashLoopBackOff"}},
                }
                for i, c in enumerate(containers)
            ],
        },
    }


def test_named_container_wins() -> None:
    pod = make_pod(containers=("istio-proxy", "app", "worker"))
    assert choose_container(pod, "worker") == "worker"


def test_missing_named_container_is_not_found_and_lists_containers() -> None:
    pod = make_pod(containers=("app", "worker"))
    with pytest.raises(NotFound) as info:
        choose_container(pod, "nope")
    assert "`nope`" in info.value.message and "app, worker" in info.value.message
    assert info.value.hint


def test_default_container_annotation() -> None:
    pod = make_pod(
        containers=("app", "worker"),
        annotations={"kubectl.kubernetes.io/default-container": "worker"},
    )
    assert choose_container(pod, None) == "worker"


def test_first_non_sidecar() -> None:
    pod = make_pod(containers=("istio-proxy", "linkerd-proxy", "api"))
    assert choose_container(pod, None) == "api"


def test_all_sidecars_takes_first() -> None:
    pod = make_pod(containers=("istio-proxy", "vault-agent"))
    assert choose_container(pod, None) == "istio-proxy"


@pytest.mark.parametrize("runtime", ["containerd", "docker", "cri-o"])
def test_container_id_and_runtime(runtime: str) -> None:
    resolved = resolve_pod(make_pod(runtime=runtime), None, path="pod/web-1")
    assert resolved.runtime == runtime
    assert resolved.container_id.startswith("abab")
    assert resolved.node == "node-a"
    assert resolved.pod_ips == ("10.0.0.7",)
    assert resolved.namespace == "shop"


def test_unknown_runtime_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="unsupported container id"):
        parse_container_id("rkt://123")


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"phase": "Pending"}, "not in 'Running' phase (phase: Pending)"),
        ({"ready": False}, "not ready (CrashLoopBackOff)"),
        ({"deleting": True}, "being deleted"),
        ({"node": None}, "not scheduled"),
    ],
)
def test_pod_not_targetable(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(Conflict) as info:
        resolve_pod(make_pod(**kwargs), None, path="pod/web-1")
    assert needle in info.value.message
    assert "web-1" in info.value.message and "shop" in info.value.message
    assert "kubectl describe pod web-1" in (info.value.hint or "")


def test_workload_takes_first_ready_pod_in_api_order() -> None:
    pods = [make_pod("web-a", ready=False), make_pod("web-b"), make_pod("web-c")]
    resolved = resolve_workload("deployment", "web", "shop", pods, None, path="deployment/web")
    assert resolved.pod == "web-b"
    assert resolved.path == "deployment/web"


def test_workload_without_pods() -> None:
    with pytest.raises(NotFound, match="no pods matching the labels of deployment `web`"):
        resolve_workload("deployment", "web", "shop", [], None, path="deployment/web")


def test_workload_without_ready_pod() -> None:
    pods = [make_pod("web-a", ready=False), make_pod("web-b", phase="Pending")]
    with pytest.raises(Conflict) as info:
        resolve_workload("deployment", "web", "shop", pods, None, path="deployment/web")
    assert "no pod of deployment `web` in namespace `shop` is ready" in info.value.message


def test_workload_missing_container_is_not_found() -> None:
    with pytest.raises(NotFound):
        resolve_workload("deployment", "web", "shop", [make_pod()], "db", path="deployment/web")


def test_selector_of() -> None:
    workload = {"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "web"}}}}
    assert selector_of(workload, "deployment") == {"app": "web"}
    with pytest.raises(Conflict, match="matchLabels"):
        selector_of({"metadata": {"name": "web"}, "spec": {}}, "deployment")
