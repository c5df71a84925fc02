"""A generated seed the size of a big production cluster: by default 50,000 pods in
200 namespaces, for the all-namespaces benchmark and the scale tests.

Each namespace holds deployments whose pods carry two containers (the app and an
istio sidecar), so every pod is one target, as in `seedgen.big_namespace`. Two users
besides the admin exercise the all-namespaces fallback: `lister` may list and watch
pods and deployments everywhere (one cluster-wide list per kind), `scoped` only in the
first three namespaces (so a client must go namespace by namespace).
"""

from __future__ import annotations

from typing import Any

READ = ["get", "list", "watch"]
TARGET_RESOURCES = ["pods", "deployments", "statefulsets", "jobs", "cronjobs", "rollouts"]


def namespace_name(index: int) -> str:
    return f"team-{index:03d}"


def big_cluster(
    pods: int = 50_000,
    namespaces: int = 200,
    pods_per_deployment: int = 10,
    nodes: int = 20,
) -> dict[str, Any]:
    """A seed with `pods` pods spread evenly over `namespaces` namespaces (`team-000`,
    `team-001`, ...), `pods_per_deployment` replicas per deployment, plus `default`."""
    if namespaces < 1 or pods < namespaces or pods_per_deployment < 1:
        raise ValueError("need at least one namespace, one pod per namespace and one replica")
    per_ns, extra_ns = divmod(pods, namespaces)
    spaces: list[dict[str, Any]] = [{"name": "default"}]
    for n in range(namespaces):
        ns_pods = per_ns + (1 if n < extra_ns else 0)
        count = max(1, ns_pods // pods_per_deployment)
        per, extra = divmod(ns_pods, count)
        deployments = []
        for i in range(count):
            name = f"svc-{i:03d}"
            deployments.append(
                {
                    "name": name,
                    "replicas": per + (1 if i < extra else 0),
                    "labels": {"tier": "backend" if i % 2 else "web"},
                    "sidecars": ["istio"],
                    "containers": [{"name": "app", "image": f"ghcr.io/acme/{name}:1.{i % 7}.0"}],
                }
            )
        spaces.append({"name": namespace_name(n), "deployments": deployments})
    scoped = [namespace_name(n) for n in range(min(3, namespaces))]
    return {
        "nodes": [{"name": f"node-{n + 1}", "pods": pods} for n in range(nodes)],
        "users": [
            {"name": "admin", "admin": True},
            {
                "name": "lister",
                "rules": [
                    {"verbs": READ, "resources": TARGET_RESOURCES},
                    {"verbs": READ, "resources": ["namespaces"]},
                ],
            },
            {
                "name": "scoped",
                "rules": [
                    {"verbs": READ, "resources": TARGET_RESOURCES, "namespaces": scoped},
                    {"verbs": READ, "resources": ["namespaces"]},
                ],
            },
        ],
        "namespaces": spaces,
    }
