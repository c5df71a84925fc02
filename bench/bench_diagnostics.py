"""Diagnostics latency and cold start of the mirrord language server, next to
a bare pygls server measured in the same run.

    python bench/bench_diagnostics.py [--iterations N] [--starts N] [--json]

Both servers run as subprocesses over stdio, driven by the same JSON-RPC
client (the test suite's `RawClient`). Latency is the time from writing a didChange to reading the
publishDiagnostics for that version; each didChange is an incremental edit
that adds or removes an error, the way typing does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from shared import RawClient

HERE = Path(__file__).resolve().parent
MIRRORD = [sys.executable, "-m", "mirrord_ide", "serve"]
BARE = [sys.executable, str(HERE / "bare_server.py")]
URI = "file:///bench/project/mirrord.json"

# Targets from the product's requirements, in milliseconds.
TARGET_P95_SMALL = 10.0
TARGET_P95_LARGE = 150.0
TARGET_START_RATIO = 1.5

REALISTIC = """{
  "target": {
    "path": "deployment/checkout/container/app",
    "namespace": "shop"
  },
  "agent": {
    "namespace": "mirrord",
    "ttl": 30,
    "startup_timeout": 120,
    "log_level": "info"
  },
  "feature": {
    "env": {
      "include": "DATABASE_*;REDIS_URL",
      "override": {
        "LOG_LEVEL": "debug",
        "FEATURE_FLAGS": "new-cart,fast-checkout"
      }
    },
    "fs": {
      "mode": "read",
      "read_write": ["/tmp/.+"],
      "local": ["/home/.+", "/usr/share/.+"]
    },
    "network": {
      "incoming": {
        "mode": "steal",
        "http_filter": {
          "header_filter": "x-debug-user: alice"
        },
        "port_mapping": [[8080, 80]],
        "ignore_ports": [9090]
      },
      "outgoing": {
        "tcp": true,
        "udp": true,
        "filter": {
          "local": ["redis.shop.svc:6379"]
        }
      },
      "dns": true
    },
    "hostname": true
  },
  "operator": false,
  "skip_processes": ["bash", "sh"],
  "accept_invalid_certificates": false,
  "telemetry": false,
  "kube_context": "staging"
}
"""


def generated(lines: int) -> str:
    """A valid config of about `lines` lines: a big env override and fs lists."""
    head = REALISTIC.rstrip().removesuffix("}").rstrip()
    filler = max(lines - REALISTIC.count("\n") - 6, 0)
    half = filler // 2
    overrides = ",\n".join(f'      "GENERATED_VAR_{i:05d}": "value-{i}"' for i in range(half))
    paths = ",\n".join(f'      "/srv/data/generated/{i:05d}/.+"' for i in range(filler - half))
    return (
        head
        + ',\n  "env": {\n    "override": {\n'
        + overrides
        + '\n    }\n  },\n  "fs": {\n    "read_only": [\n'
        + paths
        + "\n    ]\n  }\n}\n"
    )


def _position(text: str, needle: str) -> dict[str, int]:
    offset = text.index(needle)
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def initialize_params() -> dict[str, Any]:
    return {
        "processId": os.getpid(),
        "rootUri": "file:///bench/project",
        "capabilities": {
            "textDocument": {
                "synchronization": {"didSave": True},
                "publishDiagnostics": {"versionSupport": True},
            },
            "workspace": {"configuration": False},
        },
    }


async def cold_start(command: list[str]) -> float:
    started = time.perf_counter()
    client = await RawClient.spawn(None, command=command)
    try:
        await client.request("initialize", initialize_params(), timeout=60)
        return time.perf_counter() - started
    finally:
        await client.close()


async def latencies(command: list[str], text: str, iterations: int) -> list[float]:
    client = await RawClient.spawn(None, command=command)
    try:
        await client.request("initialize", initialize_params(), timeout=60)
        client.notify("initialized", {})
        client.open(URI, text)
        await client.diagnostics(URI, 1, timeout=60)
        # Toggle `"ttl"` <-> `"tll"` (an unknown key): same length, same place.
        start = _position(text, '"ttl"')
        key_range = {"start": start, "end": {**start, "character": start["character"] + 5}}
        samples: list[float] = []
        for i in range(iterations + 2):
            version = i + 2
            sent = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": URI, "version": version},
                    "contentChanges": [
                        {"range": key_range, "text": '"tll"' if i % 2 == 0 else '"ttl"'}
                    ],
                },
            )
            arrived = await client.diagnostics(URI, version, timeout=60)
            if i >= 2:  # the first edits warm caches; not what a user sees while typing
                samples.append(arrived.at - sent)
        return samples
    finally:
        await client.close()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def run(iterations: int, large_iterations: int, starts: int) -> dict[str, Any]:
    starts_mirrord: list[float] = []
    starts_bare: list[float] = []
    for _ in range(starts):  # interleaved, so both see the same machine state
        starts_mirrord.append(await cold_start(MIRRORD))
        starts_bare.append(await cold_start(BARE))
    large = generated(5000)
    results: dict[str, Any] = {
        "lines": {"small": REALISTIC.count("\n"), "large": large.count("\n")},
        "cold_start_ms": {
            "mirrord": statistics.median(starts_mirrord) * 1e3,
            "bare": statistics.median(starts_bare) * 1e3,
        },
    }
    for name, text, count in (("small", REALISTIC, iterations), ("large", large, large_iterations)):
        for server, command in (("mirrord", MIRRORD), ("bare", BARE)):
            samples = await latencies(command, text, count)
            results.setdefault(name, {})[server] = {
                "p50_ms": percentile(samples, 50) * 1e3,
                "p95_ms": percentile(samples, 95) * 1e3,
                "samples": len(samples),
            }
    return results


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "-"


def table(results: dict[str, Any]) -> str:
    rows = [("metric", "mirrord-ide", "bare pygls", "ratio", "target")]
    cs = results["cold_start_ms"]
    rows.append(
        (
            "cold start to initialize result",
            f"{cs['mirrord']:.1f} ms",
            f"{cs['bare']:.1f} ms",
            ratio(cs["mirrord"], cs["bare"]),
            f"<= {TARGET_START_RATIO}x",
        )
    )
    for name, target in (("small", TARGET_P95_SMALL), ("large", TARGET_P95_LARGE)):
        lines = results["lines"][name]
        for stat in ("p50", "p95"):
            ours = results[name]["mirrord"][f"{stat}_ms"]
            bare = results[name]["bare"][f"{stat}_ms"]
            rows.append(
                (
                    f"diagnostics {stat}, {lines}-line config",
                    f"{ours:.2f} ms",
                    f"{bare:.2f} ms",
                    ratio(ours, bare),
                    f"<= {target:.0f} ms" if stat == "p95" else "",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines_out = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    ]
    lines_out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines_out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=200, help="edits on the 50-line config")
    parser.add_argument("--large-iterations", type=int, default=40, help="edits on the large one")
    parser.add_argument("--starts", type=int, default=7, help="cold starts per server")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    results = asyncio.run(
        run(max(args.iterations, 1), max(args.large_iterations, 1), max(args.starts, 1))
    )
    print(table(results))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
