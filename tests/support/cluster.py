"""The simulated cluster as a fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from mirrord_simcluster.testing import SimCluster, running_cluster

Seed = str | Path | dict[str, Any] | None


def cluster_fixture(
    seed: Seed, scope: Literal["function", "module"] = "module"
) -> Callable[[], Iterator[SimCluster]]:
    """A `cluster` fixture: a running simulated cluster with `seed` (None: the demo seed),
    one per module unless `scope` says one per test. Assign it to a module's `cluster`."""

    @pytest.fixture(scope=scope, name="cluster")
    def cluster() -> Iterator[SimCluster]:
        with running_cluster(seed) as sim:
            yield sim

    return cluster


# Seeds: a few tests share their users and workloads; each module adds what it is about.

ADMIN: dict[str, Any] = {"name": "admin", "token": "admin-token", "admin": True}
EXPIRED: dict[str, Any] = {"name": "expired", "expired": True, "admin": True}
# Reads namespaces everywhere and workloads other than deployments in `shop` only.
NODEPLOY: dict[str, Any] = {
    "name": "nodeploy",
    "rules": [
        {"verbs": ["get", "list", "watch"], "resources": ["namespaces"]},
        {
            "verbs": ["get", "list", "watch"],
            "resources": ["pods", "statefulsets", "jobs", "cronjobs", "rollouts"],
            "namespaces": ["shop"],
        },
    ],
}


def workload(name: str, image: str, replicas: int = 1, **fields: Any) -> dict[str, Any]:
    """A deployment, rollout or statefulset with one container named after it."""
    return {"name": name, "replicas": replicas, **fields, "containers": [container(name, image)]}


def container(name: str, image: str) -> dict[str, Any]:
    return {"name": name, "image": image}


HELLO = workload("hello", "hello:1")


def seed(
    *namespaces: dict[str, Any], users: tuple[dict[str, Any], ...] = (ADMIN,), **options: Any
) -> dict[str, Any]:
    """A seed whose default user is the first of `users`; `options` are the cluster's."""
    value: dict[str, Any] = {"options": options} if options else {}
    value |= {"default_user": users[0]["name"], "users": list(users)}
    return value | {"namespaces": list(namespaces)}
