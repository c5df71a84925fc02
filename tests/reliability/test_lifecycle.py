"""Lifecycle of agents, through real `mirrord-ide serve` processes over stdio:
launches cancelled at every step (both cancellation channels), the client
dying mid-session, and a SIGKILLed server whose agent the next server start
removes. Every scenario ends with 0 agent objects in the cluster."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mirrord_simcluster.testing import SimCluster
from support.rpc import RawClient, ResponseError, server_env

from .cluster_support import (
    SEED,
    agent_objects,
    leftover_checks,
    leftover_checks_done,
    start_server,
    wait_no_agents,
    wait_quiet,
)
from .support import report_line

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

REQUEST_CANCELLED = -32800
TARGET = {"target": "deployment/api", "namespace": "shop"}
HOLD = 2.0  # seconds a step is held open so the cancel lands inside it
STEPS = ["Resolving target", "Creating agent", "Waiting for agent", "Connecting"]
CHANNELS = {"$/cancelRequest": "cancelRequest", "window/workDoneProgress/cancel": "progress"}
EXERCISED: dict[str, list[str]] = {"cancelled": [], "client gone": [], "reaped": [], "kept": []}


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    report_line(
        f"lifecycle: {len(EXERCISED['cancelled'])} launches cancelled "
        f"({', '.join(EXERCISED['cancelled']) or 'none'}); client gone: "
        f"{', '.join(EXERCISED['client gone']) or 'none'}; SIGKILLed servers' agents removed "
        f"by the next start: {len(EXERCISED['reaped'])}, live servers' agents kept: "
        f"{len(EXERCISED['kept'])}; agents left: 0"
    )


@pytest.fixture
def cluster(sim_cluster_factory: Callable[..., SimCluster]) -> SimCluster:
    return sim_cluster_factory(SEED)


def jobs(cluster: SimCluster) -> set[str]:
    return {a.split("/")[-1] for a in agent_objects(cluster) if a.startswith("jobs/")}


def job_of(result: dict[str, Any]) -> str:
    """The agent Job's name from a startSession result (pod = `<job>-<suffix>`)."""
    return str(result["agent"]["pod"]).rsplit("-", 1)[0]


def progress(client: RawClient, token: str) -> list[dict[str, Any]]:
    return [
        (m.get("params") or {}).get("value") or {}
        for m in client.notifications("$/progress")
        if (m.get("params") or {}).get("token") == token
    ]


def steps_reported(client: RawClient, token: str) -> list[str]:
    titles = [str(v.get("message", "")).split(":")[0] for v in progress(client, token)]
    return [t for i, t in enumerate(titles) if t in STEPS and t not in titles[:i]]


async def wait_step(client: RawClient, token: str, step: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while step not in steps_reported(client, token):
        if time.monotonic() > deadline or client.proc.returncode is not None:
            raise AssertionError(f"no `{step}` progress: {progress(client, token)}")
        await asyncio.sleep(0.01)


def hold_step(cluster: SimCluster, step: str) -> Callable[[], None]:
    """Keep a launch in `step` for HOLD seconds; returns the undo."""
    if step == "Waiting for agent":
        cluster.options.schedule_delay = HOLD
        return lambda: setattr(cluster.options, "schedule_delay", 0.05)
    # Resolving reads the deployment; creating posts the Job; connecting opens
    # the port-forward to the agent pod (a `get` of its `portforward`
    # subresource; the agent's log, read while waiting, is held as well). The
    # target's env comes from the agent over the forward: no config map is read.
    resource, verb = {
        "Resolving target": ("deployments", "get"),
        "Creating agent": ("jobs", "create"),
        "Connecting": ("pods", "get"),
    }[step]
    rule = cluster.faults.add(resource=resource, verb=verb, latency=HOLD)
    return lambda: cluster.faults.remove(rule)


def job_posts(cluster: SimCluster, since: int) -> int:
    return len(
        [
            r
            for r in cluster.requests.records()[since:]
            if r.method == "POST" and r.path.endswith("/jobs") and r.status < 400
        ]
    )


@pytest.mark.slow
async def test_launch_cancelled_at_every_step(cluster: SimCluster) -> None:
    client = await start_server(cluster.kubeconfig_path)
    try:
        for step in STEPS:
            for channel, short in CHANNELS.items():
                token = f"launch-{STEPS.index(step)}-{short}"
                undo = hold_step(cluster, step)
                since = len(cluster.requests.records())
                try:
                    msg_id, future = client.send_request(
                        "mirrord/startSession", {**TARGET, "workDoneToken": token}
                    )
                    await wait_step(client, token, step)
                    if channel == "$/cancelRequest":
                        client.cancel(msg_id)
                    else:
                        client.notify(channel, {"token": token})
                    with pytest.raises(ResponseError) as info:
                        await asyncio.wait_for(future, HOLD + 10)
                finally:
                    undo()
                where = f"{step} by {channel}"
                assert info.value.code == REQUEST_CANCELLED, (where, info.value.error)
                # The launch went no further than the step it was cancelled in.
                assert steps_reported(client, token) == STEPS[: STEPS.index(step) + 1], where
                assert progress(client, token)[-1].get("kind") == "end", where
                if STEPS.index(step) < STEPS.index("Creating agent"):
                    assert job_posts(cluster, since) == 0, where
                else:
                    assert job_posts(cluster, since) == 1, where
                assert await wait_no_agents(cluster) == [], where
                EXERCISED["cancelled"].append(f"{step.split()[0].lower()}/{short}")
        # The server is still in service after all of that.
        result = await client.request("mirrord/startSession", TARGET, timeout=30)
        assert job_of(result) in jobs(cluster)
        assert await client.request("mirrord/stopSession", {"sessionId": result["sessionId"]})
        assert await wait_no_agents(cluster) == []
    finally:
        await client.close()
    assert await wait_no_agents(cluster) == []


async def start_session_and_one_in_flight(
    client: RawClient, cluster: SimCluster, step: str
) -> Callable[[], None]:
    """One session running and a second launch held in `step`; returns the
    undo of the hold."""
    await client.request("mirrord/startSession", TARGET, timeout=30)
    undo = hold_step(cluster, step)
    _, future = client.send_request("mirrord/startSession", {**TARGET, "workDoneToken": "late"})
    future.add_done_callback(lambda f: f.exception())  # the server goes before it answers
    await wait_step(client, "late", step)
    if step == "Creating agent":
        await asyncio.sleep(HOLD / 4)  # the Job's POST has reached the cluster, unanswered
    return undo


@pytest.mark.parametrize(
    ("how", "step"),
    [
        ("close stdin", "Waiting for agent"),
        ("close stdin", "Creating agent"),
        ("SIGTERM", "Creating agent"),
    ],
)
async def test_client_gone_stops_the_server_and_its_agents(
    cluster: SimCluster, how: str, step: str
) -> None:
    client = await start_server(cluster.kubeconfig_path)
    undo: Callable[[], None] = lambda: None  # noqa: E731
    try:
        undo = await start_session_and_one_in_flight(client, cluster, step)
        if how == "SIGTERM":
            client.proc.terminate()
        else:
            assert client.proc.stdin is not None
            client.proc.stdin.close()
        started = time.monotonic()
        await client.wait_exit(20)
        took = time.monotonic() - started
    finally:
        undo()
        await client.kill()
    assert await wait_no_agents(cluster) == [], client.stderr.decode(errors="replace")
    assert took < 15
    EXERCISED["client gone"].append(f"{how} with a launch {step.lower()} (exit in {took:.1f}s)")


# A client as an IDE runs one: it owns the server's pipes, starts a session,
# prints the server's pid and the result, then waits to be killed.
CLIENT_SCRIPT = r"""
import json, os, subprocess, sys, time
server = subprocess.Popen(
    [sys.executable, "-m", "mirrord_ide", "serve"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(sys.argv[1], "wb"),
)
def send(message):
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()
def answer(wanted):
    while True:
        length = 0
        while (line := server.stdout.readline().strip()):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        message = json.loads(server.stdout.read(length))
        if "method" in message and "id" in message:
            send({"id": message["id"], "result": None})
        elif message.get("id") == wanted:
            return message
send({"id": 1, "method": "initialize",
      "params": {"processId": os.getpid(), "rootUri": None, "capabilities": {}}})
answer(1)
send({"method": "initialized", "params": {}})
send({"id": 2, "method": "mirrord/startSession",
      "params": {"target": "deployment/api", "namespace": "shop"}})
print(json.dumps({"server": server.pid, "response": answer(2)}), flush=True)
time.sleep(3600)
"""


def process_running(pid: int) -> bool:
    """False once `pid` has exited, zombie included (its parent is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


async def test_client_process_killed_stops_the_server_and_its_agents(
    cluster: SimCluster, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    ide = subprocess.Popen(
        [sys.executable, "-c", CLIENT_SCRIPT, str(log)],
        stdout=subprocess.PIPE,
        text=True,
        env=server_env(cluster.kubeconfig_path),
    )
    server_pid = 0
    try:
        assert ide.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(ide.stdout.readline), 40)
        assert line, "the client exited before its session started"
        started = json.loads(line)
        server_pid = started["server"]
        result = started["response"]["result"]
        assert job_of(result) in jobs(cluster), started
        ide.send_signal(signal.SIGKILL)
        ide.wait(10)
        deadline = time.monotonic() + 20
        while process_running(server_pid):
            assert time.monotonic() < deadline, "the server outlived its client"
            await asyncio.sleep(0.05)
        took = 20 - (deadline - time.monotonic())
    finally:
        if ide.poll() is None:
            ide.kill()
            ide.wait(10)
        if server_pid and process_running(server_pid):
            os.kill(server_pid, signal.SIGKILL)
    assert await wait_no_agents(cluster) == [], log.read_text(errors="replace")
    EXERCISED["client gone"].append(f"client process killed (exit in {took:.1f}s)")


async def test_next_server_start_removes_a_killed_servers_agent(cluster: SimCluster) -> None:
    already = leftover_checks(cluster)
    alive = await start_server(cluster.kubeconfig_path)
    clients = [alive]
    try:
        kept = job_of(await alive.request("mirrord/startSession", TARGET, timeout=30))
        killed = await start_server(cluster.kubeconfig_path)
        clients.append(killed)
        left = job_of(await killed.request("mirrord/startSession", TARGET, timeout=30))
        # Both have made their start-up check, so only the next start can find `left`.
        await leftover_checks_done(cluster, already + 2)
        await killed.kill()  # SIGKILL: nothing runs on the way out
        await asyncio.sleep(0.5)
        assert {kept, left} <= jobs(cluster), "a SIGKILLed server cannot remove its agent"

        since = len(cluster.requests.records())
        successor = await start_server(cluster.kubeconfig_path)  # initialize + initialized only
        clients.append(successor)
        deadline = time.monotonic() + 15
        while left in jobs(cluster):
            assert time.monotonic() < deadline, "the next server did not remove the agent"
            await asyncio.sleep(0.05)
        await wait_quiet(cluster)
        deletes = [r.path for r in cluster.requests.records()[since:] if r.method == "DELETE"]
        # Gone: deleted by the successor, or exited by itself once its one client (the
        # killed server's connection) was gone, its Job then removed by the Job's TTL.
        # The agent of the server that is still running is never touched.
        assert kept in jobs(cluster)
        assert not any(p.endswith(f"/jobs/{kept}") for p in deletes), deletes
        assert len(successor.notifications("$/progress")) == 0
    finally:
        for client in clients:
            await client.close()
    assert await wait_no_agents(cluster) == []
    EXERCISED["reaped"].append(left)
    EXERCISED["kept"].append(kept)
