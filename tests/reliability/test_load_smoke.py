"""The load bench (bench/bench_load.py) for ~5 s: no errors, every request
answered, the last edit diagnosed, memory stable. The full minute is
`python bench/bench_load.py`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support import report_line

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_load.py"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_load_smoke() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(
        [sys.executable, str(BENCH), "--seconds", "5", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert run.stdout.strip(), run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    report_line(
        "load 5 s: listTargets p95 {listTargets_p95_ms} ms (n={listTargets_count}), "
        "targetPickerItems p95 {targetPickerItems_p95_ms} ms (n={targetPickerItems_count}), "
        "{did_change_sent} didChange ({did_change_per_s}/s), errors {errors}, RSS "
        "{rss_start_mb:.1f} -> {rss_end_mb:.1f} MB".format(**result)
    )
    assert result["errors"] == 0, result["error_samples"]
    assert result["last_version_published"]
    assert result["did_change_per_s"] > 150
    assert result["listTargets_count"] > 50 and result["targetPickerItems_count"] > 50
    assert result["listTargets_p95_ms"] < 5000 and result["targetPickerItems_p95_ms"] < 5000
    assert result["rss_end_mb"] - result["rss_start_mb"] < 100
    assert run.returncode == 0
