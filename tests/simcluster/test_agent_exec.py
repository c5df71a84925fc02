"""`--agent-exec`: an external agent process per agent pod, port-forwarded to."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mirrord_ide.agent.protocol import (
    ClientClose,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    Ping,
    Pong,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
)
from mirrord_simcluster.testing import SimCluster
from simcluster.agent_client import ProtocolSocket
from simcluster.helpers import first_pod, pod_log, pod_phase, start_targeted_agent, wait_for
from support.server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

SCRIPT = Path(__file__).with_name("external_agent.py")


def external_cluster(factory: object) -> SimCluster:
    return factory(agent_exec=f"{sys.executable} {SCRIPT}")  # type: ignore[operator]


def test_external_agent_serves_the_port_forward(sim_cluster_factory: object) -> None:
    cluster = external_cluster(sim_cluster_factory)
    greeter = first_pod(cluster, "default", "greeter")
    port = free_port()
    pod = start_targeted_agent(cluster, port, greeter)
    # The pod's log is the process's output: the launcher waits for this line.
    log = wait_for(
        lambda: "agent ready" in (text := pod_log(cluster, "default", pod)) and text,
        5,
        "the ready line",
    )
    assert f"-l {port} -t 30 targeted --container-id" in log
    conn = ProtocolSocket(cluster, "default", pod, port)
    try:
        conn.send(
            SwitchProtocolVersion("1.29.0"), Ping(), GetEnvVarsRequest(frozenset(), frozenset())
        )
        assert conn.recv() == SwitchProtocolVersionResponse("1.29.0")
        assert conn.recv() == Pong()
        env = conn.recv()
        # MIRRORD_SIM_PROCESS_ENV: the target's process env, image env included, unfiltered.
        assert isinstance(env, GetEnvVarsResponse) and env.env is not None
        assert env.env["IMAGE_ONLY_GREETING"] == "hello from the greeter image"
        assert env.env["GREETING"] == "hello" and env.env["HOSTNAME"] == greeter
        assert "PATH" in env.env
        conn.send(ClientClose())
        assert conn.recv_until_eof() == []
    finally:
        conn.close()
    wait_for(lambda: pod_phase(cluster, "default", pod) == "Succeeded", 5, "the process's exit")


def test_external_agent_exit_code_fails_the_pod(sim_cluster_factory: object) -> None:
    cluster = external_cluster(sim_cluster_factory)
    greeter = first_pod(cluster, "default", "greeter")
    pod = start_targeted_agent(cluster, free_port(), greeter, timeout=1)
    wait_for(lambda: pod_phase(cluster, "default", pod) == "Failed", 5, "the process's exit")
    assert "no client" in pod_log(cluster, "default", pod)


def test_deleting_the_pod_kills_the_process(sim_cluster_factory: object) -> None:
    cluster = external_cluster(sim_cluster_factory)
    greeter = first_pod(cluster, "default", "greeter")
    port = free_port()
    pod = start_targeted_agent(cluster, port, greeter)
    wait_for(lambda: _listening(port), 5, "the process to listen")
    cluster.store.delete("pods", "default", pod)
    wait_for(lambda: not _listening(port), 5, "the process to be killed")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_cli_rejects_a_missing_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "demo-cluster", "--agent-exec", "no-such-agent-cmd"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    error = json.loads(result.stdout.splitlines()[0])["error"]
    assert error["kind"] == "invalid-config" and "no-such-agent-cmd" in error["message"]
