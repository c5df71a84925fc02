"""The launch benchmark runs (tiny size) and prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_launch.py"


@pytest.mark.timeout(180)
def test_bench_launch_smoke() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    done = subprocess.run(
        [sys.executable, str(BENCH), "--launches", "2", "--delay", "0.05"],
        capture_output=True,
        text=True,
        timeout=170,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "LSP startSession deployment/api" in out and "LSP startSession targetless" in out
    assert out.count("API requests per launch + stop:") == 2
    assert "worst LSP overhead p50" in out
