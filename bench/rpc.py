"""A minimal LSP client over stdio: framing, requests, notifications, and a
timestamp for every message received. Enough to drive any server the way an
editor does, with no library on the measured path."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from typing import Any


class StdioClient:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._waiters: list[tuple[str, Any, asyncio.Future[float]]] = []
        self._reader = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def spawn(cls, command: Sequence[str], env: dict[str, str] | None = None) -> StdioClient:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        return cls(proc)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._send({"id": msg_id, "method": method, "params": params})
        return await asyncio.wait_for(future, timeout)

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def expect_diagnostics(self, uri: str, version: int) -> asyncio.Future[float]:
        """A future resolved with the arrival time of publishDiagnostics for this version."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((uri, version, future))
        return future

    async def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await stdout.readexactly(length)
            arrived = time.perf_counter()
            message = json.loads(body)
            if "id" in message and "method" not in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(RuntimeError(message["error"]))
                    else:
                        future.set_result(message.get("result"))
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                for waiter in list(self._waiters):
                    uri, version, future = waiter
                    if params["uri"] == uri and params.get("version") == version:
                        self._waiters.remove(waiter)
                        if not future.done():
                            future.set_result(arrived)
            elif "id" in message and "method" in message:
                # A server-to-client request (e.g. workspace/configuration): answer emptily.
                result: Any = [None] * len(message.get("params", {}).get("items", []))
                self._send({"id": message["id"], "result": result or None})

    async def close(self) -> None:
        try:
            await self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except Exception:  # noqa: BLE001 - make sure the process goes away regardless
            pass
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            self._reader.cancel()
