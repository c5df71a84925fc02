"""Listings kept on disk, over stdio: the first picker open after a restart answers
at once from the stored listing with `stale: true`, the live one replaces it, and
only clients that ask for stored listings (`allowStale`) ever get one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pytest_lsp import LanguageClient

from mirrord_simcluster.testing import SimCluster, running_cluster
from support.cluster import container, seed, workload
from support.server import call, stop_lsp

from .support import start_client

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

SEED = seed(
    {"name": "default"},
    {
        "name": "shop",
        "deployments": [workload("api", "api:1", replicas=2)],
        "pods": [{"name": "debug", "containers": [container("c", "c:1")]}],
    },
)


def paths(result: dict[str, Any]) -> set[str]:
    return {t["path"] for t in result["targets"]}


def picker_paths(result: dict[str, Any]) -> set[str]:
    return {i["path"] for i in result["items"] if i["kind"] == "target"}


async def session(cluster: SimCluster, tmp_path: Path, cache: Path) -> LanguageClient:
    return await start_client(
        cluster.kubeconfig_for("admin", "shop"),
        "visual-studio-code",
        tmp_path,
        env={"XDG_CACHE_HOME": str(cache)},
    )


def snapshots(cache: Path) -> list[Path]:
    return list((cache / "mirrord-ide" / "targets").glob("*.snapshot"))


async def list_and_store(
    cluster: SimCluster, tmp_path: Path, cache: Path
) -> tuple[dict[str, Any], list[Path]]:
    """A server's first listing of the targets (it asks for a stored one), and the
    listings it stored in the background, once it has stopped."""
    lsp = await session(cluster, tmp_path, cache)
    try:
        first = await call(lsp, "mirrord/listTargets", {"allowStale": True})
        for _ in range(100):
            if snapshots(cache):
                break
            await asyncio.sleep(0.05)
    finally:
        await stop_lsp(lsp)
    return first, snapshots(cache)


async def test_restart_answers_stale_then_live(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with running_cluster(SEED) as cluster:
        first, stored = await list_and_store(cluster, tmp_path, cache)
        assert "stale" not in first  # nothing stored yet: a live listing
        assert "pod/debug" in paths(first)
        assert len(stored) == 1
        assert b"admin-token" not in stored[0].read_bytes()

        # The cluster changes while the editor is closed.
        cluster.store.delete("pods", "shop", "debug")

        lsp = await session(cluster, tmp_path, cache)
        try:
            stale = await call(lsp, "mirrord/listTargets", {"allowStale": True})
            assert stale["stale"] is True
            assert "pod/debug" in paths(stale)  # what was stored, shown at once
            fresh = await call(lsp, "mirrord/listTargets", {})
            assert "stale" not in fresh
            assert "pod/debug" not in paths(fresh)
            assert "deployment/api" in paths(fresh)
            # Listed live now: no stale answer for this view any more.
            again = await call(lsp, "mirrord/listTargets", {"allowStale": True})
            assert "stale" not in again
        finally:
            await stop_lsp(lsp)

        lsp = await session(cluster, tmp_path, cache)
        try:
            items = await call(lsp, "mirrord/targetPickerItems", {"allowStale": True})
            assert items["stale"] is True
            assert items["namespace"] == "shop"
            assert "pod/debug" not in picker_paths(items)  # the refreshed listing was stored
            assert "deployment/api" in picker_paths(items)
            live = await call(lsp, "mirrord/targetPickerItems", {})
            assert "stale" not in live
            assert picker_paths(live) == picker_paths(items)
        finally:
            await stop_lsp(lsp)


async def test_clients_that_do_not_ask_never_get_stale_answers(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with running_cluster(SEED) as cluster:
        await list_and_store(cluster, tmp_path, cache)
        cluster.store.delete("pods", "shop", "debug")
        lsp = await session(cluster, tmp_path, cache)
        try:
            result = await call(lsp, "mirrord/listTargets", {})
            assert "stale" not in result
            assert "pod/debug" not in paths(result)
        finally:
            await stop_lsp(lsp)


async def test_a_corrupt_snapshot_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with running_cluster(SEED) as cluster:
        _, (stored,) = await list_and_store(cluster, tmp_path, cache)
        data = stored.read_bytes()
        stored.write_bytes(data[: len(data) // 2])  # cut short, as by a crash
        lsp = await session(cluster, tmp_path, cache)
        try:
            result = await call(lsp, "mirrord/targetPickerItems", {"allowStale": True})
            assert "stale" not in result  # a live answer, no error
            assert "pod/debug" in picker_paths(result)
        finally:
            await stop_lsp(lsp)
