"""Target listing on a big namespace: the language server next to kubectl and a
naive listing with the official client's typed models, in one run against the
same simulated cluster.

    python bench/bench_targets.py [--pods 10000] [--deployments 1000] [--warm 30] [--json]

Measured (after one untimed listing, so every client meets a warmed cluster):
- cold: the first `mirrord/listTargets` of a fresh server once its start-up work
  is over (it loads the kubernetes client in the background and checks for
  agents left by exited servers), as when a user opens the picker some time
  after the editor started; nothing has been listed yet, so it lists every kind
  page by page and starts watches. Like the naive listing, which is timed with
  the client imported and configured;
- right at start-up: the same, sent right after `initialized` to another fresh
  server, so it also pays for importing the kubernetes client (about 0.3 s);
- warm: repeated `mirrord/listTargets` calls (p50), answered from the watch cache;
- kubectl: `kubectl get pods,deployments -n NS -o json` (pages of 500);
- naive: `list_namespaced_pod` + `list_namespaced_deployment` with typed models;
- the server's peak RSS (VmHWM) with the namespace cached.

With `--cluster` it measures a big cluster instead (default 50,000 pods in 200
namespaces, `mirrord_simcluster.bigseed`), each figure next to
`kubectl get pods,deployments -A -o json` in the same run:
- all-namespaces cold: the first `listTargets` with `allNamespaces` of a settled
  server (one paginated list and one watch per kind for the whole cluster);
- all-namespaces warm with a filter: `targetPickerItems` with `allNamespaces` and
  a `filter` typed (p50);
- one namespace right after (answered from the cluster-wide cache);
- restart: fresh servers whose first picker open (`allowStale`) is answered from
  the listing the previous server stored (p50 over several restarts), for the
  namespace view and the all-namespaces listing;
- the server's peak RSS with every pod cached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from mirrord_simcluster.bigseed import big_cluster, namespace_name
from mirrord_simcluster.seedgen import big_namespace
from shared import RawClient, server_env

NAMESPACE = "bench"
CLUSTER = [sys.executable, "-m", "mirrord_ide", "demo-cluster"]

# Targets from the product's requirements.
TARGET_COLD_VS_KUBECTL = 1.0
TARGET_COLD_VS_NAIVE = 0.1
TARGET_WARM_P50_MS = 20.0
TARGET_RSS_MB = 150.0
ALL_COLD_VS_KUBECTL = 0.1
ALL_WARM_FILTER_P50_MS = 30.0
RESTART_P50_MS = 50.0
ALL_RSS_MB = 250.0
# How long the client waits for any answer (each request has a server-side timeout).
ANSWER_TIMEOUT = 600.0


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def time_kubectl(kubeconfig: Path, *scope: str, timeout: float = 300) -> float | None:
    """`kubectl get pods,deployments <scope> -o json`; None without kubectl."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    started = time.perf_counter()
    subprocess.run(
        [kubectl, "get", "pods,deployments", *scope, "-o", "json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=timeout,
    )
    return time.perf_counter() - started


def time_kubectl_all(kubeconfig: Path) -> float | None:
    return time_kubectl(kubeconfig, "-A", timeout=600)


def time_naive(kubeconfig: Path) -> tuple[float | None, int | None]:
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        started = time.perf_counter()
        pods = client.CoreV1Api(api_client).list_namespaced_pod(NAMESPACE)
        deployments = client.AppsV1Api(api_client).list_namespaced_deployment(NAMESPACE)
        elapsed = time.perf_counter() - started
        return elapsed, len(pods.items) + len(deployments.items)
    finally:
        api_client.close()


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


async def settled(pid: int, quiet: float = 0.5, timeout: float = 20.0) -> None:
    """Until the server's start-up work is over: past the delays of its background
    preload and its check for leftover agents, then idle (no CPU) for `quiet` seconds."""
    from mirrord_ide.lsp.session_requests import REAP_DELAY
    from mirrord_ide.lsp.target_requests import PREWARM_DELAY

    await asyncio.sleep(max(REAP_DELAY, PREWARM_DELAY))
    deadline = time.monotonic() + timeout
    last, calm_since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now = cpu_ticks(pid)
        if now - last > 1:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return
        last = now
    raise RuntimeError("the server did not become idle after start-up")


@contextlib.asynccontextmanager
async def server_process(kubeconfig: Path, cache: Path | None = None) -> AsyncIterator[RawClient]:
    """A fresh initialized server (keeping its listings under `cache` when given), its
    answers timed to their last byte (the client's own JSON parsing is not the server's
    latency)."""
    extra = {"XDG_CACHE_HOME": str(cache)} if cache is not None else {}
    client = await RawClient.spawn(server_env(kubeconfig, **extra), record=False)
    try:
        await client.initialize(capabilities={})
        yield client
    finally:
        await client.close()


async def time_server(kubeconfig: Path, warm_runs: int, *, settle: bool) -> dict[str, Any]:
    """One fresh server: its first listTargets, right after `initialized` or once
    its start-up work is over (`settle`), then `warm_runs` repeated ones."""
    async with server_process(kubeconfig) as client:
        if settle:
            await settled(client.proc.pid)
        params = {"namespace": NAMESPACE, "timeout": 60}
        cold_s, cold = await client.timed_request("mirrord/listTargets", params, ANSWER_TIMEOUT)
        warm: list[float] = []
        for _ in range(warm_runs):
            elapsed, result = await client.timed_request(
                "mirrord/listTargets", params, ANSWER_TIMEOUT
            )
            warm.append(elapsed)
            assert len(result["targets"]) == len(cold["targets"])
        return {
            "cold_s": cold_s,
            "warm_p50_ms": statistics.median(warm) * 1000 if warm else None,
            "targets": len(cold["targets"]),
            "rss_mb": peak_rss_mb(client.proc.pid),
        }


async def wait_for_snapshots(cache: Path, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list(cache.glob("mirrord-ide/targets/*.snapshot"))) >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the server did not store its listings")


async def time_cluster_server(
    kubeconfig: Path, cache: Path, warm_runs: int, restarts: int, needle: str, namespace: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with server_process(kubeconfig, cache) as client:
        await settled(client.proc.pid)
        all_params = {"allNamespaces": True, "timeout": 120, "allowStale": True}
        out["all_cold_s"], cold = await client.timed_request(
            "mirrord/listTargets", all_params, ANSWER_TIMEOUT
        )
        assert "stale" not in cold
        out["all_targets"] = len(cold["targets"])
        warm: list[float] = []
        shown = 0
        for _ in range(warm_runs):
            elapsed, items = await client.timed_request(
                "mirrord/targetPickerItems",
                {"allNamespaces": True, "filter": needle, "timeout": 60},
                ANSWER_TIMEOUT,
            )
            warm.append(elapsed)
            shown = sum(1 for i in items["items"] if i["kind"] == "target")
        out["all_warm_filter_p50_ms"] = statistics.median(warm) * 1000 if warm else None
        out["all_filter_items"] = shown
        # What a client that filters on its side asks for: every target.
        unfiltered: list[float] = []
        for _ in range(max(1, warm_runs // 4)):
            elapsed, items = await client.timed_request(
                "mirrord/targetPickerItems", {"allNamespaces": True, "timeout": 60}, ANSWER_TIMEOUT
            )
            unfiltered.append(elapsed)
        out["all_warm_unfiltered_p50_ms"] = statistics.median(unfiltered) * 1000
        ns_params = {"namespace": namespace, "timeout": 60, "allowStale": True}
        out["ns_from_cluster_cache_ms"], _ = await client.timed_request(
            "mirrord/targetPickerItems", ns_params, ANSWER_TIMEOUT
        )
        out["ns_from_cluster_cache_ms"] *= 1000
        out["all_rss_mb"] = peak_rss_mb(client.proc.pid)
        await wait_for_snapshots(cache, 2)
    ns_times: list[float] = []
    all_times: list[float] = []
    for _ in range(restarts):
        # As after an editor restart: the server started with the editor, the
        # picker opens once its start-up work is over.
        async with server_process(kubeconfig, cache) as client:
            await settled(client.proc.pid)
            elapsed, items = await client.timed_request(
                "mirrord/targetPickerItems",
                {"namespace": namespace, "allowStale": True},
                ANSWER_TIMEOUT,
            )
            assert items.get("stale") is True, "no stored listing was used"
            ns_times.append(elapsed)
            elapsed, listing = await client.timed_request(
                "mirrord/listTargets", {"allNamespaces": True, "allowStale": True}, ANSWER_TIMEOUT
            )
            assert listing.get("stale") is True
            assert len(listing["targets"]) == out["all_targets"]
            all_times.append(elapsed)
    out["restart_picker_p50_ms"] = statistics.median(ns_times) * 1000 if ns_times else None
    out["restart_all_p50_ms"] = statistics.median(all_times) * 1000 if all_times else None
    return out


def run_cluster(
    pods: int, namespaces: int, warm_runs: int, restarts: int, baselines: bool = True
) -> dict[str, Any]:
    seed = big_cluster(pods=pods, namespaces=namespaces)
    needle = "svc-004"
    namespace = namespace_name(min(7, namespaces - 1))
    with tempfile.TemporaryDirectory(prefix="bench-targets-") as tmp:
        with cluster_process(seed, Path(tmp)) as kubeconfig:
            if baselines:  # untimed: the cluster encodes each object once
                time_kubectl_all(kubeconfig)
            server = asyncio.run(
                time_cluster_server(
                    kubeconfig, Path(tmp) / "cache", warm_runs, restarts, needle, namespace
                )
            )
            kubectl_s = time_kubectl_all(kubeconfig) if baselines else None
    out: dict[str, Any] = {"pods": pods, "namespaces": namespaces, **server}
    out["kubectl_all_s"] = kubectl_s
    out["all_cold_vs_kubectl"] = server["all_cold_s"] / kubectl_s if kubectl_s else None
    return out


def fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def report_cluster(result: dict[str, Any]) -> str:
    lines = [
        f"cluster: {result['pods']} pods in {result['namespaces']} namespaces "
        f"-> {result['all_targets']} targets",
        f"all-namespaces cold listTargets {fmt(result['all_cold_s'], '.2f')} s",
        f"kubectl get -A -o json          {fmt(result['kubectl_all_s'], '.2f')} s",
        f"cold / kubectl -A               {fmt(result['all_cold_vs_kubectl'], '.3f')}x "
        f"(target <= {ALL_COLD_VS_KUBECTL}x)",
        f"all-namespaces warm, filtered   {fmt(result['all_warm_filter_p50_ms'], '.1f')} ms p50 "
        f"({result['all_filter_items']} targets shown; target <= {ALL_WARM_FILTER_P50_MS} ms)",
        f"all-namespaces warm, every item {fmt(result['all_warm_unfiltered_p50_ms'], '.1f')} "
        "ms p50 (no filter)",
        f"one namespace after that        {fmt(result['ns_from_cluster_cache_ms'], '.1f')} ms "
        "(from the cluster-wide cache)",
        f"restart, first picker open      {fmt(result['restart_picker_p50_ms'], '.1f')} ms p50 "
        f"(stored listing; target <= {RESTART_P50_MS} ms)",
        f"restart, all-namespaces list    {fmt(result['restart_all_p50_ms'], '.1f')} ms p50 "
        "(stored listing)",
        f"server peak RSS                 {fmt(result['all_rss_mb'], '.0f')} MB "
        f"(target <= {ALL_RSS_MB} MB)",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def cluster_process(seed: dict[str, Any], workdir: Path) -> Iterator[Path]:
    """The simulated cluster in its own process, so that neither the client nor the
    server under test shares an interpreter (and its GIL) with it. Yields a kubeconfig."""
    seed_file = workdir / "seed.json"
    seed_file.write_text(json.dumps(seed))
    kubeconfig = workdir / "kubeconfig.yaml"
    proc = subprocess.Popen(
        [*CLUSTER, "--seed", str(seed_file), "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the cluster is up
        if not line:
            raise RuntimeError("the simulated cluster did not start")
        yield Path(json.loads(line)["kubeconfig"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def warm_up_cluster(kubeconfig: Path) -> None:
    """One untimed full listing, so that every measured client meets the
    simulated cluster in the same state (it keeps each object's JSON once encoded)."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        for response in (
            client.CoreV1Api(api_client).list_namespaced_pod(NAMESPACE, _preload_content=False),
            client.AppsV1Api(api_client).list_namespaced_deployment(
                NAMESPACE, _preload_content=False
            ),
        ):
            response.read()
    finally:
        api_client.close()


def run(pods: int, deployments: int, warm_runs: int, baselines: bool = True) -> dict[str, Any]:
    seed = big_namespace(pods=pods, deployments=deployments, namespace=NAMESPACE)
    with tempfile.TemporaryDirectory(prefix="bench-targets-") as tmp:
        with cluster_process(seed, Path(tmp)) as kubeconfig:
            warm_up_cluster(kubeconfig)
            first = asyncio.run(time_server(kubeconfig, 0, settle=False))
            server = asyncio.run(time_server(kubeconfig, warm_runs, settle=True))
            kubectl_s = time_kubectl(kubeconfig, "-n", NAMESPACE) if baselines else None
            naive_s, naive_items = time_naive(kubeconfig) if baselines else (None, None)
    out: dict[str, Any] = {
        "pods": pods,
        "deployments": deployments,
        **server,
        "first_s": first["cold_s"],
        "kubectl_s": kubectl_s,
        "naive_s": naive_s,
        "naive_items": naive_items,
    }
    out["cold_vs_kubectl"] = server["cold_s"] / kubectl_s if kubectl_s else None
    out["cold_vs_naive"] = server["cold_s"] / naive_s if naive_s else None
    out["first_vs_naive"] = first["cold_s"] / naive_s if naive_s else None
    return out


def report(result: dict[str, Any]) -> str:
    lines = [
        f"namespace: {result['pods']} pods, {result['deployments']} deployments "
        f"-> {result['targets']} targets",
        f"cold listTargets   {fmt(result['cold_s'], '.2f')} s "
        "(nothing listed yet; the server's start-up work is over)",
        f"  right at start-up {fmt(result['first_s'], '.2f')} s "
        f"(also loads the kubernetes client; {fmt(result['first_vs_naive'], '.3f')}x naive)",
        f"kubectl get -o json {fmt(result['kubectl_s'], '.2f')} s",
        f"naive typed list   {fmt(result['naive_s'], '.2f')} s",
        f"cold / kubectl     {fmt(result['cold_vs_kubectl'], '.2f')}x "
        f"(target <= {TARGET_COLD_VS_KUBECTL}x)",
        f"cold / naive       {fmt(result['cold_vs_naive'], '.3f')}x "
        f"(target <= {TARGET_COLD_VS_NAIVE}x)",
        f"warm p50           {fmt(result['warm_p50_ms'], '.1f')} ms "
        f"(target <= {TARGET_WARM_P50_MS} ms)",
        f"server peak RSS    {fmt(result['rss_mb'], '.0f')} MB (target <= {TARGET_RSS_MB} MB)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=1_000)
    parser.add_argument("--warm", type=int, default=30, help="warm requests to time")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="measure a big cluster: all namespaces, restart, RSS (see --cluster-pods)",
    )
    parser.add_argument("--cluster-pods", type=int, default=50_000)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--restarts", type=int, default=5, help="restarts to time")
    parser.add_argument(
        "--server-only", action="store_true", help="skip the kubectl and typed-client baselines"
    )
    args = parser.parse_args()
    if args.cluster:
        found = run_cluster(
            args.cluster_pods,
            args.namespaces,
            args.warm,
            args.restarts,
            baselines=not args.server_only,
        )
        print(json.dumps(found) if args.json else report_cluster(found))
        return 0
    result = run(args.pods, args.deployments, args.warm, baselines=not args.server_only)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
