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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mirrord_ide.simcluster.seedgen import big_namespace

NAMESPACE = "bench"
SERVER = [sys.executable, "-m", "mirrord_ide", "serve"]
CLUSTER = [sys.executable, "-m", "mirrord_ide", "demo-cluster"]

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


class RawClient:
    """JSON-RPC over the server's stdio, timing each response to its last byte
    (the client's own JSON parsing is not the server's latency)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._next = 0

    async def request(self, method: str, params: Any) -> tuple[float, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._next += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        started = time.perf_counter()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body.encode())
        while True:
            length = 0
            while True:
                line = (await self.proc.stdout.readline()).strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if not length:
                raise RuntimeError("the server closed its output")
            raw = await self.proc.stdout.readexactly(length)
            elapsed = time.perf_counter() - started
            message = json.loads(raw)
            if message.get("id") == self._next and "method" not in message:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return elapsed, message["result"]
            if "id" in message and "method" in message:  # e.g. workspace/configuration
                reply = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None})
                self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(reply) + reply.encode())

    def notify(self, method: str, params: Any) -> None:
        assert self.proc.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


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


async def time_server(kubeconfig: Path, warm_runs: int, *, settle: bool) -> dict[str, Any]:
    """One fresh server: its first listTargets, right after `initialized` or once
    its start-up work is over (`settle`), then `warm_runs` repeated ones."""
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    for key in ("MIRRORD_IMPERSONATED_TARGET", "MIRRORD_TARGET_NAMESPACE"):
        env.pop(key, None)
    proc = await asyncio.create_subprocess_exec(
        *SERVER,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
        limit=2**20,
    )
    client = RawClient(proc)
    try:
        await client.request("initialize", {"processId": os.getpid(), "capabilities": {}})
        client.notify("initialized", {})
        if settle:
            await settled(proc.pid)
        params = {"namespace": NAMESPACE, "timeout": 60}
        cold_s, cold = await client.request("mirrord/listTargets", params)
        warm: list[float] = []
        for _ in range(warm_runs):
            elapsed, result = await client.request("mirrord/listTargets", params)
            warm.append(elapsed)
            assert len(result["targets"]) == len(cold["targets"])
        return {
            "cold_s": cold_s,
            "warm_p50_ms": statistics.median(warm) * 1000 if warm else None,
            "targets": len(cold["targets"]),
            "rss_mb": peak_rss_mb(proc.pid),
        }
    finally:
        try:
            await asyncio.wait_for(client.request("shutdown", None), 10)
            client.notify("exit", None)
            await asyncio.wait_for(proc.wait(), 10)
        except Exception:  # noqa: BLE001 - make sure the process goes away regardless
            pass
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


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
            kubectl_s = time_kubectl(kubeconfig) if baselines else None
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
    def fmt(value: Any, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

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
        "--server-only", action="store_true", help="skip the kubectl and typed-client baselines"
    )
    args = parser.parse_args()
    result = run(args.pods, args.deployments, args.warm, baselines=not args.server_only)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
