"""End to end over stdio: `mirrord/startSession`, `stopSession`, `listSessions`
with work-done progress, both cancellation channels, and cleanup when the
client shuts down, closes stdin or terminates the server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

from mirrord_ide.agent.client import connect_agent
from mirrord_ide.cluster.kinds import api_url
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture
from support.server import call, plain, server_env, start_lsp, stop_lsp

from .support import SEED, agent_objects, make_kube, spawn_holder, wait_no_agents

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]
STEPS = ["Resolving target", "Creating agent", "Waiting for agent", "Connecting"]


cluster = cluster_fixture(SEED)


async def start_server(cluster: SimCluster, capabilities: str) -> LanguageClient:
    return await start_lsp(server_env(cluster.kubeconfig_path), capabilities)


# Capability-sensitive tests run against both sets; the rest against VS Code's.
BOTH = pytest.mark.parametrize("client", ["visual-studio-code", "neovim@v0.7.0"], indirect=True)


@pytest_asyncio.fixture(params=["visual-studio-code"])
async def client(
    cluster: SimCluster, request: pytest.FixtureRequest
) -> AsyncIterator[LanguageClient]:
    cluster.options.schedule_delay = 0.05
    lsp = await start_server(cluster, request.param)
    lsp.capability_set = request.param  # type: ignore[attr-defined]
    yield lsp
    await stop_lsp(lsp)
    assert await wait_no_agents(cluster) == []


def progress_titles(reports: list[Any]) -> list[str]:
    return [r.message.split(":")[0] for r in reports if getattr(r, "message", None)]


@BOTH
async def test_start_list_stop_with_client_token(
    client: LanguageClient, cluster: SimCluster, tmp_path: Path
) -> None:
    config = tmp_path / "mirrord.json"
    config.write_text(json.dumps({"target": {"path": "deployment/api", "namespace": "shop"}}))
    client.progress_reports["launch-1"] = []
    result = await call(
        client,
        "mirrord/startSession",
        {"configUri": config.as_uri(), "workDoneToken": "launch-1", "debugType": "node"},
    )
    assert result["target"] == "deployment/api" and result["namespace"] == "shop"
    assert result["env"]["DB_HOST"] == "postgres"
    assert result["env"]["MIRRORD_DETECT_DEBUGGER_PORT"] == "nodeinspector"
    reports = client.progress_reports["launch-1"]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    titles = progress_titles(reports[:-1])
    assert [t for i, t in enumerate(titles) if t not in titles[:i]] == STEPS

    assert result["engine"] == "builtin" and result["capabilities"]["env"] == "process"
    host, port = result["agent"]["localAddress"].rsplit(":", 1)
    agent = await connect_agent(host, int(port), 5)
    assert await agent.handshake(5)
    await agent.close()

    listed = await call(client, "mirrord/listSessions", {})
    assert [s["sessionId"] for s in listed["sessions"]] == [result["sessionId"]]
    assert listed["sessions"][0]["agent"]["pod"] == result["agent"]["pod"]
    assert await call(client, "mirrord/stopSession", {"sessionId": result["sessionId"]}) == {
        "stopped": True
    }
    assert await call(client, "mirrord/stopSession", {"sessionId": result["sessionId"]}) == {
        "stopped": False
    }
    assert (await call(client, "mirrord/listSessions", {}))["sessions"] == []
    assert await wait_no_agents(cluster) == []


@BOTH
async def test_server_created_progress_and_targetless(
    client: LanguageClient, cluster: SimCluster
) -> None:
    before = set(client.progress_reports)
    result = await call(client, "mirrord/startSession", {"target": None, "namespace": "shop"})
    assert result["target"] is None
    created = set(client.progress_reports) - before
    window = client_capabilities(client.capability_set).window  # type: ignore[attr-defined]
    if window is not None and window.work_done_progress:
        (token,) = created
        reports = client.progress_reports[token]
        assert progress_titles(reports)[:1] == ["Resolving target"]
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    else:
        assert created == set()


async def test_deleting_the_agent_pod_sends_session_ended(
    client: LanguageClient, cluster: SimCluster
) -> None:
    result = await call(client, "mirrord/startSession", {"target": "pod/solo", "namespace": "shop"})
    ended = asyncio.ensure_future(client.wait_for_notification("mirrord/sessionEnded"))
    kube = make_kube(cluster)
    try:
        agent = result["agent"]
        await kube.delete(api_url("pod", agent["namespace"], agent["pod"]), "deleting the agent")
        params = plain(await asyncio.wait_for(ended, 5))
    finally:
        kube.close()
        kube.cluster.close()
    assert params["sessionId"] == result["sessionId"]
    assert params["reason"] == "agent-exited" and agent["pod"] in params["message"]
    assert (await call(client, "mirrord/listSessions", {}))["sessions"] == []
    assert await wait_no_agents(cluster) == []


async def test_errors_carry_kind(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as info:
        await call(client, "mirrord/startSession", {"target": "pod/nope", "namespace": "shop"})
    assert info.value.data["kind"] == "not-found"
    assert "pod `nope`" in info.value.data["message"] and info.value.data["hint"]
    with pytest.raises(JsonRpcException) as bad:
        await call(client, "mirrord/startSession", {"target": "bogus"})
    assert bad.value.data["kind"] == "invalid-config"
    with pytest.raises(JsonRpcException) as missing:
        await call(client, "mirrord/stopSession", {})
    assert missing.value.data["kind"] == "invalid-config"


async def wait_for_job(cluster: SimCluster) -> None:
    while not [a for a in agent_objects(cluster) if a.startswith("jobs/")]:
        await asyncio.sleep(0.02)


async def test_cancel_request_removes_the_agent(
    client: LanguageClient, cluster: SimCluster
) -> None:
    cluster.options.schedule_delay = 3.0
    msg_id = "cancel-me"
    future = client.protocol.send_request(
        "mirrord/startSession", {"target": "pod/solo", "namespace": "shop"}, msg_id=msg_id
    )
    await asyncio.wait_for(wait_for_job(cluster), 10)
    client.protocol.notify("$/cancelRequest", types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    assert info.value.code == -32800
    assert await wait_no_agents(cluster) == []


async def test_progress_cancel_removes_the_agent(
    client: LanguageClient, cluster: SimCluster
) -> None:
    cluster.options.schedule_delay = 3.0
    client.progress_reports["launch-c"] = []
    future = client.protocol.send_request(
        "mirrord/startSession",
        {"target": None, "namespace": "shop", "workDoneToken": "launch-c"},
    )
    await asyncio.wait_for(wait_for_job(cluster), 10)
    client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token="launch-c")
    )
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    assert info.value.code == -32800
    assert isinstance(client.progress_reports["launch-c"][-1], types.WorkDoneProgressEnd)
    assert await wait_no_agents(cluster) == []


async def test_shutdown_stops_sessions(client: LanguageClient, cluster: SimCluster) -> None:
    await call(client, "mirrord/startSession", {"target": "pod/solo", "namespace": "shop"})
    assert agent_objects(cluster)
    await client.shutdown_session()
    assert await wait_no_agents(cluster, timeout=1.0) == []


@pytest.mark.parametrize("how", ["close-stdin", "sigterm"])
async def test_client_gone_stops_sessions(
    client: LanguageClient, cluster: SimCluster, how: str
) -> None:
    await call(client, "mirrord/startSession", {"target": None, "namespace": "shop"})
    server = client._server
    assert server is not None and agent_objects(cluster)
    if how == "close-stdin":
        assert server.stdin is not None
        server.stdin.close()
    else:
        server.terminate()
    await asyncio.wait_for(server.wait(), 20)
    assert await wait_no_agents(cluster, timeout=1.0) == []


async def test_next_server_start_removes_a_killed_servers_agent(cluster: SimCluster) -> None:
    proc, result = spawn_holder(cluster)
    job = result["agent"]["pod"].rsplit("-", 1)[0]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert f"jobs/shop/{job}" in agent_objects(cluster)
    lsp = await start_server(cluster, "visual-studio-code")
    try:
        # Removed in the background once the server is initialized.
        assert await wait_no_agents(cluster, timeout=15) == []
    finally:
        await asyncio.wait_for(lsp.shutdown_session(), 20)
        await lsp.stop()


def alias_bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


BROKEN_CONFIGS = [
    ("mirrord.json", '{\n  "target": {\n    "path": "pod/solo",,\n  }\n}\n', ["line 3"]),
    ("mirrord.yaml", "target:\n  path: 42\n", ["line 2", "`target.path`"]),
    ("deep.mirrord.yaml", "".join(f"{' ' * i}k{i}:\n" for i in range(300)), ["nests"]),
    ("deep.mirrord.json", "[" * 5000 + "]" * 5000, ["line 1", "nests deeper"]),
    ("bomb.mirrord.yaml", alias_bomb(), ["line 1", "errors; the first"]),
    ("mirrord.txt", "{}", ["unsupported extension"]),
]


async def test_broken_config_is_invalid_config_naming_file_and_line(
    client: LanguageClient, cluster: SimCluster, tmp_path: Path
) -> None:
    for name, text, needles in BROKEN_CONFIGS:
        config = tmp_path / name
        config.write_text(text)
        with pytest.raises(JsonRpcException) as info:
            await call(
                client, "mirrord/startSession", {"configUri": config.as_uri(), "target": None}
            )
        data = info.value.data
        assert data["kind"] == "invalid-config", data
        assert str(config) in data["message"], data
        for needle in needles:
            assert needle in data["message"], data
    assert agent_objects(cluster) == []


async def test_env_file_beside_the_config_without_a_workspace(
    client: LanguageClient, cluster: SimCluster, tmp_path: Path
) -> None:
    config = tmp_path / "mirrord.json"
    config.write_text(json.dumps({"feature": {"env": {"env_file": "local.env"}}}))
    (tmp_path / "local.env").write_text("FROM_FILE=beside-the-config\n")
    result = await call(
        client, "mirrord/startSession", {"configUri": config.as_uri(), "target": None}
    )
    assert result["env"]["FROM_FILE"] == "beside-the-config"
    assert await call(client, "mirrord/stopSession", {"sessionId": result["sessionId"]})
    (tmp_path / "local.env").unlink()
    with pytest.raises(JsonRpcException) as info:
        await call(client, "mirrord/startSession", {"configUri": config.as_uri(), "target": None})
    assert info.value.data["kind"] == "invalid-config"
    assert str(tmp_path / "local.env") in info.value.data["message"]
    assert agent_objects(cluster) == []


async def test_env_file_relative_to_the_workspace_folder(
    cluster: SimCluster, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    elsewhere = tmp_path / "configs"
    workspace.mkdir()
    elsewhere.mkdir()
    (workspace / ".env").write_text("FROM_FILE=workspace\n")
    (elsewhere / ".env").write_text("FROM_FILE=config-folder\n")
    config = elsewhere / "mirrord.json"
    config.write_text(json.dumps({"feature": {"env": {"env_file": ".env"}}}))
    lsp = await start_lsp(server_env(cluster.kubeconfig_path), root_uri=workspace.as_uri())
    try:
        result = await call(
            lsp, "mirrord/startSession", {"configUri": config.as_uri(), "target": None}
        )
        assert result["env"]["FROM_FILE"] == "workspace"
    finally:
        await stop_lsp(lsp)
    assert await wait_no_agents(cluster) == []
