"""`mirrord-ide demo-cluster` as a process: prints its address, serves, stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client, config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def test_demo_cluster_process(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mirrord_ide",
            "demo-cluster",
            "--kubeconfig",
            str(kubeconfig),
            "--user",
            "demo",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["kubeconfig"] == str(kubeconfig)
        assert info["url"].startswith("https://127.0.0.1:")
        api = config.new_client_from_config(str(kubeconfig))
        names = {
            p.metadata.name for p in client.CoreV1Api(api).list_namespaced_pod("default").items
        }
        assert "debug-shell" in names
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_bad_seed_exits_with_a_message(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("namespaces: [{pods: []}]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "demo-cluster", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "needs a name" in json.loads(proc.stdout)["error"]["message"]
