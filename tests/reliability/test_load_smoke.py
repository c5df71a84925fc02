"""The load bench (bench/bench_load.py) for ~5 s: no errors, every request
answered, the last edit diagnosed, memory stable. The full minute is
`python bench/bench_load.py`."""

from __future__ import annotations

import json

import pytest

from support.bench import run_bench

from .support import report_line

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_load_smoke() -> None:
    run = run_bench("bench_load.py", "--seconds", "5", "--json", timeout=150, check=False)
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
