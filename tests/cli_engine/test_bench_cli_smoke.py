"""The launch benchmark's CLI engine part runs (tiny size) and prints its figures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_launch.py"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_bench_cli_engine_smoke() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    done = subprocess.run(
        [sys.executable, str(BENCH), "--engine", "cli", "--launches", "2"],
        capture_output=True,
        text=True,
        timeout=110,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"CLI engine startSession +total p50 +[\d.]+ ms +the CLI's own run p50", out)
    assert re.search(r"CLI engine overhead p50 -?[\d.]+ ms beyond the CLI's own run", out)
    assert "LSP startSession" not in out  # the builtin part was not asked for
