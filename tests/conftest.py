"""Shared fixtures: a simulated Kubernetes cluster over real HTTPS on loopback.

- `sim_cluster`: a running cluster seeded with the demo app (function-scoped).
- `sim_cluster_factory(seed=None, **options)`: start more clusters (custom seeds, options
  such as `schedule_delay=0.05`); all are stopped when the test ends.
- `kubeconfig_env`: `KUBECONFIG` pointing at `sim_cluster` (admin user, namespace default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mirrord_simcluster.testing import SimCluster, running_cluster

SimClusterFactory = Callable[..., SimCluster]


@pytest.fixture
def sim_cluster_factory() -> Iterator[SimClusterFactory]:
    stack: list[Any] = []

    def start(seed: str | Path | dict[str, Any] | None = None, **options: Any) -> SimCluster:
        manager = running_cluster(seed, **options)
        cluster = manager.__enter__()
        stack.append(manager)
        return cluster

    try:
        yield start
    finally:
        while stack:
            stack.pop().__exit__(None, None, None)


@pytest.fixture
def sim_cluster(sim_cluster_factory: SimClusterFactory) -> SimCluster:
    return sim_cluster_factory()


@pytest.fixture
def kubeconfig_env(sim_cluster: SimCluster, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUBECONFIG", str(sim_cluster.kubeconfig_path))
    return sim_cluster.kubeconfig_path
