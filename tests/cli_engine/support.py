"""Driving the server over stdio with the fake mirrord CLI (tests/fakes/mirrord)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

FAKES = Path(__file__).resolve().parent.parent / "fakes"
FAKE_MIRRORD = FAKES / "mirrord"


def plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class Fake:
    """The fake CLI's knobs and what it recorded, under one temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record = root / "record.jsonl"
        self.count = root / "count.txt"
        self.home = root / "home"
        self.home.mkdir(exist_ok=True)

    def runs(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]

    def ext_runs(self) -> list[dict[str, Any]]:
        return [run for run in self.runs() if run["argv"][:1] == ["ext"]]

    def counts(self, kind: str) -> int:
        if not self.count.exists():
            return 0
        return self.count.read_text().split().count(kind)


def server_env(
    fake: Fake, *, path_has_fake: bool, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRRORD_", "FAKE_MIRRORD_"))}
    env.pop("PYTHONPATH", None)
    env["HOME"] = str(fake.home)
    env["KUBECONFIG"] = str(fake.root / "no-kubeconfig")
    folders = [p for p in env.get("PATH", "").split(os.pathsep) if p]
    # The server's own Python and the system's python3 for the fake's shebang.
    base = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    env["PATH"] = os.pathsep.join(
        ([str(FAKES)] if path_has_fake else []) + [p for p in base if p not in folders] + folders
    )
    env["FAKE_MIRRORD_RECORD"] = str(fake.record)
    env["FAKE_MIRRORD_COUNT"] = str(fake.count)
    env["PYTHONFAULTHANDLER"] = "1"
    env.update(extra or {})
    return env


class Ended:
    """`mirrord/sessionEnded` notifications the client received."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    async def wait_for(self, session_id: str, timeout: float = 5.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for item in self.items:
                if item.get("sessionId") == session_id:
                    return item
            await asyncio.sleep(0.02)
        raise AssertionError(f"no sessionEnded for {session_id}; got {self.items}")


async def start_server(
    env: dict[str, str],
    *,
    options: dict[str, Any] | None = None,
    client_name: str | None = "Visual Studio Code",
    capabilities: str = "visual-studio-code",
    root: Path | None = None,
) -> tuple[LanguageClient, Ended]:
    cfg = ClientServerConfig(
        server_command=[sys.executable, "-m", "mirrord_ide", "serve"], server_env=env
    )
    client = await cfg.start()
    ended = Ended()

    @client.feature("mirrord/sessionEnded")
    def on_ended(params: Any) -> None:
        ended.items.append(plain(params))

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(capabilities),
            client_info=types.ClientInfo(name=client_name) if client_name else None,
            initialization_options={"mirrord": options} if options is not None else None,
            root_uri=root.as_uri() if root is not None else None,
        )
    )
    return client, ended


async def call(client: LanguageClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    result = await asyncio.wait_for(client.protocol.send_request_async(method, params), 30)
    return plain(result)


def pgid_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def wait_gone(pgid: int, timeout: float) -> float:
    """Seconds until the process group `pgid` is gone; AssertionError after `timeout`."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not pgid_gone(pgid):
        if loop.time() - start > timeout:
            raise AssertionError(f"process group {pgid} still alive after {timeout} s")
        await asyncio.sleep(0.01)
    return loop.time() - start


async def wait_for_run(fake: Fake, after: int = 0, timeout: float = 10.0) -> dict[str, Any]:
    """The fake's next `ext` run once it recorded itself (`after`: runs seen before)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        runs = fake.ext_runs()
        if len(runs) > after:
            return runs[-1]
        await asyncio.sleep(0.02)
    raise AssertionError("the fake mirrord was not run")


class Server:
    """A started server, what it notified, and the fake's records."""

    def __init__(self, client: LanguageClient, ended: Ended, fake: Fake) -> None:
        self.client = client
        self.ended = ended
        self.fake = fake

    async def start(self, params: dict[str, Any]) -> dict[str, Any]:
        return await call(self.client, "mirrord/startSession", params)

    async def fails(self, params: dict[str, Any]) -> dict[str, Any]:
        """The error `data` of a startSession that must fail."""
        from pygls.exceptions import JsonRpcException

        try:
            await self.start(params)
        except JsonRpcException as error:
            assert isinstance(error.data, dict), error
            return error.data
        raise AssertionError("startSession succeeded")

    async def sessions(self) -> list[dict[str, Any]]:
        return list((await call(self.client, "mirrord/listSessions", {}))["sessions"])


async def stop_server(client: LanguageClient) -> None:
    server = client._server
    if server is not None and server.returncode is None:
        try:
            await asyncio.wait_for(client.shutdown_session(), 20)
        except TimeoutError:
            server.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            await asyncio.sleep(1)
            raise AssertionError("the server did not exit after shutdown/exit") from None
    await client.stop()


def write_config(root: Path, value: dict[str, Any], name: str = "mirrord.json") -> Path:
    path = root / "project" / ".mirrord" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path
