"""Agent launch overhead: time from `mirrord/startSession` to its result, minus
the simulated cluster's scheduling delay, and API requests per launch.

Drives the real server over stdio against the simulated cluster (targeted on a
deployment, and targetless), stopping each session before the next launch.
Also measures the same launch in-process (no LSP hop) for comparison.

The mirrord-cli engine is measured the same way against the fake mirrord CLI
(tests/fakes/mirrord, which follows the real CLI's `ext` protocol): the time the CLI
itself takes from start to its handover, run directly, next to `startSession`
through the server with that CLI; the difference is the engine's overhead.

    python bench/bench_launch.py [--launches N] [--delay SECONDS] [--engine all|builtin|cli]

Targets: builtin overhead <= 150 ms beyond the scheduling delay; CLI engine overhead
<= 50 ms beyond the CLI's own run (p50).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from mirrord_simcluster.reqlog import RequestRecord
from mirrord_simcluster.testing import SimCluster, running_cluster
from shared import NODES, seed, server_env, shop_api, shop_namespace, start_lsp, stop_lsp

TARGET_MS = 150.0
CLI_TARGET_MS = 50.0
FAKE_MIRRORD = Path(__file__).resolve().parents[1] / "tests" / "fakes" / "mirrord"
# How long the fake CLI takes between its progress steps (its own "work").
CLI_STEP_DELAY = 0.05
SEED = seed(shop_namespace("s3cr3t", api=shop_api(replicas=3, sidecars=["istio"])), nodes=NODES)


def classify(record: RequestRecord) -> str:
    if "/portforward" in record.path:
        return "portforward"
    if record.path.endswith("/log"):
        return "log"
    if "watch=" in record.query:
        return "watch"
    return record.method


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def lsp_launches(
    cluster: SimCluster, params: dict[str, Any], launches: int
) -> tuple[list[float], Counter[str]]:
    client = await start_lsp(server_env(cluster.kubeconfig_path))
    try:
        # One warm-up launch: connection set-up and imports are start-up costs.
        warm = await client.protocol.send_request_async("mirrord/startSession", params)
        await client.protocol.send_request_async(
            "mirrord/stopSession", {"sessionId": warm.sessionId}
        )
        await asyncio.sleep(0.5)  # let the start-up reaping finish before counting
        times: list[float] = []
        requests: Counter[str] = Counter()
        for _ in range(launches):
            before = len(cluster.requests.records())
            started = time.perf_counter()
            result = await client.protocol.send_request_async("mirrord/startSession", params)
            times.append(time.perf_counter() - started)
            await client.protocol.send_request_async(
                "mirrord/stopSession", {"sessionId": result.sessionId}
            )
            # Streams (watch, log) are logged when they end, just after the launch.
            await asyncio.sleep(0.05)
            for record in cluster.requests.records()[before:]:
                requests[classify(record)] += 1
        return times, requests
    finally:
        await stop_lsp(client)


async def direct_launches(cluster: SimCluster, target: str | None, launches: int) -> list[float]:
    from mirrord_ide.agent.kube import AgentKube
    from mirrord_ide.agent.sessions import SessionManager, StartRequest
    from mirrord_ide.cluster.client import ClusterClient
    from mirrord_ide.cluster.kubeconfig import KubeSettings

    kube = AgentKube(
        ClusterClient.from_settings(KubeSettings(kubeconfig=str(cluster.kubeconfig_path)))
    )

    async def factory() -> AgentKube:
        return kube

    manager = SessionManager(factory)
    times: list[float] = []
    try:
        for i in range(launches + 1):
            started = time.perf_counter()
            result = await manager.start(StartRequest(target=target, namespace="shop"))
            if i:  # the first launch is the warm-up
                times.append(time.perf_counter() - started)
            await manager.stop(result["sessionId"])
    finally:
        await manager.stop_all()
        kube.close()
        kube.cluster.close()
    return times


def report(name: str, times: list[float], delay: float) -> float:
    overhead = [(t - delay) * 1000 for t in times]
    p50, p95 = statistics.median(overhead), percentile(overhead, 95)
    print(
        f"{name:<34} total p50 {statistics.median(times) * 1000:7.1f} ms   "
        f"overhead p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
    )
    return p50


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRRORD_", "FAKE_"))}
    env.pop("PYTHONPATH", None)
    env["FAKE_MIRRORD_DELAY"] = str(CLI_STEP_DELAY)
    return env


async def cli_own_run(env: dict[str, str]) -> float:
    """`mirrord ext` run directly, as the server runs it: start to handover."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(FAKE_MIRRORD),
        "ext",
        "-t",
        "deployment/api",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.stdout is not None
    async for line in process.stdout:
        if b'"mirrord preparing to launch"' in line and b'"FinishedTask"' in line:
            break
    elapsed = time.perf_counter() - started
    await process.wait()
    return elapsed


async def cli_launches(launches: int) -> tuple[list[float], list[float]]:
    """Pairs of (the CLI run directly, `startSession` through the server with the CLI
    engine), taken one after the other so both see the same machine load."""
    env = cli_env()
    env["FAKE_MIRRORD_PROXY_SECONDS"] = "-1"  # stopped with the session
    direct_env = dict(env)
    direct_env.update(
        MIRRORD_PROGRESS_MODE="json",
        MIRRORD_PROGRESS_SUPPORT_IDE="true",
        MIRRORD_IDE_NAME="vscode",
        MIRRORD_TARGET_NAMESPACE="shop",
        FAKE_MIRRORD_PROXY_SECONDS="0",
    )
    client = await start_lsp(
        env,
        initialization_options={"mirrord": {"engine": "mirrord-cli", "cliPath": str(FAKE_MIRRORD)}},
    )

    @client.feature("mirrord/sessionEnded")
    def ended(params: Any) -> None:
        pass

    params = {"target": "deployment/api", "namespace": "shop"}
    own: list[float] = []
    through: list[float] = []
    try:
        for i in range(launches + 1):
            direct = await cli_own_run(direct_env)
            started = time.perf_counter()
            result = await client.protocol.send_request_async("mirrord/startSession", params)
            elapsed = time.perf_counter() - started
            await client.protocol.send_request_async(
                "mirrord/stopSession", {"sessionId": result.sessionId}
            )
            if i:  # the first pair (imports, `--version`) is the warm-up
                own.append(direct)
                through.append(elapsed)
        return own, through
    finally:
        await stop_lsp(client)


def cli_report(launches: int) -> float:
    own, through = asyncio.run(cli_launches(launches))
    own_p50 = statistics.median(own) * 1000
    lsp_p50 = statistics.median(through) * 1000
    overhead = statistics.median([(t - o) * 1000 for o, t in zip(own, through, strict=True)])
    print(
        f"{'CLI engine startSession':<34} total p50 {lsp_p50:7.1f} ms   "
        f"the CLI's own run p50 {own_p50:7.1f} ms"
    )
    verdict = "OK" if overhead <= CLI_TARGET_MS else "OVER"
    print(
        f"CLI engine overhead p50 {overhead:.1f} ms beyond the CLI's own run "
        f"(target <= {CLI_TARGET_MS:.0f} ms): {verdict}"
    )
    return overhead


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=15)
    parser.add_argument("--delay", type=float, default=0.3, help="simulated scheduling delay")
    parser.add_argument("--engine", choices=("all", "builtin", "cli"), default="all")
    args = parser.parse_args(argv)
    if args.engine in ("all", "cli"):
        print(f"mirrord-cli engine, fake CLI, {args.launches} launches")
        cli_report(args.launches)
    if args.engine == "cli":
        return 0

    with running_cluster(SEED, schedule_delay=args.delay) as cluster:
        print(f"simulated scheduling delay: {args.delay * 1000:.0f} ms, {args.launches} launches")
        worst = 0.0
        for label, target in (("deployment/api", "deployment/api"), ("targetless", None)):
            params: dict[str, Any] = {"target": target, "namespace": "shop"}
            times, requests = asyncio.run(lsp_launches(cluster, params, args.launches))
            worst = max(worst, report(f"LSP startSession {label}", times, args.delay))
            per_launch = sum(requests.values()) / args.launches
            breakdown = ", ".join(
                f"{kind} {count / args.launches:g}" for kind, count in sorted(requests.items())
            )
            print(f"{'':<34} API requests per launch + stop: {per_launch:g} ({breakdown})")
            direct = asyncio.run(direct_launches(cluster, target, args.launches))
            report(f"in-process launch {label}", direct, args.delay)
        verdict = "OK" if worst <= TARGET_MS else "OVER"
        print(f"worst LSP overhead p50 {worst:.1f} ms (target <= {TARGET_MS:.0f} ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
