"""A raw JSON-RPC client for the real server over stdio.

It keeps every message the server sent (responses, publishDiagnostics,
window/logMessage, window/showMessage, $/progress) and everything it wrote
to stderr, so tests can assert on all of it: no stray errors, no credentials.
It can also write arbitrary bytes, for frames no well-behaved client sends.

The benchmarks drive servers with it too (ours and a bare pygls one): every
message is stamped with `time.perf_counter()` as soon as its last byte is read,
before it is parsed, so a latency is the server's and not the client's JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.server import SERVER_COMMAND, free_port, server_env

__all__ = [
    "RawClient",
    "ResponseError",
    "SocketFrames",
    "frame",
    "server_env",
    "spawn_initialized",
    "tcp_server",
]


class ResponseError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error

    @property
    def code(self) -> int | None:
        return self.error.get("code")

    @property
    def data(self) -> dict[str, Any]:
        data = self.error.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def kind(self) -> str | None:
        return self.data.get("kind")


@dataclass
class Received:
    at: float  # time.perf_counter() when the message's last byte was read
    message: dict[str, Any]


@dataclass
class RawClient:
    proc: asyncio.subprocess.Process
    # Keep every message in `received`; a benchmark's many large answers would
    # only cost memory and garbage collections.
    record: bool = True
    received: list[Received] = field(default_factory=list)
    stderr: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._arrivals: dict[int, float | None] = {}  # of the answers timed_request awaits
        self._changed = asyncio.Event()
        self._published: dict[tuple[str, Any], Received] = {}
        self._tasks = [
            asyncio.ensure_future(self._read_loop()),
            asyncio.ensure_future(self._stderr_loop()),
        ]
        self.closed = False

    # -- start / stop --------------------------------------------------------------------

    @classmethod
    async def spawn(
        cls,
        env: dict[str, str] | None,
        cwd: Path | None = None,
        *,
        command: Sequence[str] = SERVER_COMMAND,
        record: bool = True,
    ) -> RawClient:
        """`command` (our server by default) over stdio; `env` None inherits ours."""
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
            limit=64 * 1024 * 1024,
        )
        return cls(proc, record)

    async def initialize(
        self, root: Path | None = None, capabilities: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        caps = (
            capabilities
            if capabilities is not None
            else {
                "window": {"workDoneProgress": True},
                "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            }
        )
        params: dict[str, Any] = {"processId": os.getpid(), "capabilities": caps}
        if root is not None:
            params["rootUri"] = root.as_uri()
            params["workspaceFolders"] = [{"uri": root.as_uri(), "name": "ws"}]
        else:
            params["rootUri"] = None
        result = await self.request("initialize", params, timeout=60)
        self.notify("initialized", {})
        return dict(result)

    async def close(self) -> None:
        """shutdown + exit, then make sure the process is gone."""
        try:
            if self.proc.returncode is None and not self.closed:
                await self.request("shutdown", None, timeout=30)
                self.notify("exit", None)
                await asyncio.wait_for(self.proc.wait(), 15)
        except Exception:  # noqa: BLE001 - the process goes away regardless
            pass
        finally:
            await self.kill()

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self._stop_readers()

    async def wait_exit(self, timeout: float) -> int:
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await self._stop_readers()
        return code

    async def _stop_readers(self) -> None:
        self.closed = True
        # Let the readers drain what the process wrote before it ended.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 2)
        for task in self._tasks:
            task.cancel()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the server exited"))

    # -- sending -------------------------------------------------------------------------

    def write_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8", "surrogatepass")
        self.write_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_request(self, method: str, params: Any) -> tuple[int, asyncio.Future[Any]]:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._send({"id": msg_id, "method": method, "params": params})
        return msg_id, future

    async def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        _, future = self.send_request(method, params)
        return await asyncio.wait_for(future, timeout)

    async def timed_request(
        self, method: str, params: Any, timeout: float = 30.0
    ) -> tuple[float, Any]:
        """The seconds from writing the request to reading its answer's last byte, and
        the result."""
        sent = time.perf_counter()
        msg_id, future = self.send_request(method, params)
        self._arrivals[msg_id] = None
        try:
            result = await asyncio.wait_for(future, timeout)
        finally:
            arrived = self._arrivals.pop(msg_id)
        assert arrived is not None
        return arrived - sent, result

    def cancel(self, msg_id: int) -> None:
        self.notify("$/cancelRequest", {"id": msg_id})

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def drain(self) -> None:
        assert self.proc.stdin is not None
        await self.proc.stdin.drain()

    # -- documents -----------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int = 1, language: str = "json") -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": language,
                    "version": version,
                    "text": text,
                }
            },
        )

    def replace(self, uri: str, text: str, version: int) -> None:
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}],
            },
        )

    def close_document(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    async def diagnostics(self, uri: str, version: int, timeout: float = 10.0) -> Received:
        """The publishDiagnostics for exactly this version of the document."""
        deadline = time.monotonic() + timeout
        while (found := self._published.get((uri, version))) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.returncode is not None:
                raise TimeoutError(f"no diagnostics for {uri} v{version} in {timeout}s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return found

    # -- inspection ----------------------------------------------------------------------

    def notifications(self, method: str) -> list[dict[str, Any]]:
        return [r.message for r in self.received if r.message.get("method") == method]

    def transcript(self) -> str:
        """Everything the server said, as text: for searching for leaked secrets."""
        lines = [json.dumps(r.message, ensure_ascii=False) for r in self.received]
        return "\n".join(lines) + "\n" + self.stderr.decode("utf-8", "replace")

    # -- reading -------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            length = -1
            while True:
                line = await stdout.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length < 0:
                continue
            body = await stdout.readexactly(length)
            arrived = time.perf_counter()
            item = Received(arrived, json.loads(body))
            if self.record:
                self.received.append(item)
            message = item.message
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message.get("params") or {}
                self._published.setdefault((params.get("uri"), params.get("version")), item)
            self._changed.set()
            self._dispatch(item)

    def _dispatch(self, item: Received) -> None:
        message = item.message
        if "id" in message and "method" not in message:
            if message["id"] in self._arrivals:
                self._arrivals[message["id"]] = item.at
            future = self._pending.pop(message["id"], None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(ResponseError(message["error"]))
                else:
                    future.set_result(message.get("result"))
        elif "id" in message and "method" in message:
            # Requests from the server (workspace/configuration, progress create).
            method = message["method"]
            result: Any = None
            if method == "workspace/configuration":
                result = [None] * len((message.get("params") or {}).get("items", []))
            self._send({"id": message["id"], "result": result})

    async def _stderr_loop(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        while chunk := await stream.read(65536):
            self.stderr += chunk


async def spawn_initialized(
    env: dict[str, str], root: Path | None = None, capabilities: dict[str, Any] | None = None
) -> RawClient:
    client = await RawClient.spawn(env, cwd=root)
    try:
        await client.initialize(root, capabilities)
    except BaseException:
        await client.kill()
        raise
    return client


# -- over TCP (`serve --tcp`) ------------------------------------------------------------


def frame(body: bytes) -> bytes:
    """`body` with its Content-Length header."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


@contextlib.contextmanager
def tcp_server(env: dict[str, str], cwd: Path | None = None) -> Iterator[socket.socket]:
    """`serve --tcp` on a free loopback port, and a socket connected to it."""
    port = free_port()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [*SERVER_COMMAND, "--tcp", f"127.0.0.1:{port}"],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        stderr.seek(0)
                        said = stderr.read().decode(errors="replace")
                        raise AssertionError(f"the server did not listen: {said}") from None
                    time.sleep(0.05)
            with sock:
                yield sock
        finally:
            proc.kill()
            proc.wait(timeout=10)


class SocketFrames:
    """The messages a socket receives, one frame at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def read(self) -> dict[str, Any]:
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if sep:
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                if len(rest) >= length:
                    self.buffer = rest[length:]
                    message = json.loads(rest[:length])
                    assert isinstance(message, dict), message
                    return message
            chunk = self.sock.recv(65536)
            assert chunk, f"the connection closed; unread: {self.buffer!r}"
            self.buffer += chunk
