"""The mirror bench runs end to end on small sizes and reports sane numbers."""

from __future__ import annotations

import json

import pytest

from support.bench import run_bench

pytestmark = pytest.mark.timeout(120)


def test_mirror_bench_reports_replay_and_relay() -> None:
    args = ["--bulk-mib", "2", "--small", "2000", "--latency", "50", "--json"]
    proc = run_bench("bench_mirror.py", *args, timeout=100)
    lines = proc.stdout.strip().splitlines()
    results = json.loads(lines[-1])
    table = "\n".join(lines[:-1])
    for label in ("64 KiB Data messages", "64-byte Data messages", "added latency p50"):
        assert label in table
    # Every message the child sent was decoded: 32 bulk + 2000 small + 50 latency + opens/closes.
    assert results["messages_decoded"] == 32 + 2000 + 50 + 6
    for side in ("server", "relay"):
        stats = results[side]
        assert stats["bulk_mb_s"] > 0 and stats["small_msg_s"] > 0
        assert 0 < stats["latency_p50_us"] <= stats["latency_p95_us"]
    assert not proc.stderr.strip(), proc.stderr[-2000:]
