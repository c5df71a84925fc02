"""The benchmarks still run end to end (small sizes, a few iterations)."""

from __future__ import annotations

import json
import re

import pytest

from support.bench import run_bench

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_bench_prints_the_table_and_sane_numbers() -> None:
    args = ["--iterations", "3", "--large-iterations", "1", "--starts", "1", "--json"]
    proc = run_bench("bench_diagnostics.py", *args, timeout=200)
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
    args = ["--pods", "200", "--deployments", "20", "--warm", "3", "--json"]
    proc = run_bench("bench_targets.py", *args, timeout=200)
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["targets"] == 220  # one per pod (the sidecar is skipped), one per deployment
    assert 0 < results["cold_s"] and 0 < results["first_s"]
    assert results["naive_items"] == 220
    assert 0 < results["warm_p50_ms"]
    assert results["rss_mb"] > 0


def test_targets_bench_runs_on_a_small_cluster() -> None:
    args = ["--cluster", "--cluster-pods", "200", "--namespaces", "4", "--warm", "3"]
    proc = run_bench(
        "bench_targets.py", *args, "--restarts", "2", "--server-only", "--json", timeout=220
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # 200 pods and 20 deployments (10 replicas each).
    assert result["all_targets"] == 220
    assert result["all_filter_items"] > 0
    assert result["restart_picker_p50_ms"] > 0 and result["restart_all_p50_ms"] > 0
    assert result["all_rss_mb"] is None or result["all_rss_mb"] > 10


def test_launch_bench_runs() -> None:
    out = run_bench("bench_launch.py", "--launches", "2", "--delay", "0.05", timeout=170).stdout
    assert "LSP startSession deployment/api" in out and "LSP startSession targetless" in out
    assert out.count("API requests per launch + stop:") == 2
    assert "worst LSP overhead p50" in out


def test_launch_bench_runs_the_cli_engine() -> None:
    out = run_bench("bench_launch.py", "--engine", "cli", "--launches", "2", timeout=110).stdout
    assert re.search(r"CLI engine startSession +total p50 +[\d.]+ ms +the CLI's own run p50", out)
    assert re.search(r"CLI engine overhead p50 -?[\d.]+ ms beyond the CLI's own run", out)
    assert "LSP startSession" not in out  # the builtin part was not asked for
