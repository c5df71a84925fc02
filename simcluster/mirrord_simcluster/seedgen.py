"""Seed generators for load tests."""

from __future__ import annotations

from typing import Any


def big_namespace(
    pods: int = 10_000,
    deployments: int = 1_000,
    namespace: str = "bench",
    nodes: int = 3,
) -> dict[str, Any]:
    """A seed with one namespace holding `pods` pods (2 containers each, one of them an
    istio sidecar) spread over `deployments` deployments, plus an empty `default`."""
    if deployments < 1 or pods < deployments:
        raise ValueError("need at least one deployment and no fewer pods than deployments")
    per, extra = divmod(pods, deployments)
    specs = []
    for i in range(deployments):
        name = f"svc-{i:04d}"
        specs.append(
            {
                "name": name,
                "replicas": per + (1 if i < extra else 0),
                "labels": {"tier": "backend" if i % 2 else "web", "team": f"team-{i % 17}"},
                "sidecars": ["istio"],
                "containers": [
                    {
                        "name": "app",
                        "image": f"ghcr.io/acme/{name}:1.{i % 7}.0",
                        "ports": [8080],
                        "env": {"SERVICE_NAME": name, "LOG_LEVEL": "info"},
                    }
                ],
            }
        )
    return {
        "nodes": [{"name": f"node-{n + 1}", "pods": 10_000} for n in range(nodes)],
        "namespaces": [{"name": "default"}, {"name": namespace, "deployments": specs}],
    }
