"""Which engine a session gets (`mirrord.engine`, `mirrord.cliPath`, `PATH`, the IDE
extensions' download folders), settings from initializationOptions and
didChangeConfiguration, the `--version` cache and its bound. Each test starts its own
server over stdio."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import FAKE_MIRRORD, Fake, Server, server_env, start_server, stop_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

Open = Callable[..., Awaitable[Server]]
NO_CLI_HINT = "install mirrord or set mirrord.cliPath"


@pytest_asyncio.fixture
async def open_server(tmp_path: Path) -> AsyncIterator[Open]:
    started: list[LanguageClient] = []
    fake = Fake(tmp_path)

    async def factory(
        *,
        options: dict[str, Any] | None = None,
        path_has_fake: bool = False,
        extra: dict[str, str] | None = None,
        client_name: str | None = "Visual Studio Code",
        root: Path | None = None,
    ) -> Server:
        env = server_env(fake, path_has_fake=path_has_fake, extra=extra)
        client, ended = await start_server(env, options=options, client_name=client_name, root=root)
        started.append(client)
        return Server(client, ended, fake)

    yield factory
    for client in started:
        await stop_server(client)


def configure(server: Server, section: dict[str, Any]) -> None:
    server.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"mirrord": section})
    )


async def test_engine_follows_the_settings(open_server: Open) -> None:
    # No CLI anywhere and `auto`: the builtin engine runs (and fails here: no cluster).
    server = await open_server(options={"engine": "auto"})
    data = await server.fails({"target": None})
    assert data["hint"] != NO_CLI_HINT
    assert server.fake.runs() == []

    configure(server, {"engine": "mirrord-cli"})
    data = await server.fails({"target": None})
    assert data["kind"] == "not-found" and data["hint"] == NO_CLI_HINT

    configure(server, {"cliPath": str(FAKE_MIRRORD)})
    result = await server.start({"target": None})
    assert result["engine"] == "mirrord-cli"
    assert result["cli"]["path"] == str(FAKE_MIRRORD)

    configure(server, {"engine": "nonsense"})  # ignored: the last good value stays
    assert (await server.start({"target": None}))["engine"] == "mirrord-cli"

    configure(server, {"engine": "builtin"})
    runs = len(server.fake.ext_runs())
    await server.fails({"target": None})
    assert len(server.fake.ext_runs()) == runs


async def test_a_missing_cli_path_is_reported(open_server: Open, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mirrord"
    server = await open_server(options={"engine": "mirrord-cli", "cliPath": str(missing)})
    data = await server.fails({"target": None})
    assert data["kind"] == "not-found"
    assert f"{missing} does not exist" in data["message"]
    assert data["hint"] == NO_CLI_HINT


async def test_auto_finds_the_cli_on_path_and_reads_its_version_once(
    open_server: Open, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    server = await open_server(path_has_fake=True, client_name="IntelliJ IDEA", root=workspace)
    first = await server.start({"target": None})
    second = await server.start({"target": None})
    assert first["engine"] == second["engine"] == "mirrord-cli"
    assert first["cli"] == {"path": str(FAKE_MIRRORD), "version": "3.250.0"}
    assert server.fake.counts("version") == 1
    assert server.fake.counts("ext") == 2
    assert server.fake.ext_runs()[-1]["env"]["MIRRORD_IDE_NAME"] == "intellij"
    assert server.fake.ext_runs()[-1]["cwd"] == str(workspace)  # the workspace folder


async def test_auto_finds_the_cli_the_vscode_extension_downloaded(
    open_server: Open, tmp_path: Path
) -> None:
    storage = tmp_path / "home" / ".config" / "Code" / "User" / "globalStorage"
    (storage / "metalbear.mirrord").mkdir(parents=True)
    installed = storage / "metalbear.mirrord" / "mirrord"
    shutil.copy(FAKE_MIRRORD, installed)
    server = await open_server(client_name=None)
    result = await server.start({"target": None})
    assert result["cli"]["path"] == str(installed)
    assert server.fake.ext_runs()[-1]["env"]["MIRRORD_IDE_NAME"] == "mirrord-ide"


async def test_a_slow_version_is_reported_not_waited_on(open_server: Open) -> None:
    server = await open_server(
        options={"engine": "mirrord-cli", "cliPath": str(FAKE_MIRRORD)},
        extra={"FAKE_MIRRORD_VERSION_DELAY": "30", "MIRRORD_IDE_CLI_VERSION_TIMEOUT": "1"},
    )
    loop = asyncio.get_running_loop()
    began = loop.time()
    data = await server.fails({"target": None})
    assert loop.time() - began < 5
    assert data["kind"] == "timeout"
    assert "did not answer `--version` within 1 s" in data["message"]
    again = loop.time()
    await server.fails({"target": None})
    assert loop.time() - again < 1  # remembered, not asked again
    assert server.fake.counts("version") == 1


async def test_kube_settings_reach_the_cli(open_server: Open, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kube.yaml"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
        "contexts:\n- name: a\n  context: {cluster: c, namespace: team-a}\n"
        "- name: b\n  context: {cluster: c, namespace: team-b}\n"
    )
    server = await open_server(
        options={"cliPath": str(FAKE_MIRRORD), "kubeconfig": str(kubeconfig), "context": "b"}
    )
    result = await server.start({"target": "pod/web"})
    # No namespace anywhere else: the chosen context's, and mirrord finds it itself.
    assert result["namespace"] == "team-b"
    run = server.fake.ext_runs()[-1]
    assert run["env"]["KUBECONFIG"] == str(kubeconfig)
    assert run["env"]["MIRRORD_KUBE_CONTEXT"] == "b"
    assert "MIRRORD_TARGET_NAMESPACE" not in run["env"]


async def test_a_broken_cli_path_falls_back_and_is_reported(
    open_server: Open, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-mirrord"
    broken.write_text("#!/bin/sh\necho 'not mirrord'\n")
    broken.chmod(0o755)
    server = await open_server(options={"cliPath": str(broken)}, path_has_fake=True)
    result = await server.start({"target": None})
    assert result["cli"]["path"] == str(FAKE_MIRRORD)
    assert f"{broken} is not a mirrord CLI" in result["warnings"][0]
