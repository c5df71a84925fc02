"""Driving the server over stdio with the fake mirrord CLI (tests/fakes/mirrord)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from support.server import call, lsp_config, plain
from support.server import server_env as base_env
from support.server import stop_lsp as stop_server

__all__ = ["call", "stop_server"]

FAKES = Path(__file__).resolve().parent.parent / "fakes"
FAKE_MIRRORD = FAKES / "mirrord"


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
    env = base_env(fake.root / "no-kubeconfig", HOME=str(fake.home))
    env = {k: v for k, v in env.items() if not k.startswith("FAKE_MIRRORD_")}
    folders = [p for p in env.get("PATH", "").split(os.pathsep) if p]
    # The server's own Python and the system's python3 for the fake's shebang.
    base = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    env["PATH"] = os.pathsep.join(
        ([str(FAKES)] if path_has_fake else []) + [p for p in base if p not in folders] + folders
    )
    env["FAKE_MIRRORD_RECORD"] = str(fake.record)
    env["FAKE_MIRRORD_COUNT"] = str(fake.count)
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
    client = await lsp_config(env).start()
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


def write_config(root: Path, value: dict[str, Any], name: str = "mirrord.json") -> Path:
    path = root / "project" / ".mirrord" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path
