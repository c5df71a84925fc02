"""Client helpers for the simulated-cluster tests."""

from __future__ import annotations

import json
import time
from typing import Any

from kubernetes import client, config

from mirrord_simcluster.testing import SimCluster

AGENT_IMAGE = "ghcr.io/metalbear-co/mirrord:3.250.0"


def api_client(cluster: SimCluster, user: str = "admin") -> client.ApiClient:
    return config.new_client_from_config(str(cluster.kubeconfig_for(user)))


def core(cluster: SimCluster, user: str = "admin") -> client.CoreV1Api:
    return client.CoreV1Api(api_client(cluster, user))


def apps(cluster: SimCluster, user: str = "admin") -> client.AppsV1Api:
    return client.AppsV1Api(api_client(cluster, user))


def batch(cluster: SimCluster, user: str = "admin") -> client.BatchV1Api:
    return client.BatchV1Api(api_client(cluster, user))


def body_of(exc: client.ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


def pod_manifest(name: str, image: str = "nginx:1.27", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "main", "image": image}], **spec},
    }


def job_manifest(
    name: str, image: str = "busybox:1.37", args: list[str] | None = None
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": image}
    if args:
        container["args"] = args
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 1,
            "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
        },
    }


def run_agent_job(cluster: SimCluster, namespace: str, manifest: dict[str, Any]) -> str:
    """Create the agent job `manifest` in `namespace`; its pod's name once it runs."""
    cluster.options.schedule_delay = 0.05
    api = api_client(cluster)
    try:
        client.BatchV1Api(api).create_namespaced_job(namespace, manifest)
        selector = f"job-name={manifest['metadata']['name']}"
        v1 = client.CoreV1Api(api)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pods = v1.list_namespaced_pod(namespace, label_selector=selector).items
            if pods and pods[0].status.phase == "Running":
                return str(pods[0].metadata.name)
            time.sleep(0.02)
    finally:
        api.close()
    raise AssertionError("agent pod never ran")


def start_agent(cluster: SimCluster, port: int) -> str:
    """Run a simulated mirrord agent job in `shop` listening on `port`; its pod's name."""
    manifest = job_manifest(
        "mirrord-agent-abc", image=AGENT_IMAGE, args=["-l", str(port), "-t", "30", "targetless"]
    )
    return run_agent_job(cluster, "shop", manifest)


def start_targeted_agent(
    cluster: SimCluster,
    port: int,
    target_pod: str,
    namespace: str = "default",
    timeout: int = 30,
    env: dict[str, str] | None = None,
    name: str = "mirrord-agent-tgt",
) -> str:
    """Run a simulated agent job in `namespace` targeting the first container of
    `target_pod`, listening on `port`; its pod's name once it runs."""
    api = api_client(cluster)
    try:
        target = client.CoreV1Api(api).read_namespaced_pod(target_pod, namespace)
    finally:
        api.close()
    container_id = target.status.container_statuses[0].container_id.split("://")[-1]
    manifest = job_manifest(
        name,
        image=AGENT_IMAGE,
        args=[
            "-l",
            str(port),
            "-t",
            str(timeout),
            "targeted",
            "--container-id",
            container_id,
            "--container-runtime",
            "containerd",
        ],
    )
    if env:
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return run_agent_job(cluster, namespace, manifest)


def pod_phase(cluster: SimCluster, namespace: str, name: str) -> str | None:
    pod = cluster.store.get_ref("pods", namespace, name)
    return None if pod is None else (pod.get("status") or {}).get("phase")


def wait_for(predicate: Any, timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def first_pod(cluster: SimCluster, namespace: str, app: str) -> str:
    for pod in cluster.store.list("pods", namespace):
        labels = pod["metadata"].get("labels") or {}
        if labels.get("app") == app and pod["status"].get("phase") == "Running":
            return str(pod["metadata"]["name"])
    raise AssertionError(f"no running {app} pod in {namespace}")


def pod_log(cluster: SimCluster, namespace: str, pod: str) -> str:
    api = api_client(cluster)
    try:
        return str(client.CoreV1Api(api).read_namespaced_pod_log(pod, namespace))
    finally:
        api.close()
