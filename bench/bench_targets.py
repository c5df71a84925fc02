"""Target listing on a big namespace: the language server next to kubectl and a
naive listing with the official client's typed models, in one run against the
same simulated cluster.

    python bench/bench_targets.py [--pods 10000] [--deployments 1000] [--warm 30] [--json]

Measured:
- cold: the first `mirrord/listTargets` of a freshly initialized server (stdio),
  which loads the kubeconfig, lists every kind page by page and starts watches;
- warm: repeated `mirrord/listTargets` calls (p50), answered from the watch cache;
- kubectl: `kubectl get pods,deployments -n NS -o json` (pages of 500);
- naive: `list_namespaced_pod` + `list_namespaced_deployment` with typed models;
- the server's peak RSS (VmHWM) with the namespace cached.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mirrord_ide.simcluster.seedgen import big_namespace
from mirrord_ide.simcluster.testing import SimCluster, running_cluster
from rpc import StdioClient

NAMESPACE = "bench"
SERVER = [sys.executable, "-m", "mirrord_ide", "serve"]

# Targets from the product's requirements.
TARGET_COLD_VS_KUBECTL = 1.0
TARGET_COLD_VS_NAIVE = 0.1
TARGET_WARM_P50_MS = 20.0
TARGET_RSS_MB = 150.0


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def time_kubectl(kubeconfig: Path) -> float | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    started = time.perf_counter()
    subprocess.run(
        [kubectl, "get", "pods,deployments", "-n", NAMESPACE, "-o", "json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=300,
    )
    return time.perf_counter() - started


def time_naive(kubeconfig: Path) -> tuple[float, int]:
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


async def time_server(kubeconfig: Path, warm_runs: int) -> dict[str, Any]:
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    for key in ("MIRRORD_IMPERSONATED_TARGET", "MIRRORD_TARGET_NAMESPACE"):
        env.pop(key, None)
    server = await StdioClient.spawn(SERVER, env=env)
    try:
        await server.request(
            "initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}}, 60
        )
        server.notify("initialized", {})
        params = {"namespace": NAMESPACE, "timeout": 60}
        started = time.perf_counter()
        cold = await server.request("mirrord/listTargets", params, timeout=120)
        cold_s = time.perf_counter() - started
        warm: list[float] = []
        for _ in range(warm_runs):
            started = time.perf_counter()
            result = await server.request("mirrord/listTargets", params, timeout=60)
            warm.append(time.perf_counter() - started)
        assert len(result["targets"]) == len(cold["targets"])
        return {
            "cold_s": cold_s,
            "warm_p50_ms": statistics.median(warm) * 1000 if warm else None,
            "targets": len(cold["targets"]),
            "rss_mb": peak_rss_mb(server.proc.pid),
        }
    finally:
        await server.close()


def run(pods: int, deployments: int, warm_runs: int) -> dict[str, Any]:
    seed = big_namespace(pods=pods, deployments=deployments, namespace=NAMESPACE)
    cluster: SimCluster
    with running_cluster(seed) as cluster:
        kubeconfig = cluster.kubeconfig_for(cluster.state.seed.default_user, NAMESPACE)
        server = asyncio.run(time_server(kubeconfig, warm_runs))
        kubectl_s = time_kubectl(kubeconfig)
        naive_s, naive_items = time_naive(kubeconfig)
    gc.collect()
    out: dict[str, Any] = {
        "pods": pods,
        "deployments": deployments,
        **server,
        "kubectl_s": kubectl_s,
        "naive_s": naive_s,
        "naive_items": naive_items,
    }
    out["cold_vs_kubectl"] = server["cold_s"] / kubectl_s if kubectl_s else None
    out["cold_vs_naive"] = server["cold_s"] / naive_s if naive_s else None
    return out


def report(result: dict[str, Any]) -> str:
    def fmt(value: Any, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    lines = [
        f"namespace: {result['pods']} pods, {result['deployments']} deployments "
        f"-> {result['targets']} targets",
        f"cold listTargets   {fmt(result['cold_s'], '.2f')} s",
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
    args = parser.parse_args()
    result = run(args.pods, args.deployments, args.warm)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
