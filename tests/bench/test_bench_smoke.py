"""The benchmarks still run end to end (small sizes, a few iterations)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_diagnostics.py"

pytestmark = pytest.mark.timeout(240)


def test_bench_prints_the_table_and_sane_numbers() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--iterations", "3", "--large-iterations", "1"]
        + ["--starts", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=200,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    results = json.loads(lines[-1])
    table = "\n".join(lines[:-1])
    for label in ("cold start to initialize result", "diagnostics p95", "ratio", "bare pygls"):
        assert label in table
    assert results["lines"]["small"] >= 50
    assert results["lines"]["large"] >= 5000
    for server in ("mirrord", "bare"):
        assert results["cold_start_ms"][server] > 0
        for size in ("small", "large"):
            stats = results[size][server]
            assert 0 < stats["p50_ms"] <= stats["p95_ms"]
            assert stats["samples"] >= 1


def test_targets_bench_runs_on_a_small_namespace() -> None:
    bench = BENCH.parent / "bench_targets.py"
    proc = subprocess.run(
        [sys.executable, str(bench), "--pods", "200", "--deployments", "20", "--warm", "3"]
        + ["--json"],
        capture_output=True,
        text=True,
        timeout=200,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["targets"] == 220  # one per pod (the sidecar is skipped), one per deployment
    assert 0 < results["cold_s"] and 0 < results["first_s"]
    assert results["naive_items"] == 220
    assert 0 < results["warm_p50_ms"]
    assert results["rss_mb"] > 0
