"""Client helpers for the simulated-cluster tests."""

from __future__ import annotations

import json
from typing import Any

from kubernetes import client, config

from mirrord_ide.simcluster.testing import SimCluster


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
