"""The server's one lifecycle owner: start-up, settings and shutdown hooks, their
order, and how the features of a real server are wired to it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mirrord_ide.lsp.lifecycle import DROP_CLUSTER, STOP_SESSIONS, Lifecycle
from mirrord_ide.lsp.server import create_server
from mirrord_ide.lsp.settings import MirrordSettings


async def test_shutdown_hooks_run_by_order_then_registration() -> None:
    lifecycle = Lifecycle()
    ran: list[str] = []

    async def sessions() -> None:
        await asyncio.sleep(0)
        ran.append("sessions")

    lifecycle.on_shutdown(lambda: ran.append("cluster"), DROP_CLUSTER)
    lifecycle.on_shutdown(sessions, STOP_SESSIONS)
    lifecycle.on_shutdown(lambda: ran.append("cluster, second"), DROP_CLUSTER)
    assert not lifecycle.shutting_down
    await lifecycle.shutdown()
    assert ran == ["sessions", "cluster", "cluster, second"]
    assert lifecycle.shutting_down


async def test_shutdown_runs_once_and_a_second_call_waits_for_it() -> None:
    lifecycle = Lifecycle()
    release = asyncio.Event()
    ran: list[str] = []

    async def slow() -> None:
        await release.wait()
        ran.append("slow")

    lifecycle.on_shutdown(slow, STOP_SESSIONS)
    first = asyncio.ensure_future(lifecycle.shutdown())  # `shutdown`
    second = asyncio.ensure_future(lifecycle.shutdown())  # `exit` right after it
    await asyncio.sleep(0.01)
    assert not first.done() and not second.done()
    release.set()
    await asyncio.gather(first, second)
    await lifecycle.shutdown()
    assert ran == ["slow"]


async def test_a_failing_hook_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    lifecycle = Lifecycle()
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    lifecycle.on_started(broken)
    lifecycle.on_started(lambda: ran.append("started"))
    lifecycle.on_shutdown(broken, STOP_SESSIONS)
    lifecycle.on_shutdown(lambda: ran.append("stopped"), DROP_CLUSTER)
    lifecycle.on_settings(None, lambda settings: broken())
    lifecycle.on_settings(None, lambda settings: ran.append(settings.engine))
    await lifecycle.started()
    lifecycle.settings_changed(MirrordSettings(), MirrordSettings(engine="builtin"))
    await lifecycle.shutdown()
    assert ran == ["started", "builtin", "stopped"]
    failures = [
        r.getMessage()
        for r in caplog.records
        if r.exc_info is not None and r.name == "mirrord_ide.lsp.lifecycle"
    ]
    assert failures == ["start-up hook failed", "settings hook failed", "shutdown hook failed"]


def test_settings_hooks_see_only_the_keys_they_name() -> None:
    lifecycle = Lifecycle()
    cluster: list[MirrordSettings] = []
    every: list[MirrordSettings] = []
    lifecycle.on_settings(("kubeconfig", "context"), cluster.append)
    lifecycle.on_settings(None, every.append)
    base = MirrordSettings(context="dev")
    lifecycle.settings_changed(base, base)  # nothing changed: nobody is called
    engine = base.model_copy(update={"engine": "builtin"})
    lifecycle.settings_changed(base, engine)
    context = engine.model_copy(update={"context": "prod"})
    lifecycle.settings_changed(engine, context)
    assert cluster == [context]
    assert every == [engine, context]
    with pytest.raises(ValueError, match="unknown settings: cliPath"):
        lifecycle.on_settings(("cliPath",), cluster.append)


class FakeCluster:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def close(self) -> None:
        self.log.append("cluster closed")


class FakeEngine:
    def __init__(self, log: list[str], name: str) -> None:
        self.log = log
        self.name = name

    async def stop_all(self) -> None:
        await asyncio.sleep(0)
        self.log.append(f"{self.name} stopped")


async def test_server_stops_sessions_before_dropping_the_cluster() -> None:
    server = create_server()
    log: list[str] = []
    state: Any = server.state
    state.cluster = FakeCluster(log)
    state.cli_sessions = FakeEngine(log, "cli sessions")
    state.sessions = FakeEngine(log, "builtin sessions")
    await server.lifecycle.shutdown()
    assert log == ["cli sessions stopped", "builtin sessions stopped", "cluster closed"]
    assert server.state.cluster is None


async def test_server_drops_the_cluster_only_when_kubeconfig_or_context_change() -> None:
    server = create_server()
    log: list[str] = []
    state: Any = server.state
    state.cluster = FakeCluster(log)
    server.update_settings({"engine": "builtin", "cliPath": "/opt/mirrord"})
    assert log == [] and server.state.cluster is not None
    server.update_settings({"context": "prod"})
    assert log == ["cluster closed"] and server.state.cluster is None
    state.cluster = FakeCluster(log)
    server.update_settings({"context": "prod"})  # the same value: nothing changes
    assert server.state.cluster is not None
    server.update_settings({"kubeconfig": "/k/other"})
    assert log == ["cluster closed", "cluster closed"]
