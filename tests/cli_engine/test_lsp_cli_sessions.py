"""The mirrord-cli session engine end to end over stdio, against the fake mirrord CLI
(one server for the module; each test picks the fake's behaviour through the
debuggee's env, which the CLI inherits): the `ext` command line and env, progress,
results, errors, cancellation, the silence timeout, sessions that end on their own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .support import (
    FAKE_MIRRORD,
    Fake,
    Server,
    call,
    server_env,
    start_server,
    stop_server,
    wait_for_run,
    wait_gone,
    write_config,
)

pytestmark = [pytest.mark.timeout(60), pytest.mark.asyncio(loop_scope="module")]

CLI = {"cliPath": str(FAKE_MIRRORD)}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    fake = Fake(tmp_path_factory.mktemp("fake"))
    # Silence allowed: agent.startup_timeout (60 s unless the config says) + 0.5 s.
    env = server_env(fake, path_has_fake=False, extra={"MIRRORD_IDE_CLI_SILENCE_SLACK": "0.5"})
    client, ended = await start_server(env, options=CLI)
    yield Server(client, ended, fake)
    await stop_server(client)


# -- a session through the CLI ----------------------------------------------------


async def test_session_through_the_cli(server: Server, tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "target": {"path": "deployment/api", "namespace": "shop"},
            "feature": {"network": {"incoming": "steal"}},
        },
    )
    client = server.client
    client.progress_reports["cli-1"] = []
    result = await server.start(
        {
            "configUri": config.as_uri(),
            "workDoneToken": "cli-1",
            "debugType": "python",
            "env": {
                "APP_SECRET": "hunter2",
                "MIRRORD_AGENT_NAMESPACE": "agents",
                "FAKE_MIRRORD_ENVIRONMENT": json.dumps({"DB_HOST": "postgres.shop"}),
                "FAKE_MIRRORD_UNSET": "AWS_PROFILE,HTTP_PROXY",
            },
        }
    )
    assert result["engine"] == "mirrord-cli"
    assert result["agent"] is None
    assert result["target"] == "deployment/api" and result["namespace"] == "shop"
    assert result["cli"] == {"path": str(FAKE_MIRRORD), "version": "3.250.0"}
    assert result["capabilities"] == {
        "env": "process",
        "incoming": "steal",
        "outgoing": True,
        "files": True,
    }
    env = result["env"]
    assert env["DB_HOST"] == "postgres.shop"
    assert env["MIRRORD_LAYER_INTPROXY_ADDR"] == "127.0.0.1:40000"
    assert env["MIRRORD_DETECT_DEBUGGER_PORT"] == "debugpy"
    assert result["envToUnset"] == ["AWS_PROFILE", "HTTP_PROXY"]
    # mirrord's Info lines and Info-level IdeMessages are information, the rest warnings;
    # each list keeps the order the CLI printed them in, an IdeMessage's link in its text.
    assert result["info"] == [
        "session ID: 0123-fake",
        "Your target reads from a message queue; queue splitting can share it with your "
        "local run. (Queue splitting docs: https://metalbear.com/mirrord/docs/using-mirrord/"
        "queue-splitting/?utm_medium=plugin)",
    ]
    assert result["warnings"][0] == "Agent version 3.1.0 does not match the local mirrord version"
    assert "multi-pod" in result["warnings"][1] and len(result["warnings"]) == 2

    run = server.fake.ext_runs()[-1]
    assert run["argv"] == ["ext", "-t", "deployment/api", "-f", str(config)]
    assert run["env"]["MIRRORD_PROGRESS_MODE"] == "json"
    assert run["env"]["MIRRORD_PROGRESS_SUPPORT_IDE"] == "true"
    assert run["env"]["MIRRORD_IDE_NAME"] == "vscode"
    assert run["env"]["MIRRORD_TARGET_NAMESPACE"] == "shop"
    assert run["env"]["MIRRORD_AGENT_NAMESPACE"] == "agents"
    assert "APP_SECRET" in run["env_names"]  # the debuggee's env reaches the CLI

    reports = client.progress_reports["cli-1"]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    texts = [r.message for r in reports if getattr(r, "message", None)]
    assert texts[0] == "mirrord preparing to launch"
    assert "loading configuration: done" in texts
    assert "agent running" in texts and "agent running: done" in texts

    listed = await server.sessions()
    assert [(s["sessionId"], s["engine"]) for s in listed] == [(result["sessionId"], "mirrord-cli")]
    pgid = run["pgid"]
    stopped = await call(client, "mirrord/stopSession", {"sessionId": result["sessionId"]})
    assert stopped == {"stopped": True}
    ended = await server.ended.wait_for(result["sessionId"])
    assert ended["reason"] == "stopped"
    assert await server.sessions() == []
    await wait_gone(pgid, 1.0)  # the internal proxy it left went with it


async def test_targetless(server: Server) -> None:
    result = await server.start({"target": None, "namespace": "payments"})
    assert result["target"] is None and result["namespace"] == "payments"
    assert result["capabilities"]["incoming"] == "off"
    run = server.fake.ext_runs()[-1]
    assert run["argv"] == ["ext", "-t", "targetless"]
    assert run["env"]["MIRRORD_TARGET_NAMESPACE"] == "payments"
    await call(server.client, "mirrord/stopSession", {"sessionId": result["sessionId"]})


async def test_garbage_lines_are_skipped(server: Server) -> None:
    result = await server.start({"target": None, "env": {"FAKE_MIRRORD_MODE": "garbage"}})
    assert result["engine"] == "mirrord-cli"
    await call(server.client, "mirrord/stopSession", {"sessionId": result["sessionId"]})


# -- errors -------------------------------------------------------------------------


async def test_cli_error_report_keeps_its_words(server: Server) -> None:
    data = await server.fails(
        {"target": "pod/nope", "namespace": "shop", "env": {"FAKE_MIRRORD_MODE": "error"}}
    )
    assert data["kind"] == "not-found"
    assert data["message"] == "Failed to find resource pod/nope: not found"
    assert data["hint"] == "Check the target exists."


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Failed to create mirrord-agent: pods is forbidden: User cannot create", "forbidden"),
        ("Feature `copy target` requires using mirrord operator", "conflict"),
        ("Failed to connect to the created mirrord-agent: timeout", "timeout"),
        ("Failed to create Kubernetes API client: connection refused", "unreachable"),
        ("Failed to find resource pod/x: NotFound", "not-found"),
    ],
)
async def test_plain_error_text_gets_a_kind(server: Server, message: str, kind: str) -> None:
    data = await server.fails(
        {
            "target": None,
            "env": {"FAKE_MIRRORD_MODE": "plain-error", "FAKE_MIRRORD_ERROR": message},
        }
    )
    assert data["kind"] == kind
    assert data["message"] == message


async def test_a_crashing_cli(server: Server) -> None:
    data = await server.fails({"target": None, "env": {"FAKE_MIRRORD_MODE": "crash"}})
    assert data["kind"] == "conflict"
    assert data["message"] == "mirrord crashed: fake crash"


async def test_a_cli_that_exits_without_handing_over(server: Server) -> None:
    data = await server.fails({"target": None, "env": {"FAKE_MIRRORD_MODE": "exit-early"}})
    assert data["message"].startswith("mirrord exited before the session started")
    assert await server.sessions() == []


# -- cancellation and timeouts ------------------------------------------------------


async def test_cancel_request_kills_the_cli_group(server: Server) -> None:
    before = len(server.fake.ext_runs())
    future = server.client.protocol.send_request(
        "mirrord/startSession",
        {"target": None, "env": {"FAKE_MIRRORD_MODE": "hang"}},
        msg_id="cancel-cli",
    )
    run = await wait_for_run(server.fake, after=before)
    await asyncio.sleep(0.3)  # the fake's child process is up too
    server.client.protocol.notify("$/cancelRequest", types.CancelParams(id="cancel-cli"))
    assert await wait_gone(run["pgid"], 1.0) <= 1.0
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    assert info.value.code == -32800


async def test_progress_cancel_kills_the_cli_group(server: Server) -> None:
    before = len(server.fake.ext_runs())
    server.client.progress_reports["cli-c"] = []
    future = server.client.protocol.send_request(
        "mirrord/startSession",
        {"target": None, "workDoneToken": "cli-c", "env": {"FAKE_MIRRORD_MODE": "hang"}},
    )
    run = await wait_for_run(server.fake, after=before)
    await asyncio.sleep(0.3)
    server.client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token="cli-c")
    )
    assert await wait_gone(run["pgid"], 1.0) <= 1.0
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    assert info.value.code == -32800
    assert isinstance(server.client.progress_reports["cli-c"][-1], types.WorkDoneProgressEnd)


@pytest.mark.slow
async def test_a_silent_cli_times_out(server: Server, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"agent": {"startup_timeout": 1}})
    loop = asyncio.get_running_loop()
    began = loop.time()
    data = await server.fails(
        {"target": None, "configUri": config.as_uri(), "env": {"FAKE_MIRRORD_MODE": "silent"}}
    )
    elapsed = loop.time() - began
    assert data["kind"] == "timeout"
    assert "printed nothing for 1.5 s" in data["message"]
    assert 1.4 < elapsed < 6
    await wait_gone(server.fake.ext_runs()[-1]["pgid"], 1.0)


# -- sessions that end on their own -------------------------------------------------


@pytest.mark.slow
async def test_cli_failing_after_the_handover_ends_the_session(server: Server) -> None:
    result = await server.start(
        {
            "target": None,
            "env": {"FAKE_MIRRORD_MODE": "exit-after-handover", "FAKE_MIRRORD_DELAY": "0.3"},
        }
    )
    ended = await server.ended.wait_for(result["sessionId"])
    assert ended["reason"] == "cli-exited"
    assert ended["message"] == "the internal proxy failed: fake"
    assert result["sessionId"] not in [s["sessionId"] for s in await server.sessions()]


@pytest.mark.slow
async def test_session_lives_while_the_proxy_lives(server: Server) -> None:
    result = await server.start({"target": None, "env": {"FAKE_MIRRORD_PROXY_SECONDS": "1.5"}})
    assert result["sessionId"] in [s["sessionId"] for s in await server.sessions()]
    ended = await server.ended.wait_for(result["sessionId"], timeout=6)
    assert ended["reason"] == "connection-lost"
    assert result["sessionId"] not in [s["sessionId"] for s in await server.sessions()]


@pytest.mark.slow
async def test_shutdown_ends_the_proxy_groups(tmp_path: Path) -> None:
    fake = Fake(tmp_path)
    client, _ = await start_server(server_env(fake, path_has_fake=False), options=CLI)
    try:
        for _ in range(2):
            await call(client, "mirrord/startSession", {"target": None})
        groups = [run["pgid"] for run in fake.ext_runs()]
        await asyncio.wait_for(client.shutdown_session(), 20)
        for pgid in groups:
            await wait_gone(pgid, 1.0)
    finally:
        await stop_server(client)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["close-stdin", "sigterm"])
async def test_client_gone_ends_the_proxy_groups(tmp_path: Path, how: str) -> None:
    fake = Fake(tmp_path)
    client, _ = await start_server(server_env(fake, path_has_fake=False), options=CLI)
    try:
        await call(client, "mirrord/startSession", {"target": None})
        pgid = fake.ext_runs()[-1]["pgid"]
        process = client._server
        assert process is not None
        if how == "close-stdin":
            assert process.stdin is not None
            process.stdin.close()
        else:
            process.terminate()
        await asyncio.wait_for(process.wait(), 20)
        await wait_gone(pgid, 1.0)
    finally:
        await stop_server(client)
