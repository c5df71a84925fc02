"""Nothing the cluster side does can hold the server: `exit` ends the process within
2 s and takes its credential plugins (and what they started) with it; a server that
accepts TCP but never completes TLS is reported as unreachable in bounded time."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.rpc import RawClient, server_env

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]

EXIT_BOUND = 2.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (not yet reaped by its new parent) is not running.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def silent_tls_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word (no TLS handshake)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def kubeconfig(path: Path, server: str, user: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters:\n- name: k\n  cluster: {{server: '{server}', insecure-skip-tls-verify: true}}\n"
        "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
        f"users:\n- name: u\n  user:\n{user}"
    )
    return path


def hanging_plugin(tmp_path: Path) -> tuple[Path, Path]:
    """A credential plugin that starts a child and then never answers; it writes
    both pids so the test can see they are gone."""
    pids = tmp_path / "plugin.pids"
    plugin = tmp_path / "hang-plugin"
    plugin.write_text(f'#!/bin/sh\nsleep 600 &\necho "$$ $!" > "{pids}"\nwait\n')
    plugin.chmod(0o755)
    return plugin, pids


def _plugin_pids(pids: Path, deadline: float) -> list[int]:
    while time.monotonic() < deadline:
        if pids.exists() and len(pids.read_text().split()) == 2:
            return [int(p) for p in pids.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("the credential plugin never started")


async def _exit_took(client: RawClient, *, shutdown: bool) -> float:
    started = time.monotonic()
    if shutdown:
        await client.request("shutdown", None, timeout=EXIT_BOUND)
    client.notify("exit", None)
    await client.wait_exit(EXIT_BOUND + 3)
    return time.monotonic() - started


@pytest.mark.parametrize("shutdown", [True, False], ids=["shutdown+exit", "exit"])
async def test_exit_ends_a_hung_credential_plugin(tmp_path: Path, shutdown: bool) -> None:
    plugin, pids = hanging_plugin(tmp_path)
    config = kubeconfig(
        tmp_path / "kubeconfig",
        "https://127.0.0.1:1",
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        f"      command: {plugin}\n      interactiveMode: Never\n",
    )
    client = await RawClient.spawn(server_env(config))
    try:
        await client.initialize()
        client.send_request("mirrord/listTargets", {"namespace": "default", "timeout": 60})
        plugin_pid, child_pid = await asyncio.to_thread(_plugin_pids, pids, time.monotonic() + 20)
        took = await _exit_took(client, shutdown=shutdown)
    finally:
        await client.kill()
    assert took < EXIT_BOUND, f"exit took {took:.1f}s"
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and (_alive(plugin_pid) or _alive(child_pid)):
        await asyncio.sleep(0.05)
    assert not _alive(plugin_pid), "the credential plugin outlived the server"
    assert not _alive(child_pid), "the plugin's child outlived the server"


async def test_exit_with_a_request_stuck_in_a_tls_handshake(
    tmp_path: Path, silent_tls_server: int
) -> None:
    config = kubeconfig(
        tmp_path / "kubeconfig", f"https://127.0.0.1:{silent_tls_server}", "    token: t0ken\n"
    )
    client = await RawClient.spawn(server_env(config))
    try:
        await client.initialize()
        _, pending = client.send_request(
            "mirrord/listTargets", {"namespace": "default", "timeout": 60}
        )
        await asyncio.sleep(1.5)  # the request is inside the handshake now
        assert not pending.done()
        took = await _exit_took(client, shutdown=True)
    finally:
        await client.kill()
    assert took < EXIT_BOUND, f"exit took {took:.1f}s"


def test_ls_reports_a_silent_tls_server_as_unreachable(
    tmp_path: Path, silent_tls_server: int
) -> None:
    config = kubeconfig(
        tmp_path / "kubeconfig", f"https://127.0.0.1:{silent_tls_server}", "    token: t0ken\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "ls", "--kubeconfig", str(config), "-o", "json"],
        env=server_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    assert done.returncode == 1
    assert '"kind":"unreachable"' in done.stdout, done.stdout
    assert "TLS handshake" in done.stderr
    assert "Traceback" not in done.stderr
    assert took < 12, f"ls took {took:.1f}s"


def test_ls_ends_a_hung_credential_plugin_on_ctrl_c(tmp_path: Path) -> None:
    plugin, pids = hanging_plugin(tmp_path)
    config = kubeconfig(
        tmp_path / "kubeconfig",
        "https://127.0.0.1:1",
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        f"      command: {plugin}\n",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mirrord_ide", "ls", "--kubeconfig", str(config)],
        env=server_env(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        plugin_pid, child_pid = _plugin_pids(pids, time.monotonic() + 20)
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        proc.wait(EXIT_BOUND + 3)
        _, err = proc.communicate()
    finally:
        proc.kill()
    assert b"Traceback" not in err
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and (_alive(plugin_pid) or _alive(child_pid)):
        time.sleep(0.05)
    assert not _alive(plugin_pid) and not _alive(child_pid)
