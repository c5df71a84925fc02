"""The byte stream under JSON-RPC: framing that survives bad frames, and the
stdio reader on a daemon thread.

`FrameParser` cuts a byte stream into message bodies. A client that sends a
wrong `Content-Length`, a lower-case header name, LF-only line endings or
bytes between frames loses that one message, never the connection: the parser
looks for the next `Content-Length` header (any case, CRLF or LF) and carries
on from there. A body too short for its message is handed over as it is (the
protocol answers it with a parse error); a `Content-Length` that is too long
would swallow the frames after it, so a header line appearing inside a body
ends that body there. A JSON text never contains such a line: JSON strings
cannot hold a raw line feed.

pygls reads stdin through its thread pool and joins that pool on exit, so a
server told to `exit` waits until the client also closes its stdin; clients
that wait for the process to end first (Neovim, pytest-lsp) then hang. Here
one daemon thread reads ahead and hands chunks to the event loop, and nothing
waits for it at exit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

# A complete Content-Length header line, wherever it starts.
_HEADER = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,12})[ \t]*\r?\n", re.IGNORECASE)
# Any other header line (Content-Type and the like).
_OTHER_HEADER = re.compile(rb"[A-Za-z0-9][A-Za-z0-9_-]*[ \t]*:[^\r\n]*\r?\n")
# The start of a Content-Length header line, cut off by the end of the input.
_HEADER_START = re.compile(rb"content-length[ \t]*(?::[ \t]*\d{0,12}[ \t]*\r?)?\Z", re.IGNORECASE)
_HEADER_NAME = b"content-length"
# Header lines only (LSP allows Content-Type before Content-Length).
_HEADER_LINES = re.compile(rb"(?:[A-Za-z0-9][A-Za-z0-9_-]*[ \t]*:[^\r\n]*\r?\n)*")
# A body larger than this is not a message this server could use: the frame is dropped.
MAX_CONTENT_LENGTH = 256 * 1024 * 1024
# Headers after Content-Length longer than this mean the frame is not a frame.
_MAX_HEADER_BLOCK = 8192
# Bytes kept from skipped input: a header may arrive split across reads.
_KEEP_TAIL = 64


class FrameParser:
    """Turns bytes into message bodies; `feed` returns the bodies completed so far."""

    def __init__(self, max_length: int = MAX_CONTENT_LENGTH) -> None:
        self._buffer = bytearray()
        self._max_length = max_length
        # The frame being read: its body's start and length, once its headers are complete.
        self._body_start = -1
        self._length = 0
        # How far the current body has been searched for a following header.
        self._searched = 0

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        bodies: list[bytes] = []
        while self._step(bodies):
            pass
        return bodies

    def _resync(self, at: int) -> None:
        """Drop everything before `at` and look for the next header from there."""
        del self._buffer[:at]
        self._body_start = -1
        self._length = 0
        self._searched = 0

    def _step(self, bodies: list[bytes]) -> bool:
        """Make progress on the buffer; False when more input is needed."""
        if self._body_start < 0:
            return self._read_headers()
        return self._read_body(bodies)

    def _read_headers(self) -> bool:
        buffer = self._buffer
        match = _HEADER.search(buffer)
        if match is None:
            if len(buffer) > _KEEP_TAIL:
                skipped = len(buffer) - _KEEP_TAIL
                log.warning("skipped %d bytes that are not a JSON-RPC frame", skipped)
                del buffer[:skipped]
            return False
        if match.start():
            if not _HEADER_LINES.fullmatch(buffer, 0, match.start()):
                log.warning("skipped %d bytes before a Content-Length header", match.start())
            self._resync(match.start())
            return True
        length = int(match.group(1))
        pos = match.end()
        while not (buffer.startswith(b"\r\n", pos) or buffer.startswith(b"\n", pos)):
            if buffer.find(b"\n", pos) < 0:
                if len(buffer) > _MAX_HEADER_BLOCK:
                    log.warning("dropped a frame whose headers never end")
                    self._resync(match.end())
                    return True
                return False  # the rest of the headers is still arriving
            if _HEADER.match(buffer, pos):
                log.warning("dropped a Content-Length header with no body")
                self._resync(pos)
                return True
            line = _OTHER_HEADER.match(buffer, pos)
            if line is None or line.end() > _MAX_HEADER_BLOCK:
                log.warning("dropped a frame whose headers do not end in a blank line")
                self._resync(match.end())
                return True
            pos = line.end()
        pos += 2 if buffer.startswith(b"\r\n", pos) else 1
        if length > self._max_length:
            log.warning("dropped a frame of %d bytes (at most %d)", length, self._max_length)
            self._resync(pos)
            return True
        self._body_start = self._searched = pos
        self._length = length
        return True

    def _read_body(self, bodies: list[bytes]) -> bool:
        buffer = self._buffer
        start, end = self._body_start, self._body_start + self._length
        # A header line that starts inside the body: the declared length was too long.
        inner = _HEADER.search(
            buffer, max(start, self._searched - _KEEP_TAIL), min(len(buffer), end + _KEEP_TAIL)
        )
        if inner is not None and inner.start() < end:
            log.warning(
                "a frame declared %d bytes but the next frame began after %d",
                self._length,
                inner.start() - start,
            )
            body = bytes(buffer[start : inner.start()])
            if body.strip():
                bodies.append(body)
            self._resync(inner.start())
            return True
        if len(buffer) < end or _ends_in_header_start(buffer, start, end):
            self._searched = len(buffer)
            return False
        bodies.append(bytes(buffer[start:end]))
        self._resync(end)
        return True


def _ends_in_header_start(buffer: bytearray, start: int, end: int) -> bool:
    """Whether the input ends in what may become a Content-Length header that
    begins inside the body `buffer[start:end]` (a length one byte too long, the
    next frame still arriving). No JSON text ends in such a prefix."""
    if len(buffer) - end >= _KEEP_TAIL:
        return False  # a header that began in the body would be complete by now
    for at in range(max(start, len(buffer) - _KEEP_TAIL), min(end, len(buffer))):
        if buffer[at] not in b"cC":
            continue
        tail = bytes(buffer[at:]).lower()
        if _HEADER_NAME.startswith(tail) or _HEADER_START.match(tail):
            return True
    return False


BodyHandler = Callable[[bytes], None]


async def serve(
    read: Callable[[], Awaitable[bytes]],
    handle: BodyHandler,
    stop_event: threading.Event,
) -> None:
    """Read chunks with `read` (b"" at the end) and hand each body to `handle`
    until the stream ends or `stop_event` is set."""
    parser = FrameParser()
    while not stop_event.is_set():
        chunk = await read()
        if not chunk:
            if parser.pending:
                log.warning("the input ended in the middle of a frame")
            return
        for body in parser.feed(chunk):
            try:
                handle(body)
            except Exception:  # noqa: BLE001 - one message must not end the server
                log.exception("unable to handle a message")


# Seconds the tasks still running when the input ends get to finish once cancelled.
EXIT_CANCEL_GRACE = 2.0


def run_to_exit(main: Coroutine[Any, Any, None], grace: float = EXIT_CANCEL_GRACE) -> None:
    """`asyncio.run(main)` with a bounded end: the tasks still running when `main`
    returns are cancelled (again every 0.1 s, as a cancellation can be swallowed)
    and get `grace` seconds to finish. One that is still running then is left
    behind with a warning: the process exits anyway and its exit handlers end the
    sessions (`asyncio.run` would wait for it forever)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main)
    finally:
        try:
            _cancel_remaining(loop, grace)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_remaining(loop: asyncio.AbstractEventLoop, grace: float) -> None:
    pending = {task for task in asyncio.all_tasks(loop) if not task.done()}
    deadline = time.monotonic() + grace
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            for task in pending:
                log.warning("exiting without waiting for %r", task)
            return
        for task in pending:
            task.cancel()
        done, pending = loop.run_until_complete(asyncio.wait(pending, timeout=min(0.1, remaining)))
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler(
                    {
                        "message": "unhandled exception while exiting",
                        "exception": task.exception(),
                        "task": task,
                    }
                )


class FrameReader:
    """Reads a file descriptor on a daemon thread; `read()` returns the next chunk,
    b"" at the end of the input.

    It reads the descriptor with `os.read` rather than through
    `sys.stdin.buffer`: a daemon thread blocked inside a buffered reader holds
    its lock, and the interpreter then stalls at exit trying to close it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
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
            self._put(b"")

    def _pump(self) -> None:
        try:
            while chunk := os.read(self._fd, 65536):
                if not self._put(chunk):
                    return
        except (OSError, ValueError):
            pass
        self._put(b"")

    async def read(self) -> bytes:
        return await self._ensure_started().get()
