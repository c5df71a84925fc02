"""LSP's `processId`: a server whose client process died exits by itself, even
while another process still holds its pipes open (so stdin never closes)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from support.rpc import RawClient, server_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


async def test_server_exits_when_the_client_process_is_gone() -> None:
    # Stands in for the editor: its pid goes into `initialize`; this test keeps the pipes.
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    client = await RawClient.spawn(server_env(None))
    try:
        await client.request(
            "initialize",
            {"processId": editor.pid, "rootUri": None, "capabilities": {}},
            timeout=60,
        )
        client.notify("initialized", {})
        await asyncio.sleep(1.5)
        assert client.proc.returncode is None, "the server must run while its client lives"

        editor.kill()
        editor.wait(10)
        code = await client.wait_exit(15)
        assert code == 0
    finally:
        if editor.poll() is None:
            editor.kill()
        await client.kill()


async def test_server_keeps_running_while_the_client_process_lives() -> None:
    client = await RawClient.spawn(server_env(None))
    try:
        await client.request(
            "initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}}
        )
        client.notify("initialized", {})
        await asyncio.sleep(2.5)
        assert client.proc.returncode is None
        assert await client.request("mirrord/listSessions", {}) == {"sessions": []}
    finally:
        await client.close()
