"""Running a benchmark script from `bench/` the way a developer does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_bench(
    script: str, *args: str, timeout: float, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`bench/<script> args...`, which must succeed unless not `check` (a bench whose
    exit status is its verdict); nothing MIRRORD_* from the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=BENCH,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0 or not check, done.stderr[-3000:]
    return done
