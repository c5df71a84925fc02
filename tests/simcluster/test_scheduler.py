"""The simulated scheduler, kubelet and Job controller."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from mirrord_simcluster.testing import SimCluster
from simcluster.helpers import batch, core, job_manifest, pod_manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def pod_of_job(v1: client.CoreV1Api, ns: str, job: str) -> client.V1Pod:
    return wait_for(
        lambda: next(iter(v1.list_namespaced_pod(ns, label_selector=f"job-name={job}").items), None)
    )


def test_created_pod_runs_after_the_delay(sim_cluster: SimCluster) -> None:
    sim_cluster.options.schedule_delay = 0.3
    v1 = core(sim_cluster)
    started = time.monotonic()
    v1.create_namespaced_pod("default", pod_manifest("fresh"))
    assert v1.read_namespaced_pod("fresh", "default").status.phase == "Pending"
    pod = wait_for(
        lambda: (p := v1.read_namespaced_pod("fresh", "default")).status.phase == "Running" and p
    )
    assert time.monotonic() - started >= 0.3
    assert pod.spec.node_name in {"node-1", "node-2", "node-3"}
    assert pod.status.pod_ip and pod.status.host_ip
    (status,) = pod.status.container_statuses
    assert status.ready and status.container_id.startswith("containerd://")
    assert len(status.container_id.removeprefix("containerd://")) == 64
    conditions = {c.type: c.status for c in pod.status.conditions}
    assert conditions["Ready"] == conditions["PodScheduled"] == "True"


def test_job_creates_its_pod_pinned_to_a_node(sim_cluster: SimCluster) -> None:
    sim_cluster.options.schedule_delay = 0.05
    v1, b = core(sim_cluster), batch(sim_cluster)
    manifest = job_manifest("agent-like", args=["-l", "4000"])
    manifest["spec"]["template"]["spec"]["nodeName"] = "node-2"
    manifest["spec"]["template"]["metadata"] = {"labels": {"app": "mirrord"}}
    job = b.create_namespaced_job("shop", manifest)
    assert job.spec.selector.match_labels["batch.kubernetes.io/controller-uid"] == job.metadata.uid
    pod = pod_of_job(v1, "shop", "agent-like")
    assert pod.metadata.labels["controller-uid"] == job.metadata.uid
    assert pod.metadata.labels["app"] == "mirrord"
    assert pod.metadata.owner_references[0].kind == "Job"
    assert pod.spec.containers[0].args == ["-l", "4000"]
    running = wait_for(
        lambda: (
            (p := v1.read_namespaced_pod(pod.metadata.name, "shop")).status.phase == "Running" and p
        )
    )
    assert running.spec.node_name == "node-2"
    assert wait_for(lambda: b.read_namespaced_job("agent-like", "shop").status.ready == 1)


def test_deleting_a_job_background_removes_its_pod(sim_cluster: SimCluster) -> None:
    v1, b = core(sim_cluster), batch(sim_cluster)
    b.create_namespaced_job("default", job_manifest("cleanup"))
    pod_of_job(v1, "default", "cleanup")
    b.delete_namespaced_job("cleanup", "default", propagation_policy="Background")
    assert not v1.list_namespaced_pod("default", label_selector="job-name=cleanup").items


def test_deleting_a_job_orphans_its_pod_by_default(sim_cluster: SimCluster) -> None:
    v1, b = core(sim_cluster), batch(sim_cluster)
    b.create_namespaced_job("default", job_manifest("orphaned"))
    pod_of_job(v1, "default", "orphaned")
    response = b.delete_namespaced_job_with_http_info("orphaned", "default")
    headers = response[2]
    assert "child pods are preserved by default" in headers.get("Warning", "")
    (pod,) = v1.list_namespaced_pod("default", label_selector="job-name=orphaned").items
    assert not pod.metadata.owner_references


def test_image_pull_failure(sim_cluster: SimCluster) -> None:
    sim_cluster.options.schedule_delay = 0.05
    v1 = core(sim_cluster)
    v1.create_namespaced_pod("default", pod_manifest("bad", image="acme/does-not-exist:1"))

    def reason() -> str | None:
        statuses = v1.read_namespaced_pod("bad", "default").status.container_statuses or []
        waiting = statuses[0].state.waiting if statuses else None
        return waiting.reason if waiting else None

    assert wait_for(lambda: reason() in ("ErrImagePull", "ImagePullBackOff"))
    assert wait_for(lambda: reason() == "ImagePullBackOff")
    assert v1.read_namespaced_pod("bad", "default").status.phase == "Pending"
    sim_cluster.faults.pull_error_images.add("nginx")
    v1.create_namespaced_pod("default", pod_manifest("also-bad", image="nginx:1.27"))
    assert wait_for(lambda: v1.read_namespaced_pod("also-bad", "default").status.container_statuses)


def test_unschedulable(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    v1.create_namespaced_pod("default", pod_manifest("picky", nodeSelector={"gpu": "a100"}))

    def scheduled_condition() -> Any:
        conditions = v1.read_namespaced_pod("picky", "default").status.conditions or []
        return next((c for c in conditions if c.type == "PodScheduled"), None)

    condition = wait_for(scheduled_condition)
    assert (condition.status, condition.reason) == ("False", "Unschedulable")
    assert "didn't match Pod's node affinity/selector" in condition.message
    sim_cluster.faults.unschedulable = True
    v1.create_namespaced_pod("default", pod_manifest("anywhere"))
    wait_for(lambda: v1.read_namespaced_pod("anywhere", "default").status.conditions)
    pod = v1.read_namespaced_pod("anywhere", "default")
    assert pod.status.phase == "Pending" and pod.status.conditions[0].reason == "Unschedulable"


def test_finished_job_is_removed_after_its_ttl(sim_cluster: SimCluster) -> None:
    sim_cluster.options.schedule_delay = 0.05
    v1, b = core(sim_cluster), batch(sim_cluster)
    b.create_namespaced_job("default", job_manifest("short"))
    pod = pod_of_job(v1, "default", "short")
    wait_for(lambda: v1.read_namespaced_pod(pod.metadata.name, "default").status.phase == "Running")

    def finish(p: dict[str, Any]) -> None:
        p["status"]["phase"] = "Succeeded"

    sim_cluster.store.update("pods", "default", pod.metadata.name, finish)
    wait_for(lambda: (b.read_namespaced_job("short", "default").status.succeeded or 0) == 1)
    wait_for(lambda: not b.list_namespaced_job("default").items, timeout=5)
    assert not v1.list_namespaced_pod("default", label_selector="job-name=short").items


def test_created_deployment_rolls_out(sim_cluster: SimCluster) -> None:
    sim_cluster.options.schedule_delay = 0.05
    from simcluster.helpers import apps

    a, v1 = apps(sim_cluster), core(sim_cluster)
    a.create_namespaced_deployment(
        "default",
        {
            "metadata": {"name": "new-app"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "new-app"}},
                "template": {
                    "metadata": {"labels": {"app": "new-app"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        },
    )
    assert wait_for(
        lambda: (
            (a.read_namespaced_deployment("new-app", "default").status.available_replicas or 0) == 2
        )
    )
    pods = v1.list_namespaced_pod("default", label_selector="app=new-app").items
    assert len(pods) == 2 and all(p.metadata.labels.get("pod-template-hash") for p in pods)
