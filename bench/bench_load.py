"""Load: 50 concurrent `mirrord/listTargets` and `mirrord/targetPickerItems`
while a client types 200 `didChange` per second into a config document.

    python bench/bench_load.py [--seconds 60] [--workers 50] [--rate 200] [--json]

Prints the p50/p95 latency of each request, the error count, how many
didChange were sent, whether the last version got its diagnostics, and the
server's RSS at the start (after warm-up), at the end and at its peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from mirrord_simcluster.seedgen import big_namespace
from mirrord_simcluster.testing import running_cluster
from shared import RawClient, server_env

NAMESPACE = "bench"
URI = "file:///bench/load/mirrord.json"
METHODS = ("mirrord/listTargets", "mirrord/targetPickerItems")
DOCUMENTS = [
    '{\n  "target": {"path": "deployment/app-%d", "namespace": "bench"},\n'
    '  "feature": {"network": {"incoming": "steal"}}\n}\n',
    '{\n  "target": {"path": "deployment/app-%d", "namespace": "bench"},\n'
    '  "feature": {"network": {"incoming": "stea"}}\n}\n',
]


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def worker(
    server: RawClient,
    index: int,
    until: float,
    latencies: dict[str, list[float]],
    errors: list[str],
) -> None:
    params: dict[str, Any] = {"namespace": NAMESPACE}
    n = index
    while time.perf_counter() < until:
        method = METHODS[n % 2]
        n += 1
        started = time.perf_counter()
        try:
            result = await server.request(method, params, timeout=30)
            if method == METHODS[0] and not result.get("targets"):
                errors.append(f"{method}: no targets")
            if method == METHODS[1] and any(i["kind"] == "message" for i in result["items"]):
                errors.append(f"{method}: {result['items']}")
        except Exception as error:  # noqa: BLE001 - counted, not fatal
            errors.append(f"{method}: {error}")
            continue
        latencies[method].append(time.perf_counter() - started)


async def typist(server: RawClient, until: float, rate: float) -> tuple[int, int]:
    """didChange at `rate` per second; returns (sent, last version)."""
    version = 1
    server.open(URI, "{}", version)
    interval = 1.0 / rate
    next_at = time.perf_counter()
    sent = 0
    while time.perf_counter() < until:
        version += 1
        server.replace(URI, DOCUMENTS[version % 2] % (version % 7), version)
        sent += 1
        next_at += interval
        delay = next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif sent % 20 == 0:
            await asyncio.sleep(0)  # behind schedule: still let responses in
    return sent, version


async def run_load(kubeconfig: Path, seconds: float, workers: int, rate: float) -> dict[str, Any]:
    # Many large answers: `record=False` keeps them out of the client's memory.
    server = await RawClient.spawn(server_env(kubeconfig), record=False)
    try:
        await server.initialize(capabilities={})
        # Warm-up: the catalog is listed and watched, the document layer loaded.
        for method in METHODS:
            await server.request(method, {"namespace": NAMESPACE}, timeout=120)
        rss_start = rss_mb(server.proc.pid)
        latencies: dict[str, list[float]] = {m: [] for m in METHODS}
        errors: list[str] = []
        started = time.perf_counter()
        until = started + seconds
        typing = asyncio.ensure_future(typist(server, until, rate))
        await asyncio.gather(*(worker(server, i, until, latencies, errors) for i in range(workers)))
        sent, last_version = await typing
        elapsed = time.perf_counter() - started
        try:
            await server.diagnostics(URI, last_version, timeout=10)
            last_published = True
        except TimeoutError:
            last_published = False
        out: dict[str, Any] = {
            "seconds": round(elapsed, 2),
            "workers": workers,
            "did_change_sent": sent,
            "did_change_per_s": round(sent / elapsed, 1),
            "last_version_published": last_published,
            "errors": len(errors),
            "error_samples": errors[:5],
            "rss_start_mb": rss_start,
            "rss_end_mb": rss_mb(server.proc.pid),
            "rss_peak_mb": rss_mb(server.proc.pid, "VmHWM"),
        }
        for method, values in latencies.items():
            name = method.split("/")[1]
            out[f"{name}_count"] = len(values)
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            out[f"{name}_p50_ms"] = round(p50 * 1e3, 2) if p50 is not None else None
            out[f"{name}_p95_ms"] = round(p95 * 1e3, 2) if p95 is not None else None
            out[f"{name}_max_ms"] = round(max(values) * 1e3, 2) if values else None
        return out
    finally:
        await server.close()


def report(result: dict[str, Any]) -> str:
    lines = [
        f"load for {result['seconds']} s: {result['workers']} concurrent workers, "
        f"{result['did_change_sent']} didChange ({result['did_change_per_s']}/s), "
        f"last version diagnosed: {result['last_version_published']}",
    ]
    for method in METHODS:
        name = method.split("/")[1]
        lines.append(
            f"{name:18} n={result[f'{name}_count']:6}  p50 {result[f'{name}_p50_ms']} ms  "
            f"p95 {result[f'{name}_p95_ms']} ms  max {result[f'{name}_max_ms']} ms"
        )
    lines.append(f"errors: {result['errors']} {result['error_samples'] or ''}".rstrip())
    lines.append(
        f"server RSS: start {result['rss_start_mb']:.1f} MB, end {result['rss_end_mb']:.1f} MB, "
        f"peak {result['rss_peak_mb']:.1f} MB"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200.0, help="didChange per second")
    parser.add_argument("--pods", type=int, default=300, help="pods in the namespace")
    parser.add_argument("--deployments", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    seed = big_namespace(pods=args.pods, deployments=args.deployments, namespace=NAMESPACE)
    with running_cluster(seed) as cluster:
        kubeconfig = cluster.kubeconfig_for(cluster.state.seed.default_user, NAMESPACE)
        result = asyncio.run(run_load(kubeconfig, args.seconds, args.workers, args.rate))
    print(json.dumps(result) if args.json else report(result))
    return 0 if result["errors"] == 0 and result["last_version_published"] else 1


if __name__ == "__main__":
    sys.exit(main())
