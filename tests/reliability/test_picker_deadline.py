"""The target picker under a deadline, through the real server over stdio
against the simulated cluster: whatever part of the cluster is too slow, the
answer comes within the request's `timeout`, keeps every part that did
arrive (the namespaces to switch to, the targets) and says what is missing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mirrord_simcluster.testing import running_cluster
from support.rpc import server_env, spawn_initialized

from .cluster_support import SEED

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

DEADLINE = 1.5
SLACK = 1.0  # scheduling on a loaded machine
# Every kind of object a target listing reads; namespaces are listed apart.
TARGET_RESOURCES = (
    "pods",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "rollouts",
    "services",
)


def kinds(result: dict[str, Any]) -> list[str]:
    return [item["kind"] for item in result["items"]]


def switch_items(result: dict[str, Any]) -> list[str]:
    return [
        i["namespace"] for i in result["items"] if i["kind"] == "namespace" and "namespace" in i
    ]


def messages(result: dict[str, Any]) -> str:
    """Every message the picker shows, whatever item carries it."""
    return " ".join(
        str(i.get("label", "")) + " " + str(i.get("description", "")) for i in result["items"]
    ) + " ".join(str(m) for m in result.get("messages", []))


@pytest.mark.parametrize("slow", ["targets", "namespaces", "everything"])
async def test_picker_keeps_what_arrived_before_the_deadline(slow: str, tmp_path: Path) -> None:
    with running_cluster(SEED) as cluster:
        expected_namespaces = sorted(
            o["metadata"]["name"] for o in cluster.store.list("namespaces")
        )
        slowed = {
            "targets": TARGET_RESOURCES,
            "namespaces": ("namespaces",),
            "everything": (*TARGET_RESOURCES, "namespaces"),
        }[slow]
        for resource in slowed:
            cluster.faults.add(resource=resource, latency=DEADLINE * 4)
        # A cache of its own: no listing kept by an earlier server stands in for the live one.
        env = server_env(cluster.kubeconfig_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
        client = await spawn_initialized(env)
        try:
            started = time.monotonic()
            result = await client.request(
                "mirrord/targetPickerItems",
                {"namespace": "shop", "timeout": DEADLINE},
                timeout=DEADLINE * 4,
            )
            elapsed = time.monotonic() - started
            assert elapsed < DEADLINE + SLACK, f"answered after {elapsed:.2f}s"
            assert "targetless" in kinds(result), result
            text = messages(result)
            if slow == "targets":
                # The namespace-switch items survive the targets' timeout.
                assert set(switch_items(result)) == set(expected_namespaces) - {"shop"}, result
                assert "target" not in kinds(result), result
                assert "did not answer" in text, result
            elif slow == "namespaces":
                # (Target listings wait for the namespace list too.)
                assert switch_items(result) == [], result
                assert "listing namespaces" in text and "did not answer" in text, result
            else:
                assert switch_items(result) == [], result
                assert "did not answer" in text, result
            # The server is not left busy: the next quick request is answered at once.
            cluster.faults.clear()
            started = time.monotonic()
            await client.request("mirrord/listSessions", {}, timeout=5)
            assert time.monotonic() - started < 1.0
            stderr = client.stderr.decode("utf-8", "replace")
            assert "Traceback" not in stderr and "never retrieved" not in stderr, stderr[-3000:]
        finally:
            await client.close()
