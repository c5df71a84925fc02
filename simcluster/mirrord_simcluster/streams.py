"""The long-lived responses of one server (watches, followed logs, port-forwards).

A shutdown wakes every one of them so they end at once with a proper end of stream,
instead of lingering until the HTTP server's grace period runs out and they are cancelled
half way through a write.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from aiohttp import web


class OpenStreams:
    """Wake-up callbacks of the streams in progress; used on the server's event loop only."""

    def __init__(self) -> None:
        self.closing = False
        self._wakers: set[Callable[[], None]] = set()

    @contextlib.contextmanager
    def track(self, wake: Callable[[], None]) -> Iterator[None]:
        """While inside, `close()` calls `wake` (at once if already closing)."""
        self._wakers.add(wake)
        try:
            if self.closing:
                wake()
            yield
        finally:
            self._wakers.discard(wake)

    def close(self) -> None:
        self.closing = True
        for wake in list(self._wakers):
            wake()

    def __len__(self) -> int:
        return len(self._wakers)


# Where a server application keeps its `OpenStreams` (the server and the subresource
# handlers both reach it through the request's application).
STREAMS_KEY: web.AppKey[OpenStreams] = web.AppKey("streams", OpenStreams)
