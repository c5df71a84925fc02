"""A loopback TCP listener that forwards each connection to the agent pod's
port through the Kubernetes API's port-forward stream.

The official client's port-forward is blocking and hands back one end of a
socket pair, pumped to the websocket by the client's own thread. Opening it
runs on a worker thread; the bytes then flow through asyncio streams on that
socket pair, so no thread is held per connection beyond the client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# Blocking: returns the client's PortForward object for (namespace, pod, port).
Opener = Callable[[str, str, int], Any]

CHUNK = 64 * 1024
LINGER = 5.0


class PortForwarder:
    """Serves `127.0.0.1:<ephemeral>` for one agent until `close()`."""

    def __init__(self, opener: Opener, namespace: str, pod: str, port: int) -> None:
        self._opener = opener
        self.namespace = namespace
        self.pod = pod
        self.port = port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.local_port = 0
        self.connections = 0
        # Why the last port-forward could not be opened (the API's error).
        self.last_error: Exception | None = None

    @property
    def local_address(self) -> str:
        return f"127.0.0.1:{self.local_port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, host="127.0.0.1", port=0)
        sock = self._server.sockets[0]
        self.local_port = int(sock.getsockname()[1])

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        forward: Any = None
        remote_writer: asyncio.StreamWriter | None = None
        try:
            forward = await asyncio.to_thread(self._opener, self.namespace, self.pod, self.port)
            pair = forward.socket(self.port)
            raw: socket.socket = getattr(pair, "_socket", pair)
            remote_reader, remote_writer = await asyncio.open_connection(sock=raw)
            upstream = asyncio.ensure_future(_pump(reader, remote_writer))
            downstream = asyncio.ensure_future(_pump(remote_reader, writer))
            try:
                done, _ = await asyncio.wait(
                    {upstream, downstream}, return_when=asyncio.FIRST_COMPLETED
                )
                if downstream not in done:
                    # The client stopped sending. The client's port-forward cannot
                    # half-close, so give the agent's answer a moment to arrive.
                    await asyncio.wait({downstream}, timeout=LINGER)
            finally:
                upstream.cancel()
                downstream.cancel()
                await asyncio.gather(upstream, downstream, return_exceptions=True)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - one bad connection must not stop the listener
            if forward is None:
                self.last_error = exc
            log.warning(
                "port-forward to %s/%s:%s failed: %s", self.namespace, self.pod, self.port, exc
            )
        finally:
            for w in (writer, remote_writer):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
            if forward is not None:
                with contextlib.suppress(Exception):
                    forward.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
