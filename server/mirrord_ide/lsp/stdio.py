"""The stdio transport: a reader on a daemon thread.

pygls reads stdin through its thread pool and joins that pool on exit, so a
server told to `exit` waits until the client also closes its stdin; clients
that wait for the process to end first (Neovim, pytest-lsp) then hang. Here
one daemon thread reads whole frames ahead and hands them to the event loop,
and nothing waits for it at exit.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading

_EOF = b""
# The header pattern pygls itself accepts; the two must agree on framing.
_CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


class FrameReader:
    """Implements the reader interface of `pygls.io_.run_async` (`readline`
    for header lines, `readexactly` for bodies) over a file descriptor.

    It reads the descriptor with `os.read` rather than through
    `sys.stdin.buffer`: a daemon thread blocked inside a buffered reader holds
    its lock, and the interpreter then stalls at exit trying to close it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[bytes] | None = None

    def _ensure_started(self) -> asyncio.Queue[bytes]:
        if self._queue is None:
            self._loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue()
            threading.Thread(target=self._pump, name="lsp-stdin", daemon=True).start()
        return self._queue

    def _put(self, chunk: bytes) -> bool:
        assert self._loop is not None and self._queue is not None
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, chunk)
        except RuntimeError:  # the loop is closed: the server is exiting
            return False
        return True

    def end_input(self) -> None:
        """End the stream as if the client had closed stdin (the client died
        while something else still holds the pipe open)."""
        if self._queue is not None:
            self._put(_EOF)

    def _fill(self) -> bool:
        chunk = os.read(self._fd, 65536)
        self._buffer += chunk
        return bool(chunk)

    def _readline(self) -> bytes:
        while (end := self._buffer.find(b"\n")) < 0:
            if not self._fill():
                end = len(self._buffer) - 1
                break
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return line

    def _read(self, n: int) -> bytes:
        while len(self._buffer) < n and self._fill():
            pass
        body = bytes(self._buffer[:n])
        del self._buffer[:n]
        return body

    def _pump(self) -> None:
        length = 0
        try:
            while True:
                line = self._readline()
                if not self._put(line) or not line:
                    return
                if not length and (match := _CONTENT_LENGTH.fullmatch(line)):
                    length = int(match.group(1))
                if length and not line.strip():
                    body = self._read(length)
                    if not self._put(body) or len(body) < length:
                        self._put(_EOF)
                        return
                    length = 0
        except (OSError, ValueError):
            self._put(_EOF)

    async def readline(self) -> bytes:
        return await self._ensure_started().get()

    async def readexactly(self, n: int) -> bytes:
        return await self._ensure_started().get()
