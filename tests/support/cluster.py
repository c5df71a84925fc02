"""The simulated cluster as a fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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


def container(name: str, image: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}


HELLO = workload("hello", "hello:1")
# Two schedulable nodes (the cluster labels each with its hostname).
NODES: tuple[dict[str, Any], ...] = ({"name": "node-1"}, {"name": "node-2"})


def seed(
    *namespaces: dict[str, Any],
    users: Sequence[dict[str, Any]] = (ADMIN,),
    nodes: Sequence[dict[str, Any]] = (),
    **options: Any,
) -> dict[str, Any]:
    """A seed whose default user is the first of `users`; `options` are the cluster's."""
    value: dict[str, Any] = {"options": options} if options else {}
    value |= {"default_user": users[0]["name"], "users": list(users)}
    if nodes:
        value["nodes"] = [dict(node) for node in nodes]
    return value | {"namespaces": list(namespaces)}


# The shop: an `api` deployment whose container reads its environment from the
# cluster (DB_HOST from the shop-config config map, DB_PASSWORD from the shop-db
# secret, everything in the stripe secret through envFrom), for launch tests and
# benchmarks that resolve a target's environment.

SHOP_API_IMAGE = "ghcr.io/acme/shop-api:1.0.0"


def shop_api(
    replicas: int = 2,
    sidecars: Sequence[str] = (),
    env_from: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The `api` deployment; `env_from` are its container's envFrom sources."""
    env = {
        "LOG_LEVEL": "info",
        "DB_HOST": {"configMap": "shop-config/DB_HOST"},
        "DB_PASSWORD": {"secret": "shop-db/DB_PASSWORD"},
    }
    api: dict[str, Any] = {"name": "api", "replicas": replicas}
    if sidecars:
        api["sidecars"] = list(sidecars)
    fields: dict[str, Any] = {"env": env}
    if env_from:
        fields["envFrom"] = [dict(source) for source in env_from]
    return api | {"containers": [container("api", SHOP_API_IMAGE, **fields)]}


def shop_namespace(
    db_password: str,
    stripe_key: str | None = None,
    *,
    api: Mapping[str, Any] | None = None,
    shop_config: Mapping[str, str] | None = None,
    configmaps: Sequence[dict[str, Any]] = (),
    deployments: Sequence[dict[str, Any]] = (),
    **objects: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The `shop` namespace: the shop-config config map (DB_HOST and `shop_config`),
    the shop-db secret holding `db_password`, the stripe secret holding `stripe_key`
    (none when None; the api reads it through envFrom), then `configmaps`, the `api`
    deployment (`shop_api()` unless given) and `deployments`, and `objects` by kind
    (statefulsets, rollouts, pods...)."""
    secrets = [{"name": "shop-db", "data": {"DB_PASSWORD": db_password}}]
    if stripe_key is not None:
        secrets.append({"name": "stripe", "data": {"STRIPE_KEY": stripe_key}})
    if api is None:
        api = shop_api(env_from=[{"secret": "stripe"}] if stripe_key is not None else [])
    config = {"name": "shop-config", "data": {"DB_HOST": "postgres", **(shop_config or {})}}
    return {
        "name": "shop",
        "configmaps": [config, *configmaps],
        "secrets": secrets,
        "deployments": [dict(api), *deployments],
    } | {kind: list(items) for kind, items in objects.items()}
