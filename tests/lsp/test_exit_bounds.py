"""The server's event loop ends in bounded time once its input ends: tasks still
running are cancelled, and one that ignores its cancellation is left behind rather
than keeping the process alive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest

from mirrord_ide.lsp.stdio import run_to_exit


def test_remaining_tasks_are_cancelled_and_their_cleanup_runs() -> None:
    cleaned: list[str] = []

    async def worker() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.01)  # cleanup that awaits briefly
            cleaned.append("worker")

    async def main() -> None:
        asyncio.ensure_future(worker())
        await asyncio.sleep(0.01)

    started = time.monotonic()
    run_to_exit(main(), grace=2.0)
    assert cleaned == ["worker"]
    assert time.monotonic() - started < 1.0


def test_a_cancellation_swallowed_once_is_repeated() -> None:
    ended: list[str] = []

    async def swallows_once() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(60)
        await asyncio.sleep(60)
        ended.append("never")

    async def main() -> None:
        asyncio.ensure_future(swallows_once())
        await asyncio.sleep(0.01)

    started = time.monotonic()
    run_to_exit(main(), grace=2.0)
    assert time.monotonic() - started < 1.0
    assert ended == []


def test_a_task_that_never_ends_is_left_behind(caplog: pytest.LogCaptureFixture) -> None:
    async def stubborn() -> None:
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(60)

    async def main() -> None:
        asyncio.ensure_future(stubborn())
        await asyncio.sleep(0.01)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="mirrord_ide.lsp.stdio"):
        run_to_exit(main(), grace=0.5)
    took = time.monotonic() - started
    assert 0.4 < took < 2.0
    assert any("exiting without waiting" in r.getMessage() for r in caplog.records)
