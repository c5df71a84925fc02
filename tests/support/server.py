"""Starting the real server (or running its CLI) for a test: its command, its environment,
typed LSP clients.

Tests that need the raw byte stream (framing, hostile input, transcripts) use
`support/rpc.py`'s `RawClient`; every other test talks to the server through
pytest-lsp's typed `LanguageClient`, started by `start_lsp`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

CLI_COMMAND = [sys.executable, "-m", "mirrord_ide"]
SERVER_COMMAND = [*CLI_COMMAND, "serve"]


def free_port() -> int:
    """A loopback port nothing listens on (until something takes it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable_kubeconfig(path: Path, token: str = "t0ken") -> Path:
    """A kubeconfig at `path` whose cluster is a loopback port nothing listens on."""
    port = free_port()
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        f"users: [{{name: u, user: {{token: {token}}}}}]\n"
    )
    return path


def server_env(kubeconfig: Path | str | None, **extra: str) -> dict[str, str]:
    """The environment of a server under test: nothing MIRRORD_* from the machine, no
    PYTHONPATH, the given kubeconfig (a missing file when None), faulthandler on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    env.pop("PYTHONPATH", None)
    env["KUBECONFIG"] = str(kubeconfig) if kubeconfig else "/nonexistent/kubeconfig"
    env["PYTHONFAULTHANDLER"] = "1"
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`mirrord-ide args...` run to its end in `env` (see `server_env`), its output as
    text; a traceback in the output fails the test."""
    done = subprocess.run(
        [*CLI_COMMAND, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    return done


def lsp_config(
    env: dict[str, str], client_factory: Callable[[], LanguageClient] | None = None
) -> ClientServerConfig:
    """pytest-lsp's configuration for the server with this environment."""
    if client_factory is None:
        return ClientServerConfig(server_command=SERVER_COMMAND, server_env=env)
    return ClientServerConfig(
        server_command=SERVER_COMMAND, client_factory=client_factory, server_env=env
    )


async def start_lsp(
    env: dict[str, str],
    capabilities: str = "visual-studio-code",
    *,
    client_factory: Callable[[], LanguageClient] | None = None,
    **initialize: Any,
) -> LanguageClient:
    """A started and initialized server; `initialize` adds fields to InitializeParams."""
    client = await lsp_config(env, client_factory).start()
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities(capabilities), **initialize)
    )
    return client


async def stop_lsp(client: LanguageClient) -> None:
    """Shut the server down the LSP way; a server that does not exit fails the test, with
    every thread's stack on its stderr."""
    server = client._server
    if server is not None and server.returncode is None:
        try:
            await asyncio.wait_for(client.shutdown_session(), 20)
        except TimeoutError:
            server.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            await asyncio.sleep(1)
            raise AssertionError("the server did not exit after shutdown/exit") from None
    await client.stop()


async def call(
    client: LanguageClient, method: str, params: dict[str, Any], timeout: float = 30.0
) -> dict[str, Any]:
    """A custom request's result, as plain dicts and lists."""
    request = client.protocol.send_request_async(method, params)
    result = plain(await asyncio.wait_for(request, timeout))
    assert isinstance(result, dict), f"{method} answered {result!r}"
    return result


def plain(value: Any) -> Any:
    """A typed (cattrs-structured) LSP result as plain dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
