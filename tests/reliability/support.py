"""Shared pieces of the reliability tests: a server driven from synchronous code
(hypothesis tests are synchronous), figures printed in pytest's summary, and
small statistics."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop on a background thread; `run(coro)` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._started: Future[None] = Future()
        self._thread = threading.Thread(target=self._main, name="test-loop", daemon=True)
        self._thread.start()
        self._started.result(timeout=10)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set_result, None)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float | None = 120) -> T:
        async def wrapper() -> T:
            return await fn()

        return self.run(wrapper(), timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


FIGURES: list[str] = []


def report_line(text: str) -> None:
    """A figure for the session's summary (see conftest), also printed for `-s`."""
    FIGURES.append(text)
    print(text)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]
