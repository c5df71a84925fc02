"""A CLI session's watcher ends when cancelled, whenever the cancellation lands: also
in the loop turn where the CLI's output ends right after the handover (Python 3.11's
`wait_for` returns the result there and drops the cancellation)."""

from __future__ import annotations

import asyncio
import os

import pytest

from mirrord_ide.cli_engine.ext import ExtRun, group_alive

from .support import FAKE_MIRRORD

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


def fake_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRRORD_", "FAKE_"))}
    env["MIRRORD_PROGRESS_MODE"] = "json"
    env["FAKE_MIRRORD_PROXY_SECONDS"] = "30"
    return env


async def test_watch_ends_when_cancelled_at_any_turn_after_the_handover() -> None:
    for turns in range(6):
        run = ExtRun([str(FAKE_MIRRORD), "ext", "-t", "targetless"], fake_env(), silence_timeout=30)
        await run.start(lambda *_: None)
        pgid = run.pgid
        assert pgid is not None
        try:
            watch = asyncio.ensure_future(run.watch())
            stderr = run._stderr_task
            assert stderr is not None
            # The CLI exits at the handover and its output ends; land the
            # cancellation `turns` loop turns after that.
            while not stderr.done():
                await asyncio.sleep(0)
            for _ in range(turns):
                await asyncio.sleep(0)
            watch.cancel()
            done, _ = await asyncio.wait({watch}, timeout=3)
            assert watch in done, f"the watcher ignored a cancellation {turns} turns late"
            # The session's proxy is still there: only the watcher was cancelled.
            assert group_alive(pgid)
        finally:
            await run.terminate()
        assert not group_alive(pgid)
