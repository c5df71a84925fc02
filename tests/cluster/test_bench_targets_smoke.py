"""The target-listing benchmark runs end to end (at a small size)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_targets.py"


def test_bench_targets_small() -> None:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, str(BENCH), "--pods", "60", "--deployments", "6", "--warm", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=220,
        env=env,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # 60 pods (one app container each besides the sidecar) and 6 deployments.
    assert result["targets"] == 66
    assert result["naive_items"] == 66
    assert result["cold_s"] > 0 and result["warm_p50_ms"] > 0
    assert result["rss_mb"] is None or result["rss_mb"] > 10


def test_bench_targets_cluster_small() -> None:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    args = ["--cluster", "--cluster-pods", "200", "--namespaces", "4", "--warm", "3"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args, "--restarts", "2", "--server-only", "--json"],
        capture_output=True,
        text=True,
        timeout=220,
        env=env,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # 200 pods and 20 deployments (10 replicas each).
    assert result["all_targets"] == 220
    assert result["all_filter_items"] > 0
    assert result["restart_picker_p50_ms"] > 0 and result["restart_all_p50_ms"] > 0
    assert result["all_rss_mb"] is None or result["all_rss_mb"] > 10
